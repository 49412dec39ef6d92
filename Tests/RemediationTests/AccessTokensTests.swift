import Foundation
import Testing

@testable import Remediation

@Suite struct AccessTokensTests {
    static let alertmanagerToken = "am-0123456789abcdef0123"
    static let opsToken = "ops-fedcba9876543210fedc"
    static let rotatedToken = "ops-new-aaaabbbbccccdddd"

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
        "", "am-0123456789abcdef012", "am-0123456789abcdef01234", "am-0123456789abcdef0124",
        "AM-0123456789ABCDEF0123", " am-0123456789abcdef0123", "am-0123456789abcdef0123\0",
        "webhook", "alertmanager",
    ])
    func otherTokensFail(presented: String) throws {
        #expect(try AccessTokens.parse(Self.file).authenticate(presented) == nil)
    }

    static let errors: [(text: String, line: Int, fragment: String)] = [
        ("ops api\n", 1, "expected NAME SCOPES TOKEN"),
        ("# comment\n\nops api secret-token-with-more-than-16 extra\n", 3, "expected NAME SCOPES TOKEN"),
        ("ops admin secret-token-1234567890\n", 1, "scope must be webhook or api"),
        ("am webhook \(alertmanagerToken)\nops api short-secret\n", 2, "shorter than 16"),
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
            for secret in ["short-secret", "secret-token", Self.alertmanagerToken] {
                #expect(!error.description.contains(secret), "\(error)")
            }
        } catch {
            Issue.record("unexpected error \(error)")
        }
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
