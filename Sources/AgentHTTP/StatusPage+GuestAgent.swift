import KVMCore

extension StatusPage {
    /// Used share at and above which a guest file system is listed as nearly full.
    static let nearlyFull = 0.9

    /// Guest file systems at least 90 % used, as their guest agents report them; nothing when none is.
    func guestFileSystems(_ inventory: Inventory) -> String {
        var rows: [(domain: String, fs: GuestAgentReport.FileSystem, used: Double)] = []
        for entry in inventory.sortedDomains where entry.state.isActive {
            for fs in entry.guest.report?.fileSystems ?? [] {
                guard let total = fs.totalBytes, let used = fs.usedBytes, total > 0, used / total >= Self.nearlyFull
                else { continue }
                rows.append((entry.ref.name, fs, used / total))
            }
        }
        guard !rows.isEmpty else { return "" }
        var html = "<h2>Guest file systems nearly full <small>90 % or more used, from the guest agents</small></h2>\n"
        html += "<table><tr><th>domain</th><th>mount point</th><th>type</th><th>used</th><th>size</th></tr>\n"
        for row in rows {
            html += "<tr><td>\(escape(row.domain))</td><td>\(escape(row.fs.mountPoint))</td>"
            html += "<td>\(escape(row.fs.type))</td><td>\(Int((row.used * 100).rounded(.down))) %</td>"
            html += "<td>\(row.fs.totalBytes.map(Self.bytes) ?? "–")</td></tr>\n"
        }
        return html + "</table>\n"
    }
}
