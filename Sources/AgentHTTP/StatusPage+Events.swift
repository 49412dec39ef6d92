import KVMCore

extension StatusPage {
    /// Domains whose disks failed since the agent started, worst first: a guest paused by an I/O error waits
    /// for someone to free space on the host and resume it. Absent when no disk has failed.
    func diskErrors(_ inventory: Inventory, now: Double) -> String {
        let failing = inventory.sortedDomains.filter { !$0.disk.ioErrors.isEmpty }
        guard !failing.isEmpty else { return "" }
        var html = "<h2>Disk I/O errors <small>\(failing.count) domains</small></h2>\n"
        html += "<table><tr><th>domain</th><th>state</th><th>errors</th><th>last error</th></tr>\n"
        for entry in failing {
            let paused = entry.state == .paused && entry.reason == "ioerror"
            let state =
                paused
                ? "<span class=bad>paused by the I/O error</span>"
                : "\(entry.state.name) <small>\(escape(entry.reason))</small>"
            let counts = entry.disk.ioErrors.sorted { $0.key < $1.key }.map { key, count in
                "<li>\(escape(key.device)): \(Int(count)) × \(escape(key.reason)), \(escape(key.action))</li>"
            }.joined()
            let last =
                entry.disk.lastIOError.map {
                    "\(escape($0.key.device)) \(escape($0.key.reason)) on \(escape($0.sourcePath)) "
                        + "<small>\(Self.ago(now - $0.time))</small>"
                } ?? "–"
            html += "<tr><td>\(escape(entry.ref.name))</td><td>\(state)</td><td><ul>\(counts)</ul></td>"
            html += "<td>\(last)</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// Jobs running now (migrations, saves, dumps, backups) with their progress. Absent when none runs.
    func runningJobs(_ inventory: Inventory) -> String {
        let running = inventory.sortedDomains.compactMap { d in
            d.state.isActive ? d.jobs.current.map { (d.ref.name, $0) } : nil
        }
        guard !running.isEmpty else { return "" }
        var html = "<h2>Jobs</h2>\n<table><tr><th>domain</th><th>operation</th><th>progress</th></tr>\n"
        for (name, job) in running {
            let done = job.dataProcessedBytes.map(Self.bytes) ?? "–"
            let total = job.dataTotalBytes.map { " of \(Self.bytes($0))" } ?? ""
            html += "<tr><td>\(escape(name))</td><td>\(escape(job.operation.name))</td><td>\(done)\(total)</td></tr>\n"
        }
        return html + "</table>\n"
    }
}
