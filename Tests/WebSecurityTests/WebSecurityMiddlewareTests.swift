import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import Testing

@testable import WebSecurity

@Suite("Web security middleware")
struct WebSecurityMiddlewareTests {
    static let password = "correct horse"
    // Cost 4 keeps each check at a fraction of a millisecond.
    static let hash = Bcrypt.hash(Self.password, cost: 4)
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    private func application(
        users: [String: String] = ["alice": Self.hash],
        bypass: @escaping @Sendable (Request) -> Bool = { _ in false }
    ) throws -> some ApplicationProtocol {
        let configuration = WebConfiguration(headers: [("X-Frame-Options", "deny")], basicAuthUsers: users)
        let router = Router()
        router.add(middleware: try WebSecurityMiddleware(configuration: configuration, bypass: bypass))
        router.get("/metrics") { _, _ in "metrics" }
        return Application(router: router)
    }

    private func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    @Test func rejectsMissingCredentials() async throws {
        try await self.application().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Basic realm=\"kvm-agent\"")
                #expect(response.headers[Self.frameOptions] == "deny")
                #expect(String(buffer: response.body) != "metrics")
            }
        }
    }

    @Test func rejectsWrongPasswordUnknownUserAndMalformedHeaders() async throws {
        try await self.application().test(.router) { client in
            let attempts: [HTTPFields] = [
                self.basic("alice", "wrong"),
                self.basic("mallory", Self.password),
                [.authorization: "Basic not-base64!"],
                [.authorization: "Bearer token"],
                [.authorization: "Basic " + Data("alice".utf8).base64EncodedString()],
            ]
            for headers in attempts {
                try await client.execute(uri: "/metrics", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized, "\(headers)")
                }
            }
        }
    }

    @Test func acceptsTheRightPasswordRepeatedly() async throws {
        try await self.application().test(.router) { client in
            // The second request is answered from the cache; it must still be right.
            for _ in 0..<2 {
                try await client.execute(uri: "/metrics", method: .get, headers: self.basic("alice", Self.password)) {
                    response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "metrics")
                    #expect(response.headers[Self.frameOptions] == "deny")
                }
            }
            try await client.execute(uri: "/metrics", method: .get, headers: self.basic("alice", "wrong")) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func acceptsTwoYHashes() async throws {
        let twoY = "$2y$" + Self.hash.dropFirst(4)
        try await self.application(users: ["alice": twoY]).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: self.basic("alice", Self.password)) {
                response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func bypassSkipsBasicAuthButKeepsHeaders() async throws {
        let app = try self.application(bypass: { $0.headers[.authorization]?.hasPrefix("Bearer ") == true })
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer t"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[Self.frameOptions] == "deny")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func withoutUsersOnlyHeadersAreApplied() async throws {
        try await self.application(users: [:]).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[Self.frameOptions] == "deny")
            }
            try await client.execute(uri: "/absent", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[Self.frameOptions] == "deny")
            }
        }
    }

    @Test func cacheHoldsOnlyVerifiedUsers() async throws {
        let verifier = try #require(BasicAuthVerifier(users: ["alice": Self.hash, "bob": Self.hash]))
        #expect(await verifier.verify(user: "bob", password: "wrong") == false)
        #expect(await verifier.verify(user: "alice", password: Self.password))
        #expect(await verifier.verify(user: "alice", password: "wrong") == false)
        #expect(await verifier.verify(user: "alice", password: Self.password))
        #expect(verifier.cachedUserCount == 1)
    }
}
