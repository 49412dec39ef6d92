import KVMCore

/// The exposition format a scrape is answered in, chosen from its Accept header as Prometheus's Go client
/// chooses: the acceptable media ranges by quality, the first one we can serve wins; text 0.0.4 when none is.
public enum MetricsFormat: Sendable, Equatable {
    case text
    case openMetrics

    /// Exactly what Prometheus 3 expects each format to be labelled with.
    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    public static func negotiate(accept header: String?) -> MetricsFormat {
        guard let header else { return .text }
        let ranges = header.split(separator: ",").enumerated().compactMap { index, part in
            MediaRange(part).map { (index, $0) }
        }
        // Highest quality first; among equals, the order the client listed them in.
        let ordered = ranges.sorted { $0.1.quality != $1.1.quality ? $0.1.quality > $1.1.quality : $0.0 < $1.0 }
        for (_, range) in ordered where range.quality > 0 {
            switch (range.type, range.parameters["version"]) {
            case ("application/openmetrics-text", nil), ("application/openmetrics-text", "1.0.0"):
                return .openMetrics
            case ("text/plain", nil), ("text/plain", "0.0.4"), ("text/*", _), ("*/*", _):
                return .text
            default:
                continue
            }
        }
        return .text
    }

    /// One element of an Accept header: `type/subtype; name=value; q=0.5`.
    struct MediaRange {
        let type: String
        let parameters: [String: String]
        let quality: Double

        init?(_ text: Substring) {
            let fields = text.split(separator: ";").map { $0.trimmingBlanks() }
            guard let type = fields.first, type.contains("/") else { return nil }
            self.type = type.lowercased()
            var parameters: [String: String] = [:]
            for field in fields.dropFirst() {
                guard let equals = field.firstIndex(of: "=") else { continue }
                let name = field[..<equals].trimmingBlanks().lowercased()
                var value = String(field[field.index(after: equals)...].trimmingBlanks())
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                    value = String(value.dropFirst().dropLast())
                }
                parameters[name] = value
            }
            // A quality that does not parse, or is out of range, makes the range unacceptable rather than preferred.
            if let q = parameters.removeValue(forKey: "q") {
                guard let quality = Double(q), (0...1).contains(quality) else { return nil }
                self.quality = quality
            } else {
                self.quality = 1
            }
            self.parameters = parameters
        }
    }
}
