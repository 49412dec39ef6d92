import Foundation

/// A parsed /metrics body: enough of the text format to look series up by name and labels.
struct Scrape {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    let samples: [Sample]

    init(_ text: String) {
        self.text = text
        samples = text.split(separator: "\n").compactMap { line in
            line.hasPrefix("#") ? nil : Self.parse(Substring(line))
        }
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?
            .value
    }

    func series(_ name: String) -> [Sample] {
        samples.filter { $0.name == name }
    }

    /// The state whose `kvm_domain_state` series is 1 for `domain`.
    func state(of domain: String) -> String? {
        series("kvm_domain_state").first { $0.labels["domain"] == domain && $0.value == 1 }?.labels["state"]
    }

    /// The state of `domain` once the agent has also read its definition (os_type is known), which the
    /// action API needs before it decides on the domain.
    func knownState(of domain: String) -> String? {
        let read = series("kvm_domain_info").contains { $0.labels["domain"] == domain && $0.labels["os_type"] != "" }
        return read ? state(of: domain) : nil
    }

    private static func parse(_ line: Substring) -> Sample? {
        guard let valueStart = line.lastIndex(of: " ") else { return nil }
        let series = line[..<valueStart]
        guard let value = Double(line[line.index(after: valueStart)...].replacingOccurrences(of: "+Inf", with: "inf"))
        else { return nil }
        guard let brace = series.firstIndex(of: "{") else {
            return Sample(name: String(series), labels: [:], value: value)
        }
        var labels: [String: String] = [:]
        var rest = series[series.index(after: brace)...].dropLast()
        while let equals = rest.firstIndex(of: "=") {
            let key = String(rest[..<equals])
            var index = rest.index(equals, offsetBy: 2)
            var text = ""
            while index < rest.endIndex, rest[index] != "\"" {
                if rest[index] == "\\" {
                    index = rest.index(after: index)
                    text.append(rest[index] == "n" ? "\n" : rest[index])
                } else {
                    text.append(rest[index])
                }
                index = rest.index(after: index)
            }
            labels[key] = text
            rest = rest[rest.index(after: index)...].drop { $0 == "," }
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }
}
