/// Parsers for flag values in the exporter conventions (Go-style durations, `host:port` addresses).
public enum FlagValues {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// "15s", "500ms", "1m30s", "2h": Go's `time.ParseDuration` units from ms to h. Must be positive.
    public static func duration(_ text: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text)
        var seconds = 0.0
        guard !rest.isEmpty else { throw Invalid(description: "empty duration") }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
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
        }
        guard seconds > 0 else { throw Invalid(description: "\"\(text)\" must be longer than zero") }
        return .milliseconds(Int64((seconds * 1000).rounded()))
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
