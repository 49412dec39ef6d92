import Foundation
import KVMCore
import Logging
import Systemd

/// One line per record on stderr, as logfmt or JSON. Written here because swift-log ships only its plain
/// StreamLogHandler, and log shippers expect one of these two structured formats.
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case logfmt, json
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let format: Format
    let label: String

    public init(label: String, format: Format, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", Self.timestamp()), ("level", event.level.rawValue), ("msg", event.message.description),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { fields.append((key, "\(value)")) }
        let line = format == .json ? Self.json(fields) : Self.logfmt(fields)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func timestamp() -> String {
        UTCTimestamp.format(Date().timeIntervalSince1970)
    }

    /// `key=value` pairs; a value is quoted when it is empty or holds a space, `=`, `"` or a character that
    /// `LogLineEscaping` escapes, so every record stays one line whatever its values hold. Keys are the
    /// program's own; a character a key cannot hold becomes `_` all the same.
    static func logfmt(_ fields: [(String, String)]) -> String {
        fields.map { key, value in
            var safeKey = String.UnicodeScalarView()
            for scalar in key.unicodeScalars { safeKey.append(isSpecialInLogfmt(scalar) ? "_" : scalar) }
            guard value.isEmpty || value.unicodeScalars.contains(where: isSpecialInLogfmt) else {
                return "\(safeKey)=\(value)"
            }
            return "\(safeKey)=\"\(LogLineEscaping.escaped(value))\""
        }.joined(separator: " ")
    }

    private static func isSpecialInLogfmt(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "=" || scalar == "\"" || LogLineEscaping.isUnsafe(scalar)
    }

    /// One JSON object, keys sorted, a later field replacing an earlier one of the same key. Written out here
    /// rather than with JSONSerialization, which leaves DEL, the C1 controls, U+2028 and U+2029 unescaped.
    static func json(_ fields: [(String, String)]) -> String {
        let object = Dictionary(fields, uniquingKeysWith: { _, new in new })
        let members = object.sorted { $0.key < $1.key }.map { key, value in
            "\"\(LogLineEscaping.escaped(key))\":\"\(LogLineEscaping.escaped(value))\""
        }
        return "{" + members.joined(separator: ",") + "}"
    }
}
