import Foundation
import HTTPTypes
import Testing

/// The agent as its unit runs it: an unprivileged user without CAP_SYS_NICE, whose libdispatch manager thread
/// cannot have the nice value -4 it asks for. The agent keeps libdispatch from logging that at every start
/// (issue 15). setpriv needs root; strace shows what would reach syslog, which has no socket on test machines.
@Suite(
    .enabled(if: geteuid() == 0, "setpriv needs root to run the agent as nobody"),
    .enabled(if: which("strace") != nil, "needs strace (Debian package strace)"),
    .enabled(if: Nobody.canRunTheAgent, "the agent binary's path is closed to nobody"))
struct ThreadPriorityLogTests {
    static let libdispatchLine = "Failed to set thread priority"

    @Test func startPassesAndStopAsNobodyLogNothingFromLibdispatch() async throws {
        let trace = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-\(UUID().uuidString).strace")
        defer { try? FileManager.default.removeItem(at: trace) }
        let port = try AgentProcess.freePort()
        // LIBDISPATCH_LOG unset, as under the unit: libdispatch's default is syslog, and glibc's syslog()
        // connects to /dev/log to send a message, whether a socket is there or not.
        let strace = try Daemon(
            "agent", "/usr/bin/strace",
            ["-f", "-qq", "-e", "trace=connect", "-o", trace.path, "--", "/usr/bin/env", "-u", "LIBDISPATCH_LOG"]
                + Nobody.agent(port: port))
        var reaped = false
        defer { if !reaped { strace.stop() } }

        let served = try await strace.wait(for: "three collection passes on /metrics", within: .seconds(30)) {
            let answer = try curl(["http://127.0.0.1:\(port)/metrics"])
            return answer.status == .ok
                && (Scrape(answer.text).value("kvm_agent_collections_total", ["result": "success"]) ?? 0) >= 3
        }
        try #require(served)
        // strace's child is the agent: env and setpriv exec it.
        let children = try String(contentsOfFile: "/proc/\(strace.pid)/task/\(strace.pid)/children", encoding: .utf8)
        let agent = try #require(pid_t(children.trimmingCharacters(in: .whitespacesAndNewlines)), "\(children)")
        #expect(kill(agent, SIGTERM) == 0)
        // strace exits with the agent's status.
        let status = try await strace.exitStatus(within: .seconds(20))
        reaped = status != nil
        #expect(status == 0, "\(strace.log.suffix(3000))")

        #expect(!strace.log.contains(Self.libdispatchLine), "\(strace.log)")
        let syslog = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n").filter {
            $0.contains("\"/dev/log\"")
        }
        #expect(syslog.isEmpty, "\(syslog)")
    }

    /// An operator who asks for libdispatch's messages gets them, this one included. If libdispatch stops
    /// asking for a priority an unprivileged process cannot have, this fails: `Entry.quietLibdispatch` can go.
    @Test func anOperatorsLibdispatchLogSettingIsKept() async throws {
        let command = Nobody.agent(port: try AgentProcess.freePort())
        let agent = try Daemon(
            "agent", command[0], Array(command.dropFirst()), environment: ["LIBDISPATCH_LOG": "stderr"])
        defer { agent.stop() }
        let logged = try await agent.wait(for: "libdispatch's line on stderr", within: .seconds(20)) {
            agent.log.contains(Self.libdispatchLine)
        }
        #expect(logged)
    }
}

/// The agent run as nobody (uid 65534), the stand-in for the unit's unprivileged user, without capabilities.
enum Nobody {
    static let setpriv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]

    /// The command that runs the agent on the test driver's host, collecting every second.
    static func agent(port: Int) -> [String] {
        setpriv + [
            Repo.agentBinary.path, "--web.listen-address", "127.0.0.1:\(port)", "--libvirt.uri", "test:///default",
            "--collector.interval", "1s",
        ]
    }

    /// False where the binary's path is closed to nobody (a checkout under /root).
    static var canRunTheAgent: Bool {
        (try? run(setpriv[0], Array(setpriv.dropFirst()) + ["/usr/bin/test", "-x", Repo.agentBinary.path]).status) == 0
    }
}
