import StrictYAML

/// `basic_auth_users`: user name to bcrypt hash.
enum BasicAuthUsers {
    static func parse(_ value: YAMLValue) throws -> [String: String] {
        var users: [String: String] = [:]
        for entry in try value.entries(keys: nil) {
            // Basic auth splits "user:password" at the first colon, so such a user could never log in.
            if entry.key.isEmpty || entry.key.contains(":") {
                throw entry.keyProblem("user names must be non-empty and contain no ':'")
            }
            // The value is not echoed: a plaintext password pasted here by mistake must not reach the logs.
            guard let hash = try? entry.value.string(), Self.isBcryptHash(hash) else {
                throw entry.value.problem(
                    "expected a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 60 characters), "
                        + "e.g. from `htpasswd -nBC 10 \"\"`")
            }
            users[entry.key] = hash
        }
        return users
    }

    /// `$2b$10$` followed by 53 characters of bcrypt's base64 (22 of salt, 31 of digest).
    static func isBcryptHash(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$")
        else { return false }
        let digits = bytes[4...5].map { Int($0) - Int(UInt8(ascii: "0")) }
        guard digits.allSatisfy({ (0...9).contains($0) }), (4...31).contains(digits[0] * 10 + digits[1]) else {
            return false
        }
        return bytes[7...].allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "/"):
                return true
            default:
                return false
            }
        }
    }
}
