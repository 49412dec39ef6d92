import Foundation

/// Why a token from the tokens file could be guessed, judged from the token as written: the example's
/// placeholders, too few characters from the alphabet it uses, or one character over and over.
enum TokenStrength {
    /// Tokens must carry at least this much randomness, as estimated below.
    static let minimumBits = 128.0

    /// Words that mark a value someone was meant to replace. Matched without regard to case.
    static let placeholders = [
        "replace", "changeme", "change-me", "change_me", "example", "placeholder", "yourtoken", "your-token",
        "your_token",
    ]

    /// The alphabets tokens are generated from, smallest first. A token is measured against the first one
    /// that holds all its characters: `openssl rand -hex 32` gives 64 characters of 16 (256 bits).
    static let alphabets: [(name: String, characters: Set<Character>)] = {
        let digits = "0123456789"
        let lower = "abcdefghijklmnopqrstuvwxyz"
        let upper = lower.uppercased()
        return [
            ("digits", digits), ("hex", digits + "abcdef"), ("hex", digits + "ABCDEF"), ("letters", lower),
            ("letters", upper), ("alphanumeric", digits + lower), ("alphanumeric", digits + upper),
            ("letters", lower + upper), ("alphanumeric", digits + lower + upper),
            ("base64url", digits + lower + upper + "-_"), ("base64", digits + lower + upper + "+/"),
        ].map { ($0.0, Set($0.1)) }
    }()

    /// Printable ASCII, for tokens outside every alphabet above.
    static let printableSize = 95.0

    /// A reason the token is refused, or nil. Never contains the token.
    static func weakness(of token: Substring) -> String? {
        let lowered = token.lowercased()
        if placeholders.contains(where: lowered.contains) {
            return "the token is a placeholder; generate one with: openssl rand -hex 32"
        }
        // Base64 padding carries no randomness.
        var body = token
        while body.last == "=" { body.removeLast() }
        let used = Set(body)
        if used.count < 8 {
            return "the token uses fewer than 8 different characters; generate one with: openssl rand -hex 32"
        }
        let alphabet = alphabets.first { used.isSubset(of: $0.characters) }
        let size = alphabet.map { Double($0.characters.count) } ?? printableSize
        let bits = Double(body.count) * log2(size)
        guard bits < minimumBits else { return nil }
        return "the token carries about \(Int(bits)) bits (\(body.count) \(alphabet?.name ?? "printable") characters), "
            + "under \(Int(minimumBits)); generate one with: openssl rand -hex 32"
    }
}
