import Foundation
import HostProbe
import Testing

/// The shipped binary gives back the pages it touched only while starting (`--runtime.release-startup-pages`).
@Suite struct StartupPagesAgentTests {
    /// The resident bytes of the agent's mappings that a release may drop, as its smaps shows them now.
    static func releasableResidentBytes(_ pid: pid_t) -> Int? {
        StartupPages.readWhole("/proc/\(pid)/smaps").map {
            StartupPages.releasable(smaps: $0).reduce(0) { $0 + $1.residentBytes }
        }
    }

    static func successfulPasses(_ scrape: Scrape) -> Double {
        scrape.value("kvm_agent_collections_total", ["result": "success"]) ?? 0
    }

    /// After its second pass the agent drops most of its file-backed pages, and goes on collecting and serving:
    /// the code it runs comes back from the page cache, and what it gave back stays out.
    @Test func agentGivesBackStartupPagesAndKeepsServing() async throws {
        let agent = try await AgentProcess(policy: nil, uri: Repo.demoURI, interval: "500ms")
        defer { agent.kill() }
        let released = try await agent.daemon.wait(for: "start-up pages given back", within: .seconds(30)) {
            agent.daemon.log.contains("gave back start-up pages")
        }
        try #require(released)
        let line = try #require(
            agent.daemon.log.split(separator: "\n").first { $0.contains("gave back start-up pages") })
        // The binary and the libraries libvirt loads: many mappings, megabytes of them.
        let mappings = try #require(line.firstMatch(of: /mappings=(\d+)/).flatMap { Int($0.1) })
        let mebibytes = try #require(line.firstMatch(of: /resident_before_mib=([\d.]+)/).flatMap { Double($0.1) })
        #expect(mappings >= 10, "\(line)")
        #expect(mebibytes >= 5, "\(line)")

        // Three more passes, each scraped: every domain still there, and the pages that came back are fewer
        // than those that went.
        let passes = Self.successfulPasses(try await agent.scrape { Self.successfulPasses($0) >= 2 })
        let later = try await agent.scrape { Self.successfulPasses($0) >= passes + 3 }
        #expect(later.series("kvm_domain_state").count == 7 * 8)
        #expect(later.state(of: "vm_centos7") == "running")
        // What the agent logged as resident in those mappings just before, against what its smaps shows now.
        let after = try #require(Self.releasableResidentBytes(agent.daemon.pid))
        #expect(
            Double(after) < mebibytes * 1_048_576 * 0.8, "\(line); \(after) B resident in them three passes later")
    }

    @Test func keepsThemWhenTold() async throws {
        let agent = try await AgentProcess(
            policy: nil, uri: Repo.demoURI, extra: ["--no-runtime.release-startup-pages"], interval: "500ms")
        defer { agent.kill() }
        _ = try await agent.scrape { Self.successfulPasses($0) >= 4 }
        #expect(!agent.daemon.log.contains("gave back start-up pages"))
    }
}
