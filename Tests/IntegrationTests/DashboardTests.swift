import Foundation
import HTTPTypes
import Libvirt
import Testing

/// The Grafana dashboards in dashboards/: every query is valid PromQL (promtool), names only metrics the
/// agent exports, and returns data from a real Prometheus scraping the agent on a real libvirtd with
/// guests; the template variables resolve. Part of the serialized real-libvirtd suite.
extension RealLibvirtdTests {
    /// Queries allowed to come back empty here, and why.
    static let emptyAllowed: [String: String] = [
        "kvm_domain_balloon_usable_bytes": "needs the guest's balloon driver; the test guests have none",
        // Series of events that do not happen on a healthy host; RealLibvirtdDiskEventsTests makes each
        // happen for real and checks it on /metrics.
        "kvm_domain_io_errors_total": "no disk fails here",
        "kvm_domain_block_threshold_exceeded_total": "no block threshold is set here",
        "kvm_domain_job_data_remaining_bytes": "no job runs here",
        "kvm_domain_job_data_processed_bytes": "no job runs here",
        "kvm_domain_job_memory_dirty_rate_bytes_per_second": "no migration runs here",
        "kvm_domain_watchdog_events_total": "no watchdog fires here",
        "kvm_agent_remediation_maintenance_until_timestamp_seconds": "no maintenance is set here",
        "kvm_domain_resets_total": "no guest is reset here",
        "kvm_domain_guest_agent_responsive": "no guest agent stops answering here (the series is 1 or absent)",
    ]

    struct DashboardQuery {
        var dashboard: String
        var panel: String
        var expr: String
    }

