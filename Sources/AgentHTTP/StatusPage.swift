import Foundation
import KVMCore
import Remediation

/// The page at `/`, for a person at the host instead of `virsh list --all` and `virsh vcpuinfo`. Built from
/// the same inventory snapshot as /metrics, so reloading it never calls libvirt; it reloads itself every
/// `refreshSeconds`. Plain HTML and inline CSS: no script, no external asset. Every name from libvirt or an
/// alert is escaped.
struct StatusPage {
    var version: String
    var telemetryPath: String
    var refreshSeconds = 10

    func render(_ inventory: Inventory, actions: [ActionRecord], holds: [RemediationHold] = [], now: Double) -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <title>kvm-agent</title>
            <style>\(Self.style)</style></head><body>
            <h1>kvm-agent <small>\(escape(version))</small></h1>
            <nav><a href="\(escape(telemetryPath))">Metrics</a> · <a href="/api/v1/actions">Actions API</a> ·
            <a href="/healthz">Health</a> · <a href="/readyz">Readiness</a></nav>

            """
        page += host(inventory)
        page += diskErrors(inventory, now: now)
        page += domains(inventory, now: now)
        page += storage(inventory)
        page += guestFileSystems(inventory)
        page += runningJobs(inventory)
        page += remediation(actions, now: now)
        page += remediationHolds(holds, now: now)
        page += "<footer>Reloads every \(refreshSeconds) s from the agent's inventory.</footer></body></html>\n"
        return page
    }

    private func host(_ inventory: Inventory) -> String {
        var rows: [(String, String)] = []
        let state = inventory.connectionState
        if let id = inventory.identity, inventory.libvirtUp {
            let listing = inventory.listingFailure.map { "; the last domain listing failed: \(escape($0))" } ?? ""
            let collecting = state == .collecting ? ", collecting (no pass finished since connecting\(listing))" : ""
            rows.append(("libvirt", "<span class=ok>connected</span> to \(escape(id.uri))\(collecting)"))
            rows.append(
                (
                    "versions",
                    "libvirt \(escape(id.libvirtVersion)), \(escape(id.hypervisor)) \(escape(id.hypervisorVersion))"
                ))
            rows.append(("host", "\(Int(id.hostCPUs)) CPUs, \(Self.bytes(id.hostMemoryBytes)) memory"))
            rows.append(("domain types", escape(id.domainTypes.sorted().joined(separator: ", "))))
        } else {
            rows.append(("libvirt", notConnected(state)))
        }
        if let host = inventory.host {
            rows.append(("virtualization", escape("\(host.technology.rawValue) (\(host.cpuVendor))")))
            let device = host.kvmDeviceUsable ? "<span class=ok>usable</span>" : "<span class=bad>not usable</span>"
            rows.append(("/dev/kvm", device))
            let modules = host.modulesLoaded.filter(\.value).keys.sorted().joined(separator: ", ")
            rows.append(("kvm modules", modules.isEmpty ? "none loaded" : escape(modules)))
        }
        return "<h2>Host</h2><table class=facts>"
            + rows.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>" }.joined() + "</table>\n"
    }

    /// Why there is no connection, with libvirt's own words and, for a refusal, what to do.
    private func notConnected(_ state: LibvirtConnectionState) -> String {
        switch state {
        case .permissionDenied(let failure):
            "<span class=bad>refuses access (permission)</span>, retrying: \(escape(failure.reason))"
                + "<br><small>\(escape(failure.advice))</small>"
        case .unreachable(let failure):
            "<span class=bad>unreachable</span>, retrying: \(escape(failure.reason))"
        default: "<span class=bad>not connected</span>, connecting"
        }
    }

    /// Under the domain's name, what its orchestrator calls it: `nova: web-1 (shop, m1.small)`.
    private func orchestration(_ entry: DomainEntry) -> String {
        guard let o = entry.config?.orchestration else { return "" }
        let context = [o.project, o.flavor].filter { !$0.isEmpty }.joined(separator: ", ")
        let name = [o.instanceName, context.isEmpty ? "" : "(\(context))"].filter { !$0.isEmpty }.joined(separator: " ")
        return "<br><small>\(escape(o.system))\(name.isEmpty ? "" : ": " + escape(name))</small>"
    }

    private func domains(_ inventory: Inventory, now: Double) -> String {
        let entries = inventory.sortedDomains
        let running = entries.filter { $0.state == .running }.count
        var html = "<h2>Domains <small>\(running) of \(entries.count) running</small></h2>\n"
        html += "<table><tr><th>domain</th><th>state</th><th>last event</th><th>vCPUs</th><th>memory</th>"
        html += "<th>vCPU: physical CPU, state, time</th></tr>\n"
        for entry in entries {
            let state =
                "<span class=\"state \(entry.state.name)\">\(entry.state.name)</span> <small>\(escape(entry.reason))</small>"
            let event =
                entry.lastEvent.map {
                    "\(escape($0.kind.event)) \(escape($0.kind.detail)) <small>\(Self.ago(now - $0.time))</small>"
                } ?? "<small>none since the agent started</small>"
            let vcpus = entry.stats?.vcpusCurrent ?? entry.config?.vcpusCurrent
            let memory = entry.stats?.memoryBytes ?? entry.config?.memoryMaximumBytes
            // State and time from the last pass; the physical CPU from the last vcpuinfo, which is read less often.
            let perVCPU = entry.vcpus.map { info in
                let counters = entry.stats?.vcpus[info.number]
                let state = (counters?.state ?? info.state).name
                let seconds = String(format: "%.1f", counters?.timeSeconds ?? info.cpuTimeSeconds)
                return "<li>\(info.number): CPU \(info.physicalCPU), \(state), \(seconds) s</li>"
            }.joined()
            html += "<tr><td>\(escape(entry.ref.name))\(orchestration(entry))</td><td>\(state)</td><td>\(event)</td>"
            html +=
                "<td>\(vcpus.map { String(Int($0)) } ?? "–")</td><td>\(memory.map(Self.bytes) ?? "–")\(memoryNote(entry))</td>"
            html += "<td>\(perVCPU.isEmpty ? "–" : "<ul>\(perVCPU)</ul>")</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private func remediation(_ actions: [ActionRecord], now: Double) -> String {
        var html = "<h2>Remediation</h2>\n"
        guard !actions.isEmpty else { return html + "<p>No decisions yet (or the action module is off).</p>\n" }
        html += "<table><tr><th>when</th><th>domain</th><th>action</th><th>decision</th><th>outcome</th></tr>\n"
        for record in actions.prefix(20) {
            let outcome = record.result?.rawValue ?? record.status.rawValue
            html += "<tr><td>\(Self.ago(now - record.time))</td><td>\(escape(record.domain ?? "–"))</td>"
            html += "<td>\(escape(record.action?.rawValue ?? "–"))</td>"
            html += "<td>\(escape(record.decision.kind.rawValue)): \(escape(record.decision.reason.rawValue))</td>"
            html += "<td>\(escape(outcome))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// Domains left alone whatever the alerts say: quarantined, restart budget spent, in maintenance.
    private func remediationHolds(_ holds: [RemediationHold], now: Double) -> String {
        guard !holds.isEmpty else { return "" }
        var html = "<h3>Left alone</h3>\n<table><tr><th>domain</th><th>why</th><th>since</th><th>until</th>"
        html += "<th>by</th><th>reason</th></tr>\n"
        for hold in holds {
            let until =
                hold.until.map { "in " + Self.ago($0 - now).replacingOccurrences(of: " ago", with: "") }
                ?? (hold.kind == .maintenance ? "ended by a person" : "released through the API")
            html += "<tr><td>\(escape(hold.domain))</td><td>\(escape(hold.kind.rawValue))</td>"
            html += "<td>\(hold.since.map { Self.ago(now - $0) } ?? "–")</td><td>\(escape(until))</td>"
            html += "<td>\(escape(hold.by ?? "–"))</td><td>\(escape(hold.reason ?? "–"))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// HTML text and attribute escaping.
    func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func bytes(_ value: Double) -> String {
        let gib = 1_073_741_824.0
        return value >= gib ? String(format: "%.1f GiB", value / gib) : String(format: "%.0f MiB", value / 1_048_576)
    }

    static func ago(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds))
        return switch whole {
        case ..<120: "\(whole) s ago"
        case ..<7200: "\(whole / 60) min ago"
        default: "\(whole / 3600) h ago"
        }
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}h1 small,h2 small{color:#777;font-weight:normal}
        table{border-collapse:collapse;margin-bottom:1.5em}th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
        table.facts th{color:#555}ul{margin:0;padding-left:1.2em}.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}
        .state{font-weight:600}.running{color:#1a7f37}.paused,.pmsuspended,.blocked{color:#9a6700}
        .crashed{color:#cf222e}.shutoff,.shutdown,.nostate{color:#57606a}footer{color:#777;margin-top:2em}
        """
}
