import Foundation
import HTTPTypes
import Libvirt
import Testing

/// Fifty concurrent scrapers for a minute (wrk) against the agent binary on a real libvirtd with running
/// guests. It loads both cores on purpose, so it runs on its own: scripts/test.sh starts it after the rest
/// of the suite with KVM_AGENT_LOAD_TEST=1, on the binary the .deb ships (KVM_AGENT_BINARY).
@Suite(.serialized, .enabled(if: LoadTest.enabled))
struct ScrapeLoadTests {
    @Test func fiftyConcurrentScrapersForAMinute() async throws {
        let wrk = try #require(which("wrk"), "wrk is not installed (scripts/test.sh installs it)")
        try RealLibvirtd.ensureUp()
        let guests = try (0..<2).map { try Guest(.halted, purpose: "load\($0)") }
        defer { guests.forEach { $0.remove() } }
        let libvirt = try RealLibvirtd.connect()
        for guest in guests { try await offPool { try guest.define(on: libvirt).create() } }
        let agent = try await AgentProcess(policy: nil, interval: "2s")
        defer { agent.kill() }
        for guest in guests { try await agent.waitUntilReady(domain: guest.name) }
        let url = "\(agent.base)/metrics"

        // Idle: how many libvirt calls the collector makes per second with one scraper (this test).
        let idleStart = try Reading(agent)
        try await Task.sleep(for: .seconds(20))
        let idle = try Reading(agent).since(idleStart)

        // Warm-up, so that connection buffers and the allocator's pools exist before memory is compared.
        _ = try run(wrk, ["-t2", "-c50", "-d5s", url])
        let loadStart = try Reading(agent)
        let result = try run(wrk, ["-t2", "-c50", "-d60s", "--timeout", "5s", "--latency", url])
        let load = try Reading(agent).since(loadStart)
        let report = WrkReport(result.output)
        print(
            """
            kvm-agent load: \(report.requests) scrapes in 60 s (\(report.requestsPerSecond)/s), latency \
            p50 \(report.latency["50%"] ?? "?") p99 \(report.latency["99%"] ?? "?"); libvirt calls \
            \(idle.callsPerSecond)/s idle, \(load.callsPerSecond)/s under load; collector passes \
            \(idle.passes) in \(idle.seconds) s idle, \(load.passes) in \(load.seconds) s under load; \
            resident memory \(loadStart.residentBytes / 1_048_576) MiB before, \
            \(load.endResidentBytes / 1_048_576) MiB after
            """)

        #expect(result.status == 0, "\(result.output)")
        #expect(report.requests > 1000, "\(result.output)")
        #expect(report.socketErrors == nil, "\(result.output)")
        #expect(report.non2xx == nil, "\(result.output)")
        // Scrapes read memory: the collector's calls keep their pace whatever the scrape rate.
        #expect(load.passes > 0 && idle.passes > 0)
        // A pass in progress at either reading is counted by its calls but not yet as a pass: hence the slack.
        #expect(
            load.callsPerPass <= idle.callsPerPass * 1.25 + 0.5,
            "libvirt calls per collector pass: \(idle.callsPerPass) idle, \(load.callsPerPass) under load")
        #expect(load.calls < report.requests / 100, "libvirt calls track scrapes")
        // And keep their pace: the collector runs on a thread of its own, not behind the scrapes.
        #expect(
            Double(load.passes) >= Double(load.seconds) / 2 * 0.7,
            "\(load.passes) collector passes in \(load.seconds) s at a 2 s interval")
        #expect(
            load.endResidentBytes <= loadStart.residentBytes + loadStart.residentBytes / 10 + (4 << 20),
            "resident memory grew under load: \(loadStart.residentBytes) → \(load.endResidentBytes) bytes")
        #expect(try agent.curl([url]).status == .ok, "the agent answers after the load")
    }
}

enum LoadTest {
    static var enabled: Bool { ProcessInfo.processInfo.environment["KVM_AGENT_LOAD_TEST"] == "1" }
}

/// The agent's libvirt call and collector pass counters from one scrape, and its resident memory.
private struct Reading {
    let at = Date()
    let calls: Double
    let passes: Double
    let residentBytes: Int

    init(_ agent: AgentProcess) throws {
        let scrape = Scrape(try agent.curl(["\(agent.base)/metrics"]).text)
        calls = scrape.series("kvm_agent_libvirt_calls_total").reduce(0) { $0 + $1.value }
        passes = scrape.series("kvm_agent_collections_total").reduce(0) { $0 + $1.value }
        let status = try String(contentsOfFile: "/proc/\(agent.daemon.pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        residentBytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])) * 1024
    }

    struct Difference {
        let calls: Int
        let passes: Int
        let seconds: Int
        let endResidentBytes: Int
        var callsPerSecond: Double { (Double(calls) / Double(max(seconds, 1)) * 10).rounded() / 10 }
        var callsPerPass: Double { Double(calls) / Double(max(passes, 1)) }
    }

    func since(_ start: Reading) -> Difference {
        Difference(
            calls: Int(calls - start.calls), passes: Int(passes - start.passes),
            seconds: Int(at.timeIntervalSince(start.at).rounded()), endResidentBytes: residentBytes)
    }
}

/// What wrk printed: requests, latency percentiles, and the error lines it prints only when there were any.
private struct WrkReport {
    var requests = 0
    var requestsPerSecond = ""
    var latency: [String: String] = [:]
    var socketErrors: String?
    var non2xx: String?

    init(_ output: String) {
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if line.contains("requests in"), let count = Int(fields[0]) { requests = count }
            if line.hasPrefix("Requests/sec:"), fields.count > 1 { requestsPerSecond = fields[1] }
            if fields.count == 2, fields[0].hasSuffix("%") { latency[fields[0]] = fields[1] }
            if line.hasPrefix("Socket errors:") { socketErrors = line }
            if line.hasPrefix("Non-2xx or 3xx responses:") { non2xx = line }
        }
    }
}