    static func dashboardQueries() throws -> (queries: [DashboardQuery], variables: [String: String]) {
        let folder = Repo.root.appending(path: "dashboards")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        try #require(files.count == 3, "expected three dashboards, found \(files)")
        var queries: [DashboardQuery] = []
        var variables: [String: String] = [:]
        for file in files.sorted() {
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appending(path: file))) as? [String: Any]
            )
            for panel in json["panels"] as? [[String: Any]] ?? [] {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    let expr = try #require(target["expr"] as? String, "\(file): a target without expr")
                    queries.append(DashboardQuery(dashboard: file, panel: panel["title"] as? String ?? "?", expr: expr))
                }
            }
            let annotations = (json["annotations"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            for annotation in annotations {
                if let expr = annotation["expr"] as? String {
                    queries.append(DashboardQuery(dashboard: file, panel: "annotation", expr: expr))
                }
            }
            let templating = (json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            for variable in templating where variable["type"] as? String == "query" {
                variables[try #require(variable["name"] as? String)] = variable["definition"] as? String
            }
        }
        return (queries, variables)
    }

    @Test(.enabled(if: AlertingStack.available))
    func dashboardQueriesReturnDataFromARealHost() async throws {
        // The halted guest with a tap interface besides its disk: libvirt makes the tap device itself
        // (type ethernet, no bridge), so the interface has counters.
        let guest = try Guest(.halted, purpose: "dash")
        defer { guest.remove() }
        let libvirt = try RealLibvirtd.connect()
        // A running pool for the storage panels: this libvirtd has none of its own.
        let pool = try TemporaryPool(purpose: "dash", on: libvirt)
        defer { pool.remove() }
        let domain = try libvirt.define(
            xml: guest.xml.replacingOccurrences(
                of: "</devices>", with: "<interface type='ethernet'><model type='virtio'/></interface></devices>"))
        try await offPool { try domain.create() }
        // A guest with a QEMU guest agent for the guest panels, and a defined-only nova instance for the
        // orchestrator ones.
        let withAgent = try Guest(.linux, purpose: "dash-agent")
        defer { withAgent.remove() }
        try await offPool { try withAgent.define(on: libvirt).create() }
        let nova = try Guest(.halted, purpose: "dash-nova")
        defer { nova.remove() }
        _ = try libvirt.define(
            xml: nova.xml.replacingOccurrences(
                of: "</name>",
                with: #"</name><metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">"#
                    + #"<nova:name>dash</nova:name><nova:flavor name="m1.tiny"/><nova:owner>"#
                    + #"<nova:project uuid="3c1d2b7e0100">kvm-agent-tests</nova:project></nova:owner></nova:instance>"#
                    + "</metadata>"))
        let fixture = try RemediationFixture(
            domains: [guest.name],
            rules: "  - name: r\n    alertname: Rehearsal\n    action: shutdown\n    dry_run: true\n")
        defer { fixture.remove() }
        let agent = try await AgentProcess(
            policy: fixture.policyPath, extra: ["--collector.interval", "1s", "--collector.guest-agent.interval", "1s"])
        defer { agent.kill() }
        try await agent.waitUntilReady(domain: guest.name)
        // One decision, so that the decision counter has a series.
        _ = try agent.post(
            "/api/v1/alertmanager",
            RemediationFixture.notification(
                alert: "Rehearsal", domain: guest.name, instance: "127.0.0.1:\(agent.port)"))
        let stack = try AlertingStack(
            ruleFiles: [],
            scrapeConfigs: "  - job_name: kvm\n    static_configs: [{targets: [\"127.0.0.1:\(agent.port)\"]}]\n",
            alertmanagerConfig: "route: {receiver: \"null\"}\nreceivers: [{name: \"null\"}]\n",
            directory: fixture.directory)
        defer { stack.stop() }
        func instant(_ expr: String) throws -> [[String: Any]] {
            let answer = try curl([
                "--data-urlencode", "query=\(expr)", "http://127.0.0.1:\(stack.prometheusPort)/api/v1/query",
            ])
            return ((answer.json["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        }
        // Enough samples for rates over 5 s windows.
        #expect(
            try await stack.prometheus.wait(for: "ten scrapes", within: .seconds(60)) {
                let samples = try instant("count_over_time(kvm_libvirt_up[1m])").first?["value"] as? [Any]
                return Double(samples?.last as? String ?? "") ?? 0 >= 10
            })

        // Lifecycle events while Prometheus watches, for the domain dashboard's annotations: a counter's
        // first sample is not a change, so pause and resume twice, the second time once Prometheus has
        // the counter.
        try domain.suspend()
        try domain.resume()
        #expect(
            try await stack.prometheus.wait(for: "the resumed counter", within: .seconds(30)) {
                try !instant(#"kvm_domain_lifecycle_events_total{event="resumed", domain=""# + guest.name + #""}"#)
                    .isEmpty
            })
        try domain.suspend()
        try domain.resume()
        // This guest's counter in both waits, as the annotation asks: other tests' guests on the same libvirtd
        // pause and resume too, and their counters said nothing about this one's.
        #expect(
            try await stack.prometheus.wait(for: "a change of the resumed counter", within: .seconds(30)) {
                try !instant(
                    #"changes(kvm_domain_lifecycle_events_total{event="resumed", domain=""# + guest.name
                        + #""}[1m]) > 0"#
                ).isEmpty
            })

        // The guest agent answers once the Linux guest has booted, which on a loaded machine takes a while.
        #expect(
            try await stack.prometheus.wait(for: "the guest agent's file systems", within: .seconds(120)) {
                try !instant(#"kvm_domain_guest_filesystem_size_bytes{domain=""# + withAgent.name + #""}"#).isEmpty
            })

        let (queries, variables) = try Self.dashboardQueries()
        let instance = "127.0.0.1:\(agent.port)"
        func substitute(_ expr: String) -> String {
            expr.replacingOccurrences(of: "$instance", with: instance)
                .replacingOccurrences(
                    of: "$domain", with: [guest.name, withAgent.name, nova.name].joined(separator: "|")
                )
                .replacingOccurrences(of: "$__rate_interval", with: "5s")
        }
        // Valid PromQL, offline: every query as a recording rule for promtool.
        let rules = queries.enumerated().map { index, query in
            "      - record: dashboard:query_\(index)\n        expr: '\(substitute(query.expr).replacingOccurrences(of: "'", with: "''"))'"
        }
        let rulesFile = fixture.directory.appending(path: "dashboard-queries.rules.yml").path
        try ("groups:\n  - name: dashboards\n    rules:\n" + rules.joined(separator: "\n") + "\n").write(
            toFile: rulesFile, atomically: true, encoding: .utf8)
        let checked = try await runOffPool(try #require(which("promtool")), ["check", "rules", rulesFile])
        #expect(checked.status == 0, "\(checked.output)")

        // Only metrics the agent exports.
        let exported = Set(
            try agent.curl(["\(agent.base)/metrics"]).text.split(separator: "\n").compactMap { line -> String? in
                line.hasPrefix("# HELP ") ? line.dropFirst(7).split(separator: " ").first.map(String.init) : nil
            })
        for query in queries {
            for name in Self.metricNames(in: query.expr) where Self.emptyAllowed[name] == nil {
                #expect(exported.contains(name), "\(query.dashboard) / \(query.panel): \(name) is not exported")
            }
        }

        // Data for every query.
        for query in queries {
            let result = try instant(substitute(query.expr))
            if result.isEmpty, let reason = Self.emptyAllowed.first(where: { query.expr.contains($0.key) })?.value {
                print("kvm-agent dashboards: \(query.panel) empty here: \(reason)")
                continue
            }
            #expect(!result.isEmpty, "\(query.dashboard) / \(query.panel): no data for \(substitute(query.expr))")
        }

        // Template variables resolve to this host and its domains.
        let instances = try instant(#"group by (instance) (kvm_libvirt_up)"#).compactMap {
            ($0["metric"] as? [String: String])?["instance"]
        }
        #expect(instances.contains(instance))
        #expect(variables["instance"] == "label_values(kvm_libvirt_up, instance)")
        #expect(variables["domain"]?.contains("kvm_domain_info") == true)
        let domains = try instant(#"group by (domain) (kvm_domain_info{instance=~"\#(instance)"})"#).compactMap {
            ($0["metric"] as? [String: String])?["domain"]
        }
        #expect(domains.contains(guest.name), "\(domains)")
    }

    /// `kvm_…` names in a query, with histogram suffixes taken back to the family.
    static func metricNames(in expr: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(expr)
        while let start = rest.range(of: "kvm_") {
            let name = rest[start.lowerBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            var family = String(name)
            for suffix in ["_bucket", "_sum", "_count"] where family.hasSuffix(suffix) {
                family = String(family.dropLast(suffix.count))
            }
            names.insert(family)
            rest = rest[name.endIndex...]
        }
        return names
    }
}
