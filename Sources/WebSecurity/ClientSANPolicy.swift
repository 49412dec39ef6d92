import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `client_allowed_sans`: a client certificate is admitted when any of its DNS, email, IP or URI subject alternative
/// names equals a configured entry, as the Go toolkit compares them (IP addresses in canonical text form).
struct ClientSANPolicy: Sendable {
    let allowed: Set<String>

    init(allowed: [String]) {
        self.allowed = Set(allowed.map(Self.normalized))
    }

    func permits(_ certificate: NIOSSLCertificate) -> Bool {
        Self.names(in: certificate).contains(where: self.allowed.contains)
    }

    /// The SANs as text. `_subjectAlternativeNames()` is underscored, but it is NIOSSL's only way to read SANs and
    /// its own hostname check relies on it; swift-certificates, the supported parser, is not a dependency here.
    static func names(in certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap { name in
            switch name.nameType {
            case .dnsName, .email, .uri:
                return String(decoding: name.contents, as: UTF8.self)
            case .ipAddress:
                return Self.ipText(Array(name.contents))
            default:
                return nil
            }
        }
    }

    /// Writes an IP address the way Go's `net.IP.String()` does, so `::1` in the file matches `0:0:0:0:0:0:0:1` in a
    /// certificate; anything else is returned unchanged.
    static func normalized(_ entry: String) -> String {
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, entry, &v4) == 1 { return Self.ipText(v4) ?? entry }
        var v6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, entry, &v6) == 1 { return Self.ipText(v6) ?? entry }
        return entry
    }

    private static func ipText(_ bytes: [UInt8]) -> String? {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { address in
            text.withUnsafeMutableBufferPointer { buffer in
                inet_ntop(family, address.baseAddress, buffer.baseAddress, socklen_t(buffer.count)) != nil
            }
        }
        guard written else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
