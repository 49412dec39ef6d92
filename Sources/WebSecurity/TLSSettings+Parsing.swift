import NIOSSL
import StrictYAML

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

    static func parse(_ section: YAMLValue, directory: String) throws -> TLSSettings {
        let byKey = try section.fields(Self.keys)
        func string(_ key: String) throws -> YAMLString? {
            guard let node = byKey[key] else { return nil }
            return (try node.string(), node)
        }
        let files = PEMLoader(directory: directory)

        let chain = try files.certificates(file: string("cert_file"), inline: string("cert"), role: "cert", in: section)
        let key = try files.privateKey(file: string("key_file"), inline: string("key"), in: section)

        var clientAuth = ClientAuth.noClientCert
        if let (name, node) = try string("client_auth_type") {
            // "RequireClientCert" is the toolkit's backwards-compatible spelling of RequireAnyClientCert.
            guard let parsed = ClientAuth(rawValue: name) ?? (name == "RequireClientCert" ? .requireAnyClientCert : nil)
            else {
                let known = ClientAuth.allCases.map(\.rawValue).joined(separator: ", ")
                throw node.problem("unknown value \"\(name)\" (expected one of \(known))")
            }
            clientAuth = parsed
        }

        var clientCAs: [NIOSSLCertificate] = []
        if let (file, node) = try string("client_ca_file") {
            clientCAs = try files.certificates(at: file, node: node)
            if clientAuth == .noClientCert {
                throw node.problem(
                    "client CAs are configured but client_auth_type is NoClientCert; set client_auth_type")
            }
        } else if clientAuth.verifiesChain {
            throw (byKey["client_auth_type"] ?? section).problem(
                "client_auth_type \(clientAuth.rawValue) verifies client certificates and needs client_ca_file")
        }

        var allowedSANs: [String] = []
        if let node = byKey["client_allowed_sans"] {
            allowedSANs = try node.stringList().map(ClientSANPolicy.normalized)
            // With an optional or unverified certificate, anyone could skip the check or forge a matching SAN.
            if !allowedSANs.isEmpty && clientAuth != .requireAndVerifyClientCert {
                throw node.problem(
                    "client_allowed_sans needs client_auth_type RequireAndVerifyClientCert, not \(clientAuth.rawValue)")
            }
        }

        let minimum = try Self.version(string("min_version"), default: 2)
        let maximum = try Self.version(string("max_version"), default: 3)
        if maximum < minimum, let node = byKey["max_version"] ?? byKey["min_version"] {
            throw node.problem(
                "max_version \(Self.versionNames[maximum].name) is older than min_version "
                    + Self.versionNames[minimum].name)
        }

        var settings = TLSSettings(
            certificateChain: chain, privateKey: key, clientAuth: clientAuth, clientCAs: clientCAs,
            clientAllowedSANs: allowedSANs, minimumVersion: Self.versionNames[minimum].version,
            maximumVersion: Self.versionNames[maximum].version)
        settings.files = try ["cert_file", "key_file", "client_ca_file"].compactMap { key in
            try string(key).flatMap { $0.value.isEmpty ? nil : files.resolve($0.value) }
        }

        if let node = byKey["cipher_suites"] {
            for item in try node.list() {
                let name = try item.nonEmptyString()
                if let cipher = Self.cipherNames[name] {
                    settings.cipherSuites.append(cipher)
                } else if !Self.tls13CipherNames.contains(name) {
                    throw item.problem(
                        "cipher suite \"\(name)\" is unknown or not supported by this server's TLS library "
                            + "(supported: \(Self.cipherNames.keys.sorted().joined(separator: ", ")))")
                }
            }
        }
        if let node = byKey["curve_preferences"] {
            for item in try node.list() {
                let name = try item.nonEmptyString()
                guard let curve = Self.curveNames[name] else {
                    throw item.problem(
                        "curve \"\(name)\" is not supported "
                            + "(supported: \(Self.curveNames.keys.sorted().joined(separator: ", ")))")
                }
                settings.curves.append(curve)
            }
        }
        // Accepted for compatibility only: Go has ignored it since 1.18 and BoringSSL servers already prefer their
        // own order for TLS 1.2. A malformed value is still an error.
        if let node = byKey["prefer_server_cipher_suites"] {
            _ = try node.bool()
        }

        // Building the context now catches a key that does not match the certificate, or a cipher list BoringSSL
        // rejects, while the file and line can still be reported.
        do {
            _ = try NIOSSLContext(configuration: settings.makeTLSConfiguration())
        } catch {
            throw section.problem("the TLS settings are unusable: \(error)")
        }
        return settings
    }

    /// Index into `versionNames`.
    private static func version(_ field: YAMLString?, default defaultIndex: Int) throws -> Int {
        guard let (name, node) = field else { return defaultIndex }
        guard let index = Self.versionNames.firstIndex(where: { $0.name == name }) else {
            let known = Self.versionNames.map(\.name).joined(separator: ", ")
            throw node.problem("unknown TLS version \"\(name)\" (expected one of \(known))")
        }
        return index
    }
}
