import Foundation
import Testing

/// The shipped binary gives back the pages it touched only while starting (`--runtime.release-startup-pages`).
@Suite struct StartupPagesAgentTests {
    /// The process's file-backed resident memory, from /proc/PID/status.
    static func fileResidentBytes(_ pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssFile:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kib * 1024
    }

    static func successfulPasses(_ scrape: Scrape) -> Double {
        scrape.value("kvm_agent_collections_total", ["result": "success"]) ?? 0
    }

    /// After its second pass the agent drops most of its file-backed pages, and goes on collecting and serving:
    /// the code it runs comes back from the page cache, and what it gave back stays out.
    @Test func agentGivesBackStartupPagesAndKeepsServing() async throws {
        let agent = try await AgentProcess(policy: nil, uri: Repo.demoURI, interval: "500ms")
        defer { agent.kill() }
        var before = 0
        let released = try await agent.daemon.wait(for: "start-up pages given back", within: .seconds(30)) {
            if agent.daemon.log.contains("gave back start-up pages") { return true }
            before = Self.fileResidentBytes(agent.daemon.pid) ?? before
            return false
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
        let after = try #require(Self.fileResidentBytes(agent.daemon.pid))
        #expect(before > 0)
        #expect(Double(after) < Double(before) * 0.8, "file-backed resident: \(before) B before, \(after) B after")
    }

    @Test func keepsThemWhenTold() async throws {
        let agent = try await AgentProcess(
            policy: nil, uri: Repo.demoURI, extra: ["--no-runtime.release-startup-pages"], interval: "500ms")
        defer { agent.kill() }
        _ = try await agent.scrape { Self.successfulPasses($0) >= 4 }
        #expect(!agent.daemon.log.contains("gave back start-up pages"))
    }
}
