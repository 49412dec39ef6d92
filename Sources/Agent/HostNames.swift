#if canImport(Glibc)
    import Glibc
#endif

/// The names this host answers to, for telling whether an alert is about it: the hostname, its short
/// form, and the canonical name the resolver gives (the FQDN), all lowercased.
enum HostNames {
    static func discover() -> Set<String> {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return [] }
        let hostname = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var names: Set<String> = [hostname.lowercased()]
        if let short = hostname.split(separator: ".").first { names.insert(short.lowercased()) }
        if let canonical = canonicalName(hostname) { names.insert(canonical.lowercased()) }
        return names
    }

    /// getaddrinfo with AI_CANONNAME: what `hostname -f` prints. Nil where the resolver does not know it.
    private static func canonicalName(_ hostname: String) -> String? {
        var hints = addrinfo()
        hints.ai_flags = AI_CANONNAME
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(hostname, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        return first.pointee.ai_canonname.map { String(cString: $0) }
    }
}
