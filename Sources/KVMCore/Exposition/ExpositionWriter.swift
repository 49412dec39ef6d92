/// Writes the Prometheus text format 0.0.4. Written here rather than with swift-prometheus because the
/// domain families are rebuilt from a snapshot on every change, which that library's long-lived metric
/// objects do not model (see docs: it has no collect-on-scrape hook).
public struct ExpositionWriter: Sendable {
    public enum MetricType: String, Sendable {
        case gauge, counter
    }

    /// The text as UTF-8 bytes: appending a string's bytes to an array is a copy, where appending it to a
    /// String runs String's own bookkeeping, which was a third of a render's instructions (callgrind).
    public private(set) var bytes: [UInt8] = []
    public var output: String { String(decoding: bytes, as: UTF8.self) }
    /// Series dropped because a family already had one with the same labels (two NICs with one name, say).
    public private(set) var duplicatesDropped = 0

    public init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Writes one family; nothing at all when `body` adds no sample.
    public mutating func family(
        _ name: String, _ type: MetricType, help: String, _ body: (inout FamilySamples) -> Void
    ) {
        var samples = FamilySamples(name: name)
        body(&samples)
        guard !samples.bytes.isEmpty else { return }
        duplicatesDropped += samples.duplicates
        bytes.appendUTF8("# HELP \(name) ")
        bytes.appendEscaped(help, quote: false)
        bytes.appendUTF8("\n# TYPE \(name) \(type.rawValue)\n")
        bytes += samples.bytes
    }

    /// Go's strconv formatting as Prometheus parses it: integers without exponent, NaN and ±Inf spelled out.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

public struct FamilySamples: Sendable {
    let name: String
    var bytes: [UInt8] = []
    var duplicates = 0
    /// Each series written so far, by the hash of its name and labels, as the offsets of that part of its
    /// line in `bytes`. Lines are written straight into `bytes` and hashed in place rather than built
    /// apart and kept in a set of strings: two allocations fewer per series, most of a render's mallocs.
    /// A hash match is compared byte by byte, so a collision never drops a series.
    private var seen: [Int: Range<Int>] = [:]
    /// Series whose hash matched an earlier, different series (practically never).
    private var collided: [Range<Int>] = []

    init(name: String) {
        self.name = name
    }

    /// Adds one sample; `nil` values are skipped, so absent figures produce no series rather than zeros.
    public mutating func add(_ value: Double?) { add([:], value) }

    public mutating func add(_ flag: Bool) { add([:], flag ? 1 : 0) }

    public mutating func add(_ labels: KeyValuePairs<String, String>, _ value: Double?) {
        guard let value else { return }
        let start = bytes.count
        bytes.appendUTF8(name)
        if !labels.isEmpty {
            var separator = UInt8(ascii: "{")
            for (key, labelValue) in labels {
                bytes.append(separator)
                separator = UInt8(ascii: ",")
                bytes.appendUTF8(key)
                bytes += [UInt8(ascii: "="), UInt8(ascii: "\"")]
                bytes.appendEscaped(labelValue, quote: true)
                bytes.append(UInt8(ascii: "\""))
            }
            bytes.append(UInt8(ascii: "}"))
        }
        let series = start..<bytes.count
        guard isNew(series) else {
            bytes.removeSubrange(start...)
            duplicates += 1
            return
        }
        bytes.append(UInt8(ascii: " "))
        bytes.appendUTF8(ExpositionWriter.format(value))
        bytes.append(UInt8(ascii: "\n"))
    }

    public mutating func add(_ labels: KeyValuePairs<String, String>, _ flag: Bool) {
        add(labels, flag ? 1 : 0)
    }

    /// Records `series` (a range of `bytes`) unless the same name and labels were written before.
    private mutating func isNew(_ series: Range<Int>) -> Bool {
        let hash = bytes[series].withUnsafeBytes { part in
            var hasher = Hasher()
            hasher.combine(bytes: part)
            return hasher.finalize()
        }
        // One lookup for the common case, a new series; a match puts the first series back.
        guard let earlier = seen.updateValue(series, forKey: hash) else { return true }
        seen[hash] = earlier
        let candidates = [earlier] + collided
        let repeated = candidates.contains { bytes[$0].elementsEqual(bytes[series]) }
        if repeated { return false }
        collided.append(series)
        return true
    }
}

extension [UInt8] {
    /// Appends the string's UTF-8 in one copy from its storage; appending `text.utf8` instead goes through
    /// the generic sequence path, several times the instructions per piece on a render (callgrind).
    fileprivate mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    /// Appends `text` escaped: backslash and line feed always, the double quote in label values. It works on
    /// UTF-8 bytes, not Characters: "\r\n" is a single Character, so a Character comparison with "\n" would
    /// let its line feed through unescaped and split the line. The three bytes escaped are ASCII, which UTF-8
    /// never uses inside a multi-byte sequence, so the rest passes through whole.
    fileprivate mutating func appendEscaped(_ text: String, quote: Bool) {
        let backslash = UInt8(ascii: "\\"), newline = UInt8(ascii: "\n"), doubleQuote = UInt8(ascii: "\"")
        var text = text
        text.withUTF8 { part in
            guard part.contains(where: { $0 == backslash || $0 == newline || (quote && $0 == doubleQuote) }) else {
                append(contentsOf: part)
                return
            }
            for byte in part {
                switch byte {
                case backslash: append(contentsOf: [backslash, backslash])
                case doubleQuote where quote: append(contentsOf: [backslash, doubleQuote])
                case newline: append(contentsOf: [backslash, UInt8(ascii: "n")])
                default: append(byte)
                }
            }
        }
    }
}
