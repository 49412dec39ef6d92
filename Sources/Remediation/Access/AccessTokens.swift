import Foundation
import KVMCore

/// Bearer tokens for the action endpoints, from a file with one token per line:
/// `NAME SCOPES TOKEN`, where SCOPES is `webhook`, `api` or `webhook,api`. NAME is the principal in the
/// audit log. Several lines may share a name, so a token can be rotated without downtime; a token may
/// appear once only, and placeholders and guessable tokens are refused (`TokenStrength`).
public struct AccessTokens: Sendable {
    public enum Scope: String, Sendable, CaseIterable {
        /// `POST /api/v1/alertmanager`.
        case webhook
        /// Manual actions, releases and reading the action list.
        case api
    }

    public struct Principal: Sendable, Equatable {
        public var name: String
        public var scopes: Set<Scope>
    }

    struct Entry: Sendable {
        var principal: Principal
        var token: [UInt8]
    }

    let entries: [Entry]

    public static func load(path: String) throws -> AccessTokens {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(line: 0, path: path, message: "cannot read the tokens file")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String = "tokens") throws -> AccessTokens {
        var entries: [Entry] = []
        var lineOfToken: [[UInt8]: Int] = [:]
        // Split on any line break: in Swift "\r\n" is one Character, so a tokens file edited on Windows
        // would otherwise be one line.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            // The token itself never appears in an error: the message names the line only.
            func fail(_ message: String) -> ConfigError { ConfigError(line: index + 1, path: path, message: message) }
            guard fields.count == 3 else { throw fail("expected NAME SCOPES TOKEN") }
            var scopes: Set<Scope> = []
            for name in fields[1].split(separator: ",") {
                guard let scope = Scope(rawValue: String(name)) else { throw fail("scope must be webhook or api") }
                scopes.insert(scope)
            }
            let token = Array(fields[2].utf8)
            if let weakness = TokenStrength.weakness(of: fields[2]) { throw fail(weakness) }
            // One token under two names (or twice under one) makes the audit log's principal a guess.
            if let earlier = lineOfToken.updateValue(index + 1, forKey: token) {
                throw fail("the same token as line \(earlier); every line needs its own")
            }
            entries.append(Entry(principal: Principal(name: String(fields[0]), scopes: scopes), token: token))
        }
        guard !entries.isEmpty else { throw ConfigError(line: 0, path: path, message: "no tokens") }
        return AccessTokens(entries: entries)
    }

    /// The principal whose token this is, or nil. Every entry is compared in full, in time that does not
    /// depend on where the presented token first differs.
    public func authenticate(_ presented: String) -> Principal? {
        let bytes = Array(presented.utf8)
        var match: Principal?
        for entry in entries where ConstantTime.equal(entry.token, bytes) {
            match = match ?? entry.principal
        }
        return match
    }
}
