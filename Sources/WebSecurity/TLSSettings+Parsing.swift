import NIOSSL
import Yams

extension TLSSettings {
    static let keys: Set<String> = [
        "cert_file", "key_file", "cert", "key", "client_auth_type", "client_ca_file", "client_allowed_sans",
        "min_version", "max_version", "cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
    ]

    /// Ordered oldest first, so the index doubles as a rank for the min <= max check.
    static let versionNames: [(name: String, version: TLSVersion)] = [
        ("TLS10", .tlsv1), ("TLS11", .tlsv11), ("TLS12", .tlsv12), ("TLS13", .tlsv13),
    ]

    /// The names Go's `tls.CipherSuites()` reports (the only ones the toolkit accepts) that BoringSSL also implements.
    static let cipherNames: [String: NIOTLSCipher] = [
        "TLS_RSA_WITH_AES_128_CBC_SHA": .TLS_RSA_WITH_AES_128_CBC_SHA,
        "TLS_RSA_WITH_AES_256_CBC_SHA": .TLS_RSA_WITH_AES_256_CBC_SHA,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": .TLS_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_RSA_WITH_AES_256_GCM_SHA384": .TLS_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// TLS 1.3 suites: Go accepts the names and ignores them (1.3 suites are not configurable there either), so a
    /// file listing them stays valid here; BoringSSL always enables all three.
    static let tls13CipherNames: Set<String> = [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    ]

    static let curveNames: [String: NIOTLSCurve] = [
        "CurveP256": .secp256r1,
        "CurveP384": .secp384r1,
        "CurveP521": .secp521r1,
        "X25519": .x25519,
        "X25519MLKEM768": .x25519_MLKEM768,
    ]

    static func parse(_ node: Node, at path: String, context: YAMLContext, directory: String) throws -> TLSSettings {
        let entries = try context.mapping(node, at: path, allowedKeys: Self.keys)
        let byKey = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0) })
        func string(_ key: String) throws -> (value: String, entry: YAMLEntry)? {
            guard let entry = byKey[key], let value = try context.string(entry.value, at: entry.path) else {
                return nil
            }
            return (value, entry)
        }
        let files = PEMLoader(context: context, directory: directory)

        let chain = try files.certificates(
            file: string("cert_file"), inline: string("cert"), role: "cert", at: path, node)
        let key = try files.privateKey(file: string("key_file"), inline: string("key"), at: path, node)

        var clientAuth = ClientAuth.noClientCert
        if let (name, entry) = try string("client_auth_type") {
            // "RequireClientCert" is the toolkit's backwards-compatible spelling of RequireAnyClientCert.
            guard let parsed = ClientAuth(rawValue: name) ?? (name == "RequireClientCert" ? .requireAnyClientCert : nil)
            else {
                let known = ClientAuth.allCases.map(\.rawValue).joined(separator: ", ")
                throw context.error("unknown value \"\(name)\" (expected one of \(known))", at: entry.path, entry.value)
            }
            clientAuth = parsed
        }

        var clientCAs: [NIOSSLCertificate] = []
        if let (file, entry) = try string("client_ca_file") {
            clientCAs = try files.certificates(at: file, entry: entry)
            if clientAuth == .noClientCert {
                throw context.error(
                    "client CAs are configured but client_auth_type is NoClientCert; set client_auth_type",
                    at: entry.path, entry.value)
            }
        } else if clientAuth.verifiesChain {
            throw context.error(
                "client_auth_type \(clientAuth.rawValue) verifies client certificates and needs client_ca_file",
                at: byKey["client_auth_type"]?.path ?? path, byKey["client_auth_type"]?.value ?? node)
        }

        var allowedSANs: [String] = []
        if let entry = byKey["client_allowed_sans"] {
            allowedSANs = try context.stringList(entry.value, at: entry.path).map {
                ClientSANPolicy.normalized($0.value)
            }
            // With an optional or unverified certificate, anyone could skip the check or forge a matching SAN.
            if !allowedSANs.isEmpty && clientAuth != .requireAndVerifyClientCert {
                throw context.error(
                    "client_allowed_sans needs client_auth_type RequireAndVerifyClientCert, not \(clientAuth.rawValue)",
                    at: entry.path, entry.value)
            }
        }

        let minimum = try Self.version(string("min_version"), default: 2, context: context)
        let maximum = try Self.version(string("max_version"), default: 3, context: context)
        if maximum < minimum, let entry = byKey["max_version"] ?? byKey["min_version"] {
            throw context.error(
                "max_version \(Self.versionNames[maximum].name) is older than min_version "
                    + Self.versionNames[minimum].name, at: entry.path, entry.value)
        }

        var settings = TLSSettings(
            certificateChain: chain, privateKey: key, clientAuth: clientAuth, clientCAs: clientCAs,
            clientAllowedSANs: allowedSANs, minimumVersion: Self.versionNames[minimum].version,
            maximumVersion: Self.versionNames[maximum].version)

        if let entry = byKey["cipher_suites"] {
            for item in try context.stringList(entry.value, at: entry.path) {
                if let cipher = Self.cipherNames[item.value] {
                    settings.cipherSuites.append(cipher)
                } else if !Self.tls13CipherNames.contains(item.value) {
                    throw context.error(
                        "cipher suite \"\(item.value)\" is unknown or not supported by this server's TLS library "
                            + "(supported: \(Self.cipherNames.keys.sorted().joined(separator: ", ")))",
                        at: item.path, item.node)
                }
            }
        }
        if let entry = byKey["curve_preferences"] {
            for item in try context.stringList(entry.value, at: entry.path) {
                guard let curve = Self.curveNames[item.value] else {
                    throw context.error(
                        "curve \"\(item.value)\" is not supported "
                            + "(supported: \(Self.curveNames.keys.sorted().joined(separator: ", ")))",
                        at: item.path, item.node)
                }
                settings.curves.append(curve)
            }
        }
        // Accepted for compatibility only: Go has ignored it since 1.18 and BoringSSL servers already prefer their
        // own order for TLS 1.2. A malformed value is still an error.
        if let entry = byKey["prefer_server_cipher_suites"] {
            _ = try context.bool(entry.value, at: entry.path)
        }

        // Building the context now catches a key that does not match the certificate, or a cipher list BoringSSL
        // rejects, while the file and line can still be reported.
        do {
            _ = try NIOSSLContext(configuration: settings.makeTLSConfiguration())
        } catch {
            throw context.error("the TLS settings are unusable: \(error)", at: path, node)
        }
        return settings
    }

    /// Index into `versionNames`.
    private static func version(
        _ field: (value: String, entry: YAMLEntry)?, default defaultIndex: Int, context: YAMLContext
    ) throws -> Int {
        guard let (name, entry) = field else { return defaultIndex }
        guard let index = Self.versionNames.firstIndex(where: { $0.name == name }) else {
            let known = Self.versionNames.map(\.name).joined(separator: ", ")
            throw context.error(
                "unknown TLS version \"\(name)\" (expected one of \(known))", at: entry.path, entry.value)
        }
        return index
    }
}
