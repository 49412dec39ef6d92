import Foundation

/// A self-signed certificate (CN web-config-fixture, valid until 2126) and its key, for tests that only parse.
/// Test material only: the key protects nothing.
enum Fixtures {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBpzCCAU2gAwIBAgIUcSK/lAwKjyq3KT3RHHzmOJE/iGEwCgYIKoZIzj0EAwIw
        HTEbMBkGA1UEAwwSd2ViLWNvbmZpZy1maXh0dXJlMCAXDTI2MTEyNzA4NDc0MFoY
        DzIxMjYxMTAzMDg0NzQwWjAdMRswGQYDVQQDDBJ3ZWItY29uZmlnLWZpeHR1cmUw
        WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR7n3iieT7HH72ySTThiJndOobVb1Kz
        GnATO4kczLdQ8TmYggrMYO7+G54AwFmNXYx549xdiZivZ3iZMk4e4U3ho2kwZzAd
        BgNVHQ4EFgQUTlgcypNzpPnqTgZG1tjE23pYWKIwHwYDVR0jBBgwFoAUTlgcypNz
        pPnqTgZG1tjE23pYWKIwDwYDVR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2Nh
        bGhvc3QwCgYIKoZIzj0EAwIDSAAwRQIgH6oTrTR3rhZOGILq8FJTWeGu3zopS5nF
        OQWX76w8Ec8CIQD52KIdIKm+gC+Q9ubAvkgDlOj3X/YShBmb3K6bL4JrzA==
        -----END CERTIFICATE-----

        """

    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCAZgbzhG0VewHM1C
        h7MQiHpqcpiB+Jj/6DbyCW890l+hRANCAAR7n3iieT7HH72ySTThiJndOobVb1Kz
        GnATO4kczLdQ8TmYggrMYO7+G54AwFmNXYx549xdiZivZ3iZMk4e4U3h
        -----END PRIVATE KEY-----

        """

    /// A key that does not belong to `certificate`.
    static let unrelatedPrivateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSyYTV2YcStpYcIUM
        iuzD/z+mce1uoA4nQptM8J/VrMGhRANCAARj9E3jADuHSib4qDFvfW+QKbHIJOVd
        A73g8RmHmXI3PDDT+X7ZPp4I3mOFToQu4wOMlK7ElX30uqJ7yJ4htaEw
        -----END PRIVATE KEY-----

        """

    /// Syntactically valid bcrypt (cost 10); parsing never checks a password against it.
    static let bcryptHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("web-security-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.path = url.path
    }

    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let file = "\(self.path)/\(name)"
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
