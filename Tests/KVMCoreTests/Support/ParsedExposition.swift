/// A strict reader of the Prometheus text format 0.0.4, enough to check the agent's output: it records
/// every departure from the format in `problems` instead of guessing.
struct ParsedExposition {
    struct Sample: Sendable, Equatable {
        var name: String
        var labels: [String: String]
        var labelOrder: [String]
        var value: String
        /// The sample line without its value: name and labels as written.
        var series: String
    }

    struct Family: Sendable {
        var name: String
        var help: String
        var type: String?
        var samples: [Sample] = []
    }

    var families: [Family] = []
    var problems: [String] = []

    var samples: [Sample] { families.flatMap(\.samples) }

    func family(_ name: String) -> Family? { families.first { $0.name == name } }

    func samples(_ name: String) -> [Sample] { family(name)?.samples ?? [] }

    /// The value of the one sample of `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> String? {
        let matching = samples(name).filter { sample in labels.allSatisfy { sample.labels[$0.key] == $0.value } }
        return matching.count == 1 ? matching[0].value : nil
    }

    init(_ text: String) {
        // Split on the LF byte itself: a Character split would hide an LF inside a "\r\n" cluster.
        let bytes = Array(text.utf8)
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true {
            lines.removeLast()
        } else if !bytes.isEmpty {
            problems.append("output does not end with a newline")
        }
        var seen = Set<String>()
        for bytes in lines {
            guard bytes.first == UInt8(ascii: "#") else {
                guard let sample = Self.parseSample(bytes) else {
                    problems.append("unparsable line: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                    continue
                }
                // Compare fields, not a copy of the family: a live copy would make each append copy the samples.
                guard families.last?.name == sample.name, families.last?.type != nil else {
                    problems.append("sample outside its family's HELP and TYPE: \(sample.series)")
                    continue
                }
                families[families.count - 1].samples.append(sample)
                continue
            }
            let line = String(decoding: bytes, as: UTF8.self)
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                let help = String(rest.dropFirst(name.count + 1))
                if !seen.insert(name).inserted { problems.append("family \(name) has a second HELP") }
                families.append(Family(name: name, help: help))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2, let last = families.last, last.name == parts[0], last.type == nil,
                    last.samples.isEmpty
                else {
                    problems.append("TYPE out of place: \(line)")
                    continue
                }
                if !["gauge", "counter", "untyped", "summary", "histogram"].contains(parts[1]) {
                    problems.append("unknown type: \(line)")
                }
                families[families.count - 1].type = parts[1]
            } else {
                problems.append("unexpected comment: \(line)")
            }
        }
        for family in families where family.type == nil { problems.append("family \(family.name) has no TYPE") }
        for family in families where family.samples.isEmpty { problems.append("family \(family.name) has no sample") }
    }

    static func isMetricName<C: Collection<UInt8>>(_ name: C) -> Bool {
        func isLetter(_ b: UInt8) -> Bool {
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x3A
        }
        guard let first = name.first, isLetter(first) else { return false }
        return name.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    static func isLabelName<C: Collection<UInt8>>(_ name: C) -> Bool {
        isMetricName(name) && !name.contains(UInt8(ascii: ":"))
    }

    static func parseSample(_ line: ArraySlice<UInt8>) -> Sample? {
        let b = Array(line)
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), space = UInt8(ascii: " ")
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        func text(_ range: Range<Int>) -> String { String(decoding: b[range], as: UTF8.self) }
        var i = 0
        while i < b.count, b[i] != open, b[i] != space { i += 1 }
        guard isMetricName(b[0..<i]), i < b.count else { return nil }
        let name = text(0..<i)
        var labels: [String: String] = [:]
        var order: [String] = []
        if b[i] == open {
            i += 1
            while i < b.count, b[i] != close {
                let start = i
                while i < b.count, b[i] != UInt8(ascii: "=") { i += 1 }
                guard isLabelName(b[start..<i]), i + 1 < b.count, b[i + 1] == quote else { return nil }
                let key = text(start..<i)
                i += 2
                var value: [UInt8] = []
                while i < b.count, b[i] != quote {
                    if b[i] == backslash {
                        guard i + 1 < b.count else { return nil }
                        switch b[i + 1] {
                        case backslash: value.append(backslash)
                        case quote: value.append(quote)
                        case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                        default: return nil
                        }
                        i += 2
                    } else {
                        value.append(b[i])
                        i += 1
                    }
                }
                guard i < b.count else { return nil }
                i += 1
                guard labels.updateValue(String(decoding: value, as: UTF8.self), forKey: key) == nil else { return nil }
                order.append(key)
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1 }
            }
            guard i < b.count else { return nil }
            i += 1
        }
        guard i < b.count, b[i] == space else { return nil }
        let series = text(0..<i)
        let value = text((i + 1)..<b.count)
        guard ["NaN", "+Inf", "-Inf"].contains(value) || Double(value) != nil else { return nil }
        return Sample(name: name, labels: labels, labelOrder: order, value: value, series: series)
    }
}
