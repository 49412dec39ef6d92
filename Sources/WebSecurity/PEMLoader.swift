import NIOSSL
import Yams

/// Loads the certificate and key material named by `tls_server_config`, turning every failure into an error that
/// names the key, its line and the file.
struct PEMLoader {
    let context: YAMLContext
    let directory: String

    /// Relative paths are taken from the configuration file's directory, as the Go toolkit's `JoinDir` does.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || self.directory.isEmpty { return path }
        return self.directory.hasSuffix("/") ? self.directory + path : "\(self.directory)/\(path)"
    }

    func certificates(
        file: (value: String, entry: YAMLEntry)?, inline: (value: String, entry: YAMLEntry)?, role: String,
        at path: String, _ node: Node
    ) throws -> [NIOSSLCertificate] {
        switch (file.flatMap(Self.nonEmpty), inline.flatMap(Self.nonEmpty)) {
        case (.some, .some(let inline)):
            throw self.context.error("set \(role)_file or \(role), not both", at: inline.entry.path, inline.entry.value)
        case (.some(let file), nil):
            return try self.certificates(at: file.value, entry: file.entry)
        case (nil, .some(let inline)):
            return try self.parseCertificates(Array(inline.value.utf8), source: "inline PEM", entry: inline.entry)
        case (nil, nil):
            throw self.context.error("\(role)_file is required when tls_server_config is present", at: path, node)
        }
    }

    func certificates(at file: String, entry: YAMLEntry) throws -> [NIOSSLCertificate] {
        let resolved = self.resolve(file)
        return try self.parseCertificates(self.read(resolved, entry: entry), source: resolved, entry: entry)
    }

    func privateKey(
        file: (value: String, entry: YAMLEntry)?, inline: (value: String, entry: YAMLEntry)?, at path: String,
        _ node: Node
    ) throws -> NIOSSLPrivateKey {
        let bytes: [UInt8]
        let source: String
        let entry: YAMLEntry
        switch (file.flatMap(Self.nonEmpty), inline.flatMap(Self.nonEmpty)) {
        case (.some, .some(let inline)):
            throw self.context.error("set key_file or key, not both", at: inline.entry.path, inline.entry.value)
        case (.some(let file), nil):
            source = self.resolve(file.value)
            bytes = try self.read(source, entry: file.entry)
            entry = file.entry
        case (nil, .some(let inline)):
            source = "inline PEM"
            bytes = Array(inline.value.utf8)
            entry = inline.entry
        case (nil, nil):
            throw self.context.error("key_file is required when tls_server_config is present", at: path, node)
        }
        do {
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            // The key's bytes never reach the message; only where they came from.
            throw self.context.error(
                "\(source) is not a usable unencrypted PEM private key (\(error))", at: entry.path, entry.value)
        }
    }

    private func parseCertificates(_ bytes: [UInt8], source: String, entry: YAMLEntry) throws -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw self.context.error("\(source) is not valid PEM (\(error))", at: entry.path, entry.value)
        }
        guard !certificates.isEmpty else {
            throw self.context.error("\(source) contains no PEM certificate", at: entry.path, entry.value)
        }
        return certificates
    }

    private func read(_ path: String, entry: YAMLEntry) throws -> [UInt8] {
        do {
            return try FileReader.contents(of: path)
        } catch {
            throw self.context.error("cannot read \(path): \(error)", at: entry.path, entry.value)
        }
    }

    private static func nonEmpty(_ field: (value: String, entry: YAMLEntry)) -> (value: String, entry: YAMLEntry)? {
        field.value.isEmpty ? nil : field
    }
}
