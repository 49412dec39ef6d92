import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// /metrics in both formats a Prometheus asks for: text 0.0.4 and OpenMetrics 1.0.0, each checked by Prometheus's
/// own parsers (promtool for text; promtool's OpenMetrics backfill parser and a real scrape for OpenMetrics).
@Suite struct ExpositionFormatTests {
    static let openMetricsAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.1"

    @Test func bothFormatsParse() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            let (_, collected) = try await client.scrape(until: { $0.text.contains("kvm_domain_") })
            #expect(collected)
            let text = try await client.execute(
                uri: "/metrics", method: .get, headers: [.accept: "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"]
            ) { ($0.headers[.contentType], String(buffer: $0.body)) }
            #expect(text.0 == "text/plain; version=0.0.4; charset=utf-8")
            #expect(try promtoolProblems(text.1) == "")

            let open = try await client.execute(
                uri: "/metrics", method: .get, headers: [.accept: Self.openMetricsAccept]
            ) { ($0.headers[.contentType], String(buffer: $0.body)) }
            #expect(open.0 == "application/openmetrics-text; version=1.0.0; charset=utf-8")
            #expect(open.1.hasSuffix("\n# EOF\n"))
            #expect(open.1.contains("\n# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n"))
            #expect(open.1.contains("\nprocess_cpu_seconds_total "))
            #expect(try openMetricsProblems(open.1) == "")
        }
    }

    /// promtool's OpenMetrics parser (the one `tsdb create-blocks-from openmetrics` backfills with) on `text`; it
    /// wants a timestamp on every sample, which a scrape does not carry, so one is added here.
    func openMetricsProblems(_ text: String) throws -> String {
        let promtool = try #require(which("promtool"), "promtool (Debian package prometheus) is needed")
        let directory = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-om-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stamped = text.split(separator: "\n").map { $0.hasPrefix("#") ? $0 + "\n" : $0 + " 1700000000\n" }.joined()
        let input = directory.appending(path: "scrape.om").path
        try stamped.write(toFile: input, atomically: true, encoding: .utf8)
        let result = try run(
            promtool, ["tsdb", "create-blocks-from", "openmetrics", input, directory.appending(path: "blocks").path])
        return result.status == 0 ? "" : result.output
    }

    /// The version of the installed Prometheus, e.g. (2, 42).
    static func prometheusVersion(_ prometheus: String) throws -> (Int, Int) {
        let output = try run(prometheus, ["--version"]).output
        let version = output.split(separator: " ").drop { $0 != "version" }.dropFirst().first ?? ""
        let parts = version.split(separator: ".").compactMap { Int($0) }
        return (parts.first ?? 0, parts.dropFirst().first ?? 0)
    }

    /// A real Prometheus scrapes the agent binary in each format it can be told to use: Prometheus 2.49 and later
    /// take `scrape_protocols` (one job per format); older ones (Debian 12 has 2.42) ask for OpenMetrics first, so
    /// that is the format they get. Target metadata shows what Prometheus parsed: a unit and a counter family
    /// without `_total` come only from OpenMetrics.
    @Test(.enabled(if: which("prometheus") != nil)) func realPrometheusScrapesEachFormat() async throws {
        let prometheus = try #require(which("prometheus"))
        let agent = try await AgentProcess(policy: nil, uri: Repo.demoURI, interval: "1s")
        defer { agent.kill() }
        let directory = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-prom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let protocols = try Self.prometheusVersion(prometheus) >= (2, 49)
        var jobs = [("openmetrics", "OpenMetricsText1.0.0")]
        if protocols { jobs.append(("text", "PrometheusText0.0.4")) }
        let scrapeConfigs = jobs.map { job, format in
            """
              - job_name: \(job)
                \(protocols ? "scrape_protocols: [\(format)]" : "")
                static_configs: [{targets: ["127.0.0.1:\(agent.port)"]}]
            """
        }.joined(separator: "\n")
        let config = directory.appending(path: "prometheus.yml").path
        try "global: {scrape_interval: 1s}\nscrape_configs:\n\(scrapeConfigs)\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let port = try AgentProcess.freePort()
        let server = try Daemon(
            "prometheus", prometheus,
            [
                "--config.file=\(config)", "--storage.tsdb.path=\(directory.appending(path: "data").path)",
                "--web.listen-address=127.0.0.1:\(port)",
            ])
        defer { server.stop() }
        let api = "http://127.0.0.1:\(port)/api/v1"
        func series(_ query: String) throws -> Int {
            let answer = try curl(["--get", "--data-urlencode", "query=\(query)", "\(api)/query"])
            return ((answer.json["data"] as? [String: Any])?["result"] as? [Any])?.count ?? 0
        }
        for (job, _) in jobs {
            #expect(
                try await server.wait(for: "job \(job) up with the agent's series", within: .seconds(60)) {
                    try series("up{job=\"\(job)\"} == 1") == 1 && series("kvm_libvirt_up{job=\"\(job)\"}") == 1
                        && series("process_cpu_seconds_total{job=\"\(job)\"}") == 1
                        && series("kvm_domain_info{job=\"\(job)\"}") > 0
                }, "agent log:\n\(agent.daemon.log.suffix(2000))")
            let metadata = try curl([
                "--get", "--data-urlencode", "match_target={job=\"\(job)\"}", "--data-urlencode",
                "metric=process_cpu_seconds\(job == "text" ? "_total" : "")", "\(api)/targets/metadata",
            ])
            let entry = (metadata.json["data"] as? [[String: Any]])?.first
            #expect(entry?["type"] as? String == "counter", "\(metadata.text)")
            #expect(entry?["unit"] as? String == (job == "text" ? "" : "seconds"), "\(metadata.text)")
        }
    }
}
