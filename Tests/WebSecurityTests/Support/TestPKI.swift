import Foundation

/// A throw-away PKI made with the openssl command line: a CA, a server certificate for 127.0.0.1/localhost, two
/// clients of that CA with different SANs, and a client of an unrelated CA.
struct TestPKI {
    static let allowedClientSAN = "allowed-client.example"

    let directory: TemporaryDirectory

    var caFile: String { "\(self.directory.path)/ca.pem" }
    func certificate(_ name: String) -> String { "\(self.directory.path)/\(name).pem" }
    func key(_ name: String) -> String { "\(self.directory.path)/\(name).key" }

    static func make() async throws -> TestPKI {
        let pki = TestPKI(directory: try TemporaryDirectory())
        try await pki.makeCA("ca")
        try await pki.makeCA("rogue-ca")
        try await pki.makeLeaf(
            "server", signedBy: "ca", serial: 1,
            extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                + "extendedKeyUsage=serverAuth\n")
        try await pki.makeLeaf(
            "client", signedBy: "ca", serial: 2,
            extensions: "subjectAltName=DNS:\(Self.allowedClientSAN)\nextendedKeyUsage=clientAuth\n")
        try await pki.makeLeaf(
            "other-client", signedBy: "ca", serial: 3,
            extensions: "subjectAltName=DNS:other-client.example\nextendedKeyUsage=clientAuth\n")
        try await pki.makeLeaf(
            "rogue-client", signedBy: "rogue-ca", serial: 4,
            extensions: "subjectAltName=DNS:\(Self.allowedClientSAN)\nextendedKeyUsage=clientAuth\n")
        return pki
    }

    private func makeCA(_ name: String) async throws {
        try await self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(name).key", "-out", "\(name).pem", "-days", "2", "-subj", "/CN=kvm-agent test \(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    private func makeLeaf(_ name: String, signedBy ca: String, serial: Int, extensions: String) async throws {
        try self.directory.write("\(name).ext", extensions + "basicConstraints=CA:FALSE\n")
        try await self.openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)",
        ])
        try await self.openssl([
            "x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-set_serial",
            "\(serial)", "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).pem",
        ])
    }

    private func openssl(_ arguments: [String]) async throws {
        guard let openssl = ExternalTools.openssl else { throw PKIError(message: "openssl is not installed") }
        let result = try await runProcess(openssl, arguments, workingDirectory: self.directory.path)
        guard result.status == 0 else {
            throw PKIError(message: "openssl \(arguments.joined(separator: " ")) failed: \(result.errorOutput)")
        }
    }
}

struct PKIError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}
