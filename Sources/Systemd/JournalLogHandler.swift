import CSystemd
import Glibc
import Logging

/// A swift-log handler that writes structured records to the systemd journal with `sd_journal_sendv`, so that
/// metadata stays queryable (`journalctl DOMAIN=web1`) instead of being flattened into the message text.
///
/// Each record carries MESSAGE, PRIORITY (syslog level), SYSLOG_IDENTIFIER, CODE_FILE, CODE_LINE, CODE_FUNC,
/// LOGGER (the logger's label), ERROR when the event has one, and one field per metadata key named by
/// ``fieldName(forMetadataKey:)``. Use it when ``isJournalStream()`` says stderr already goes to the journal:
/// libsystemd drops records silently when there is no journal socket, so elsewhere the line handlers fit.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    public let identifier: String

    public init(
        label: String, level: Logger.Level = .info, identifier: String = "kvm-agent",
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.logLevel = level
        self.identifier = identifier
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let record = Self.fields(
            level: event.level, message: event.message.description, metadata: merged, label: label,
            identifier: identifier, file: event.file, function: event.function, line: event.line,
            error: event.error.map { "\($0)" })
        let result = Self.send(record)
        if result < 0 {
            // The journal refused the record (too large, socket buffer full, ...). A log handler cannot throw,
            // and dropping it would hide exactly the messages someone is looking for: use stderr instead. The
            // journal reads stderr line by line, so the message is escaped to stay on its one line.
            let text = Self.fallbackLine(message: event.message.description, errno: -result)
            var bytes = Array(text.utf8)
            _ = write(STDERR_FILENO, &bytes, bytes.count)
        }
    }

    static func fallbackLine(message: String, errno: Int32) -> String {
        "journal unavailable (\(SystemdError.describe(errno: errno))): \(LogLineEscaping.escaped(message))\n"
    }

    /// The journal's entries for one record, as (field name, value) in sending order. Values are sent
    /// binary-safe (sd_journal_sendv length-prefixes values containing newlines), so multi-line messages and
    /// values stay intact and a value cannot start a field of its own; names are ours or made safe by
    /// ``fieldName(forMetadataKey:)``.
    public static func fields(
        level: Logger.Level, message: String, metadata: Logger.Metadata, label: String, identifier: String,
        file: String, function: String, line: UInt, error: String? = nil
    ) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", message), ("PRIORITY", String(priority(level))), ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", file), ("CODE_LINE", String(line)), ("CODE_FUNC", function), ("LOGGER", label),
        ]
        if let error { fields.append(("ERROR", error)) }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append((fieldName(forMetadataKey: key), "\(value)"))
        }
        return fields
    }

    /// The fields this handler sets itself; a metadata key mapping onto one of them is prefixed, so that
    /// metadata cannot replace or duplicate the message, priority or source location.
    static let ownFields: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER", "ERROR",
    ]

    /// The journal field name for a metadata key. Journal names allow only `A-Z`, `0-9` and `_`, must not start
    /// with `_` (reserved for fields the journal itself vouches for) or a digit, and are at most 64 bytes.
    /// So: uppercase ASCII, every other character becomes `_`; names that would start with `_` or a digit, are
    /// empty, or collide with a field this handler sets get the prefix `KVM_`; the result is cut to 64 bytes.
    /// `alert_fingerprint` → `ALERT_FINGERPRINT`, `http.status` → `HTTP_STATUS`, `_pid` → `KVM__PID`,
    /// `message` → `KVM_MESSAGE`.
    public static func fieldName(forMetadataKey key: String) -> String {
        var name = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "A"..."Z", "0"..."9", "_": name.unicodeScalars.append(scalar)
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            default: name.unicodeScalars.append("_")
            }
        }
        if name.isEmpty || name.first == "_" || name.first!.isNumber || ownFields.contains(name) {
            name = "KVM_" + name
        }
        return String(name.prefix(64))
    }

    /// syslog priorities as the journal expects them (RFC 5424 severities). swift-log has no emergency or alert,
    /// and its `trace` has no syslog counterpart below debug.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Sends one record; returns sd_journal_sendv's result (negative errno on failure).
    static func send(_ fields: [(name: String, value: String)]) -> Int32 {
        // One buffer for all "NAME=value" entries keeps every iovec pointing into memory alive for the call.
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for (name, value) in fields {
            let start = buffer.count
            buffer.append(contentsOf: name.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: value.utf8)
            ranges.append(start..<buffer.count)
        }
        return buffer.withUnsafeMutableBytes { bytes in
            var vectors = ranges.map { range in
                iovec(iov_base: bytes.baseAddress! + range.lowerBound, iov_len: range.count)
            }
            return sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }

    /// Whether stderr is connected to the journal: systemd sets `JOURNAL_STREAM` to "DEVICE:INODE" of the stream
    /// it gives a service, and that matches stderr only while stderr was not redirected elsewhere.
    public static func isJournalStream() -> Bool {
        guard let value = getenv("JOURNAL_STREAM") else { return false }
        return journalStream(String(cString: value), matches: STDERR_FILENO)
    }

    static func journalStream(_ value: String, matches descriptor: Int32) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
