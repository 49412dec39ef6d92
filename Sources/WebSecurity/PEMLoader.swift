import NIOSSL
import StrictYAML

/// A string setting and the value it was read from, which errors point at.
typealias YAMLString = (value: String, node: YAMLValue)

/// Loads the certificate and key material named by `tls_server_config`, turning every failure into an error that
/// names the key and its line.
struct PEMLoader {
    let directory: String

    /// Relative paths are taken from the configuration file's directory, as the Go toolkit's `JoinDir` does.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || self.directory.isEmpty { return path }
        return self.directory.hasSuffix("/") ? self.directory + path : "\(self.directory)/\(path)"
    }

    func certificates(
        file: YAMLString?, inline: YAMLString?, role: String,
        in section: YAMLValue
    ) throws -> [NIOSSLCertificate] {
        switch (file.flatMap(Self.nonEmpty), inline.flatMap(Self.nonEmpty)) {
        case (.some, .some(let inline)):
            throw inline.node.problem("set \(role)_file or \(role), not both")
        case (.some(let file), nil):
            return try self.certificates(at: file.value, node: file.node)
        case (nil, .some(let inline)):
            return try self.parseCertificates(Array(inline.value.utf8), source: "inline PEM", node: inline.node)
        case (nil, nil):
            throw section.problem("\(role)_file is required when tls_server_config is present")
        }
    }

    func certificates(at file: String, node: YAMLValue) throws -> [NIOSSLCertificate] {
        let resolved = self.resolve(file)
        return try self.parseCertificates(self.read(resolved, node: node), source: resolved, node: node)
    }

    func privateKey(
        file: YAMLString?, inline: YAMLString?, in section: YAMLValue
    ) throws -> NIOSSLPrivateKey {
        let bytes: [UInt8]
        let source: String
        let node: YAMLValue
        switch (file.flatMap(Self.nonEmpty), inline.flatMap(Self.nonEmpty)) {
        case (.some, .some(let inline)):
            throw inline.node.problem("set key_file or key, not both")
        case (.some(let file), nil):
            source = self.resolve(file.value)
            bytes = try self.read(source, node: file.node)
            node = file.node
        case (nil, .some(let inline)):
            source = "inline PEM"
            bytes = Array(inline.value.utf8)
            node = inline.node
        case (nil, nil):
            throw section.problem("key_file is required when tls_server_config is present")
        }
        do {
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            // The key's bytes never reach the message; only where they came from.
            throw node.problem("\(source) is not a usable unencrypted PEM private key (\(error))")
        }
    }

    private func parseCertificates(_ bytes: [UInt8], source: String, node: YAMLValue) throws -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw node.problem("\(source) is not valid PEM (\(error))")
        }
        guard !certificates.isEmpty else {
            throw node.problem("\(source) contains no PEM certificate")
        }
        return certificates
    }

    private func read(_ path: String, node: YAMLValue) throws -> [UInt8] {
        do {
            return try FileReader.contents(of: path)
        } catch {
            throw node.problem("cannot read \(path): \(error)")
        }
    }

    private static func nonEmpty(_ field: YAMLString) -> YAMLString? {
        field.value.isEmpty ? nil : field
    }
}
