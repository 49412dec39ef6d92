import Foundation
import Logging
import Testing

@testable import Systemd

/// Every character that ends, splits or disguises a line, by code point (so that test names stay
/// printable): C0 controls, DEL, C1 controls (NEL among them), and the Unicode line and paragraph separators.
let lineUnsafeCodePoints: [UInt32] = Array(0x00...0x1F) + [0x7F] + Array(0x80...0x9F) + [0x2028, 0x2029]

@Suite struct LogLineEscapingTests {
    @Test(arguments: lineUnsafeCodePoints)
    func everyUnsafeCharacterIsEscapedToPlainASCII(codePoint: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(codePoint))
        #expect(LogLineEscaping.isUnsafe(scalar))
        let escaped = LogLineEscaping.escaped("label\(scalar)level=error msg=spoofed")
        #expect(!escaped.unicodeScalars.contains { LogLineEscaping.isUnsafe($0) })
        #expect(escaped.unicodeScalars.allSatisfy { $0.isASCII })
        // What is escaped is JSON's own escaping: a JSON reader gets the original back.
        let decoded = try JSONDecoder().decode(String.self, from: Data("\"\(escaped)\"".utf8))
        #expect(decoded == "label\(scalar)level=error msg=spoofed")
    }

    @Test(
        arguments: [
            (0x0D, #"\r"#), (0x0A, #"\n"#), (0x09, #"\t"#), (0x2028, #"\u2028"#), (0x2029, #"\u2029"#),
            (0x85, #"\u0085"#), (0x7F, #"\u007f"#), (0x1B, #"\u001b"#), (0x00, #"\u0000"#), (0x22, #"\""#),
            (0x5C, #"\\"#),
        ] as [(UInt32, String)])
    func escapesReadAsTheyAreMeant(codePoint: UInt32, escaped: String) throws {
        let raw = try #require(Unicode.Scalar(codePoint))
        #expect(LogLineEscaping.escaped("a\(raw)b") == "a\(escaped)b")
    }

    @Test func ordinaryTextIsLeftAlone() {
        for text in ["web1", "", "état 🚀 = \u{A0}", "/api/v1/actions", "x\u{200B}y"] {
            #expect(LogLineEscaping.escaped(text) == text)
        }
        #expect(!LogLineEscaping.isUnsafe(" "))
        #expect(!LogLineEscaping.isUnsafe("\u{A0}"))
    }

    /// The journal handler falls back to stderr, which the journal reads line by line.
    @Test(arguments: lineUnsafeCodePoints)
    func theJournalFallbackLineStaysOneLine(codePoint: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(codePoint))
        let line = JournalLogHandler.fallbackLine(message: "denied\(scalar)MESSAGE=spoofed", errno: EMSGSIZE)
        #expect(line.hasPrefix("journal unavailable ("))
        #expect(line.hasSuffix("\n"))
        #expect(!line.dropLast().unicodeScalars.contains { LogLineEscaping.isUnsafe($0) })
    }

    /// A value that looks like more journal fields stays the one field's value: libsystemd length-prefixes
    /// values that hold a newline, and names are the handler's own.
    @Test func aValueCannotAddJournalFields() {
        let spoof = "web1\nPRIORITY=0\nMESSAGE=spoofed\r\u{2028}"
        let fields = JournalLogHandler.fields(
            level: .info, message: "hello\nMESSAGE=spoofed", metadata: ["domain": "\(spoof)"], label: "l",
            identifier: "kvm-agent", file: "f", function: "g", line: 1)
        #expect(fields.filter { $0.name == "MESSAGE" }.map(\.value) == ["hello\nMESSAGE=spoofed"])
        #expect(fields.filter { $0.name == "PRIORITY" }.map(\.value) == ["6"])
        #expect(fields.filter { $0.name == "DOMAIN" }.map(\.value) == [spoof])
        #expect(JournalLogHandler.send(fields) == 0, "libsystemd takes values with newlines as binary fields")
    }
}
