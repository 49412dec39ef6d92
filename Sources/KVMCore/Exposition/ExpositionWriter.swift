import Foundation

/// Writes the Prometheus text format 0.0.4. Written here rather than with swift-prometheus because the
/// domain families are rebuilt from a snapshot on every change, which that library's long-lived metric
/// objects do not model (see docs: it has no collect-on-scrape hook).
public struct ExpositionWriter: Sendable {
    public enum MetricType: String, Sendable {
        case gauge, counter
    }

    public private(set) var output = ""
    /// Series dropped because a family already had one with the same labels (two NICs with one name, say).
    public private(set) var duplicatesDropped = 0

    public init(reservingCapacity capacity: Int = 0) {
        output.reserveCapacity(capacity)
    }

    /// Writes one family; nothing at all when `body` adds no sample.
    public mutating func family(
        _ name: String, _ type: MetricType, help: String, _ body: (inout FamilySamples) -> Void
    ) {
        var samples = FamilySamples(name: name)
        body(&samples)
        guard !samples.text.isEmpty else { return }
        duplicatesDropped += samples.duplicates
        output += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
        output += samples.text
    }

    // Both escapes work on Unicode scalars, not Characters: "\r\n" is a single Character, so a Character
    // comparison with "\n" would let its line feed through unescaped and split the line.
    static func escapeHelp(_ text: String) -> String {
        escape(text, quote: false)
    }

    static func escapeLabelValue(_ text: String) -> String {
        escape(text, quote: true)
    }

    private static func escape(_ text: String, quote: Bool) -> String {
        let scalars = text.unicodeScalars
        guard scalars.contains(where: { $0 == "\\" || $0 == "\n" || (quote && $0 == "\"") }) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in scalars {
            switch scalar {
            case "\\": escaped.append(contentsOf: #"\\"#.unicodeScalars)
            case "\"" where quote: escaped.append(contentsOf: #"\""#.unicodeScalars)
            case "\n": escaped.append(contentsOf: #"\n"#.unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
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
    var text = ""
    var duplicates = 0
    /// Each series written so far, by the hash of its name and labels, as the UTF-8 offsets of that part of
    /// its line in `text`. Lines are written straight into `text` and hashed in place rather than built
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
        let start = text.utf8.count
        text += name
        if !labels.isEmpty {
            text += "{"
            var first = true
            for (key, labelValue) in labels {
                if !first { text += "," }
                first = false
                text += key
                text += "=\""
                text += ExpositionWriter.escapeLabelValue(labelValue)
                text += "\""
            }
            text += "}"
        }
        let series = start..<text.utf8.count
        guard isNew(series) else {
            text.removeSubrange(text.utf8.index(text.startIndex, offsetBy: start)...)
            duplicates += 1
            return
        }
        text += " "
        text += ExpositionWriter.format(value)
        text += "\n"
    }

    public mutating func add(_ labels: KeyValuePairs<String, String>, _ flag: Bool) {
        add(labels, flag ? 1 : 0)
    }

    /// Records `series` (a range of `text`) unless the same name and labels were written before.
    private mutating func isNew(_ series: Range<Int>) -> Bool {
        let hash = text.withUTF8 { bytes in
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[series])))
            return hasher.finalize()
        }
        guard let earlier = seen[hash] else {
            seen[hash] = series
            return true
        }
        let candidates = [earlier] + collided
        let repeated = text.withUTF8 { bytes in
            candidates.contains { bytes[$0].elementsEqual(bytes[series]) }
        }
        if repeated { return false }
        collided.append(series)
        return true
    }
}
