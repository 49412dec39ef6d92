import Foundation
import Testing

@testable import Agent

/// Log lines carry values from outside (alert labels, domain names): none of them may end a line or pass
/// for another one, in logfmt or in JSON.
@Suite struct LineLogHandlerTests {
    /// C0 controls, DEL, C1 controls (NEL among them), and the Unicode line and paragraph separators, by code
    /// point so that test names stay printable.
    static let unsafeCodePoints: [UInt32] = Array(0x00...0x1F) + [0x7F] + Array(0x80...0x9F) + [0x2028, 0x2029]
    static let unsafe = unsafeCodePoints.compactMap(Unicode.Scalar.init)

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool { unsafe.contains(scalar) }

    static func fields(_ scalar: Unicode.Scalar) -> [(String, String)] {
        [
            ("ts", "2026-11-29T07:00:00.000Z"), ("level", "info"), ("msg", "alert received\(scalar)"),
            ("alertname", "Down\(scalar)ts=2026 level=error msg=spoofed"),
        ]
    }

    @Test(arguments: unsafeCodePoints)
    func logfmtEscapesEveryLineBreakingCharacter(codePoint: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(codePoint))
        let line = LineLogHandler.logfmt(Self.fields(scalar))
        #expect(!line.unicodeScalars.contains { Self.isUnsafe($0) })
        #expect(line.hasPrefix(#"ts=2026-11-29T07:00:00.000Z level=info msg="alert received\"#))
        #expect(line.contains(#" alertname="Down\"#), "quoted, since it holds a character that needs escaping")
    }

    @Test(
        arguments: [
            (0x0D, #"\r"#), (0x0A, #"\n"#), (0x2028, #"\u2028"#), (0x2029, #"\u2029"#), (0x85, #"\u0085"#),
            (0x7F, #"\u007f"#), (0x1B, #"\u001b"#),
        ] as [(UInt32, String)])
    func logfmtWritesEscapesThatReadBack(codePoint: UInt32, escaped: String) throws {
        let raw = try #require(Unicode.Scalar(codePoint))
        #expect(LineLogHandler.logfmt([("msg", "a\(raw)b")]) == "msg=\"a\(escaped)b\"")
    }

    @Test func logfmtQuotesOnlyWhatNeedsIt() {
        let line = LineLogHandler.logfmt([
            ("domain", "web1"), ("empty", ""), ("spaced", "a b"), ("quoted", #"say "hi""#), ("path", #"C:\x"#),
            ("bad key=\n", "v"),
        ])
        #expect(line == #"domain=web1 empty="" spaced="a b" quoted="say \"hi\"" path=C:\x bad_key__=v"#)
    }

    @Test(arguments: unsafeCodePoints)
    func jsonEscapesEveryLineBreakingCharacter(codePoint: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(codePoint))
        let fields = Self.fields(scalar)
        let line = LineLogHandler.json(fields)
        #expect(!line.unicodeScalars.contains { Self.isUnsafe($0) })
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "valid JSON: \(line)")
        #expect(object == Dictionary(uniqueKeysWithValues: fields))
    }

    @Test func jsonKeepsItsShape() {
        let line = LineLogHandler.json([("ts", "t"), ("msg", "a/b \"c\""), ("level", "info"), ("msg", "later")])
        #expect(line == #"{"level":"info","msg":"later","ts":"t"}"#)
        #expect(LineLogHandler.json([("msg", #"a/b "c" \"#)]) == #"{"msg":"a/b \"c\" \\"}"#)
    }
}
