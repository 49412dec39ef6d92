import Foundation
import Testing

/// The agent binary raises its soft open-file limit to the hard one, as Go programs do, and warns when even
/// that leaves no room for `--web.max-connections`.
@Suite struct DescriptorLimitTests {
    @Test func theSoftLimitIsRaisedToTheHardOne() async throws {
        let agent = try Self.agent(nofile: "100:4096", maxConnections: 512)
        defer { agent.stop() }
        let raised = try await agent.wait(for: "the soft limit raised to 4096", within: .seconds(20)) {
            try Self.softLimit(agent.pid) == 4096
        }
        #expect(raised)
        #expect(!agent.log.contains("open-file limit too low"), "\(agent.log)")
    }

    @Test func aLimitBelowTheConnectionCapIsAWarningThatSaysWhatToChange() async throws {
        let agent = try Self.agent(nofile: "100:100", maxConnections: 512)
        defer { agent.stop() }
        let warned = try await agent.wait(for: "the warning", within: .seconds(20)) {
            agent.log.contains("open-file limit too low")
        }
        #expect(warned)
        #expect(agent.log.contains("limit=100"), "\(agent.log)")
        #expect(agent.log.contains("needed=576"), "\(agent.log)")
        #expect(agent.log.contains("LimitNOFILE"), "\(agent.log)")
        #expect(try Self.softLimit(agent.pid) == 100)
    }

    static func agent(nofile: String, maxConnections: Int) throws -> Daemon {
        let port = try AgentProcess.freePort()
        return try Daemon(
            "agent", "/usr/bin/prlimit",
            [
                "--nofile=\(nofile)", "--", Repo.agentBinary.path, "--web.listen-address", "127.0.0.1:\(port)",
                "--libvirt.uri", Repo.demoURI, "--web.max-connections", "\(maxConnections)",
            ])
    }

    /// The soft "Max open files" of a process, from /proc/PID/limits.
    static func softLimit(_ pid: pid_t) throws -> Int {
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        return try #require(Int(fields[0]))
    }
}
