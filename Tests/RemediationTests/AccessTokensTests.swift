import Foundation
import Testing

@testable import Remediation

@Suite struct AccessTokensTests {
    static let alertmanagerToken = "3f9c2a7e81d04b6a95e2c8f1a0d7b364"
    static let opsToken = "Qm7xK2pZ9vL4nR8wT1yB6c"
    static let rotatedToken = "b5d1e9a2f6c8047391ab2e6d5f8c0a47e3b9d2c1"

    static let file = """
        # principal  scopes       token
        alertmanager webhook      \(alertmanagerToken)

        ops          webhook,api  \(opsToken)
        ops\tapi\t\(rotatedToken)
        """

    @Test func authenticatePicksThePrincipalAndScopes() throws {
        let tokens = try AccessTokens.parse(Self.file)
        #expect(tokens.authenticate(Self.alertmanagerToken) == .init(name: "alertmanager", scopes: [.webhook]))
        #expect(tokens.authenticate(Self.opsToken) == .init(name: "ops", scopes: [.webhook, .api]))
    }

    @Test func windowsLineEndingsAreNotPartOfTheToken() throws {
        let tokens = try AccessTokens.parse(Self.file.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(tokens.authenticate(Self.alertmanagerToken)?.name == "alertmanager")
    }

    @Test func bothTokensOfARotationWork() throws {
        let tokens = try AccessTokens.parse(Self.file)
        #expect(tokens.authenticate(Self.opsToken)?.name == "ops")
        #expect(tokens.authenticate(Self.rotatedToken) == .init(name: "ops", scopes: [.api]))
    }

    @Test(arguments: [
        "", String(alertmanagerToken.dropLast()), alertmanagerToken + "4", String(alertmanagerToken.dropLast()) + "5",
        alertmanagerToken.uppercased(), " " + alertmanagerToken, alertmanagerToken + "\0", "webhook", "alertmanager",
    ])
    func otherTokensFail(presented: String) throws {
        #expect(try AccessTokens.parse(Self.file).authenticate(presented) == nil)
    }

    static let errors: [(text: String, line: Int, fragment: String)] = [
        ("ops api\n", 1, "expected NAME SCOPES TOKEN"),
        ("# comment\n\nops api secret-token-with-more-than-16 extra\n", 3, "expected NAME SCOPES TOKEN"),
        ("ops admin secret-token-1234567890\n", 1, "scope must be webhook or api"),
        ("am webhook \(alertmanagerToken)\nops api short-secret\n", 2, "bits"),
        // The shipped example's lines, unchanged.
        ("alertmanager webhook REPLACE-WITH-A-LONG-RANDOM-TOKEN-1\n", 1, "placeholder"),
        ("am webhook \(alertmanagerToken)\nops api CHANGEME-secret-token-0f3a9c2b7e1d\n", 2, "placeholder"),
        ("ops api secret-token-Example-9f8e7d6c5b4a3f2e1d0c\n", 1, "placeholder"),
        // 22 letters of one kind: about 103 bits, and one character over and over.
        ("ops api aaaaaaaaaaaaaaaaaaaaaa\n", 1, "fewer than 8 different characters"),
        // 31 hex characters: 124 bits.
        ("ops api \(alertmanagerToken.dropLast())\n", 1, "124 bits"),
        ("ops api 12345678901234567890123456789012345678\n", 1, "126 bits"),
        // The same token under two names, and twice under one.
        ("am webhook \(alertmanagerToken)\nops api \(alertmanagerToken)\n", 2, "same token as line 1"),
        ("ops api \(opsToken)\n# rotated\nops api \(opsToken)\n", 3, "same token as line 1"),
        ("# only comments\n\n", 0, "no tokens"),
        ("", 0, "no tokens"),
    ]

    @Test(arguments: errors)
    func parseErrorsNameTheLineButNeverTheToken(text: String, line: Int, fragment: String) {
        do {
            _ = try AccessTokens.parse(text, path: "/etc/kvm-agent/tokens")
            Issue.record("parsed without an error")
        } catch let error as ConfigError {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
            #expect(error.path == "/etc/kvm-agent/tokens")
            for secret in [
                "short-secret", "secret-token", "REPLACE-WITH", "aaaaaaaa", Self.alertmanagerToken, Self.opsToken,
            ] {
                #expect(!error.description.contains(secret), "\(error)")
            }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// Tokens as the tools people use make them, at the shortest length that carries 128 bits.
    @Test(arguments: [
        "3f9c2a7e81d04b6a95e2c8f1a0d7b364",  // openssl rand -hex 16
        "3F9C2A7E81D04B6A95E2C8F1A0D7B364",
        "Qm7x-2pZ9vL4nR8w_1yB6c",  // 16 random bytes in base64url
        "Qm7x+2pZ9vL4nR8w/1yB6c==",  // the same in base64, padded
        "8ZqT3mWv9KpL2xNc7RbY4h",  // 22 alphanumeric characters: 131 bits
        "9081726354657483920192837465748392019283746",  // 43 decimal digits: 142 bits
    ])
    func strongTokensAreAccepted(token: String) throws {
        let tokens = try AccessTokens.parse("ops api \(token)\n")
        #expect(tokens.authenticate(token)?.name == "ops")
    }

    /// What the package's postinst writes on first install (deploy/debian/postinst).
    @Test func thePackagesGeneratedTokensAreAccepted() throws {
        func hex() -> String { (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() }
        let webhook = hex()
        let api = hex()
        let tokens = try AccessTokens.parse(
            "# made by the package\nalertmanager webhook \(webhook)\noperator api \(api)\n")
        #expect(tokens.authenticate(webhook)?.name == "alertmanager")
        #expect(tokens.authenticate(api)?.name == "operator")
    }

    /// deploy/tokens.example must be edited before use: as shipped, it is refused.
    @Test func theShippedExampleIsRefused() throws {
        let example = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(
                path: "../../deploy/tokens.example"), encoding: .utf8)
        let error = try #require(throws: ConfigError.self) { try AccessTokens.parse(example) }
        #expect(error.message.contains("placeholder"), "\(error)")
        #expect(error.line > 0)
    }

    @Test func loadReadsTheFileAndHidesItsContentOnFailure() throws {
        let directory = try TemporaryDirectory()
        try directory.write("tokens", Self.file)
        let tokens = try AccessTokens.load(path: directory.file("tokens"))
        #expect(tokens.authenticate(Self.alertmanagerToken)?.name == "alertmanager")
        let missing = try #require(throws: ConfigError.self) {
            try AccessTokens.load(path: directory.file("absent"))
        }
        #expect(missing.line == 0)
        #expect(missing.path == directory.file("absent"))
    }
}
