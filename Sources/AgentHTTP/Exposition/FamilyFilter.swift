/// Drops whole metric families by name prefix from a text exposition (`--web.disable-exporter-metrics` drops the
/// agent's own `kvm_agent_*` and `process_*`). Works on the rendered text because those families come from three
/// writers: the inventory renderer, the process probe and the Prometheus registry.
struct FamilyFilter: Sendable {
    let droppedPrefixes: [String]

    func apply(to text: String) -> String {
        var kept = ""
        kept.reserveCapacity(text.utf8.count)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for line in lines {
            if !self.drops(Self.familyName(of: line)) {
                kept += line
                kept += "\n"
            }
        }
        return kept
    }

    private func drops(_ name: Substring) -> Bool {
        self.droppedPrefixes.contains { name.hasPrefix($0) }
    }

    /// The metric name a line is about: the sample's name, or the name after `# HELP` / `# TYPE`.
    static func familyName(of line: Substring) -> Substring {
        var rest = line
        if rest.hasPrefix("# HELP ") || rest.hasPrefix("# TYPE ") || rest.hasPrefix("# UNIT ") {
            rest = rest.dropFirst(7)
        }
        return rest.prefix { $0 != " " && $0 != "{" }
    }
}
