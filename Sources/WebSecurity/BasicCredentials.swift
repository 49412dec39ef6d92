#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// User and password from an `Authorization: Basic ...` header (RFC 7617).
struct BasicCredentials {
    let user: String
    let password: String

    init?(authorization: String?) {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1].drop { $0 == " " })),
            let text = String(validating: Array(decoded), as: UTF8.self),
            let colon = text.firstIndex(of: ":")
        else { return nil }
        self.user = String(text[..<colon])
        self.password = String(text[text.index(after: colon)...])
    }
}
