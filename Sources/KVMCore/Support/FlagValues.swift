/// Parsers for flag values in the exporter conventions (Go-style durations, `host:port` addresses).
public enum FlagValues {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The longest duration accepted, Go's as well (the most nanoseconds an Int64 holds, rounded down to the hour):
    /// anything longer is a typo, and a bound keeps the conversion to whole milliseconds exact and untrapped.
    public static let longestDuration: Duration = .seconds(2_562_047 * 3600)

    /// "15s", "500ms", "1m30s", "2h": Go's `time.ParseDuration` units from ms to h. Must be positive and at most
    /// ``longestDuration``; the result is whole milliseconds.
    public static func duration(_ text: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let longest = longestDuration.seconds
        var rest = Substring(text)
        var seconds = 0.0
        guard !rest.isEmpty else { throw Invalid(description: "empty duration") }
        while !rest.isEmpty {
            // ASCII digits only: `Character.isNumber` also admits "½" and other scripts' digits.
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(number.count)
            guard let value = Double(number) else {
                throw Invalid(description: "\"\(text)\" is not a duration like 15s or 500ms")
            }
            guard
                let (unit, scale) = units.first(where: {
                    rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms"))
                })
            else {
                throw Invalid(description: "\"\(text)\" needs a unit: ms, s, m or h")
            }
            rest = rest.dropFirst(unit.count)
            seconds += value * scale
            // Checked on every part, so a run of digits long enough to be infinite is caught too.
            guard seconds.isFinite, seconds <= longest else {
                throw Invalid(
                    description: "\"\(text)\" is longer than the longest duration, \(format(longestDuration))")
            }
        }
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds >= 1 else { throw Invalid(description: "\"\(text)\" must be at least 1ms") }
        return .milliseconds(Int64(milliseconds))
    }

    /// A duration as ``duration(_:)`` reads it, or zero for a zero in any unit ("0s", "0", "0.0ms"): for the flags
    /// where zero means off or every time.
    public static func durationOrZero(_ text: String) throws -> Duration {
        let number = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        if Double(number) == 0, ["", "ms", "s", "m", "h"].contains(String(text.dropFirst(number.count))) {
            return .zero
        }
        return try duration(text)
    }

    /// A duration as ``duration(_:)`` reads it, refused outside `range`: every timeout and window read from outside
    /// has a bound.
    public static func duration(_ text: String, in range: ClosedRange<Duration>) throws -> Duration {
        let value = try duration(text)
        guard range.contains(value) else {
            throw Invalid(description: "must be from \(format(range.lowerBound)) to \(format(range.upperBound))")
        }
        return value
    }

    /// A duration in the largest unit that states it exactly ("90s", "5m", "8760h", "1500ms"), for messages.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard attoseconds % 1_000_000_000_000_000 == 0 else { return "\(duration)" }
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return "\(duration)" }
        let total = milliseconds + attoseconds / 1_000_000_000_000_000
        for (unit, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000)] where total % size == 0 {
            return "\(total / size)\(unit)"
        }
        return "\(total)ms"
    }

    /// ":9760" (all interfaces), "127.0.0.1:9760", "[::1]:9760", "localhost:9760".
    public static func listenAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else {
            throw Invalid(description: "\"\(text)\" is not host:port (for example :9760 or 127.0.0.1:9760)")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw Invalid(description: "\"\(portText)\" is not a port number from 0 to 65535")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
