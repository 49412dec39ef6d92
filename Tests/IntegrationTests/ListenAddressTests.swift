import Foundation
import HTTPTypes
import Testing

/// `--web.listen-address` as node_exporter's: `:PORT` is both address families, the flag repeats, and an address
/// that cannot be listened on stops the start naming it.
@Suite struct ListenAddressTests {
    /// The agent binary on `addresses`; waits until each answers /metrics.
    func start(_ addresses: [String], answering urls: [String]) async throws -> Daemon {
        let agent = try Daemon(
            "agent", Repo.agentBinary.path,
            addresses.flatMap { ["--web.listen-address", $0] } + ["--libvirt.uri", Repo.demoURI])
        for url in urls {
            let answered = try await agent.wait(for: "an answer on \(url)", within: .seconds(30)) {
                try curl(["\(url)/metrics"]).status == .ok
            }
            if !answered {
                agent.stop()
                throw CancellationError()
            }
        }
        return agent
    }

    @Test func portAloneListensOnIPv4AndIPv6() async throws {
        let port = try AgentProcess.freePort()
        let agent = try await start([":\(port)"], answering: ["http://127.0.0.1:\(port)"])
        defer { agent.stop() }
        let v6 = try curl(["-6", "http://[::1]:\(port)/metrics"])
        #expect(v6.status == .ok, "\(agent.log.suffix(2000))")
        #expect(v6.text.contains("kvm_agent_"))
    }

    @Test func repeatedFlagListensOnEach() async throws {
        let first = try AgentProcess.freePort()
        let second = try AgentProcess.freePort()
        let agent = try await start(
            ["127.0.0.1:\(first)", "[::1]:\(second)"],
            answering: ["http://127.0.0.1:\(first)", "http://[::1]:\(second)"])
        defer { agent.stop() }
        // Each listens where it was told only.
        #expect(try curl(["http://127.0.0.1:\(second)/metrics"]).status.code == 0)
    }

    /// 192.0.2.1 (TEST-NET-1) is no address of this host: binding it fails with EADDRNOTAVAIL.
    @Test func unusableAddressFailsTheStartNamingIt() async throws {
        let good = try AgentProcess.freePort()
        let bad = "192.0.2.1:\(try AgentProcess.freePort())"
        let agent = try Daemon(
            "agent", Repo.agentBinary.path,
            ["--web.listen-address", "127.0.0.1:\(good)", "--web.listen-address", bad, "--libvirt.uri", Repo.demoURI])
        let status = try await agent.exitStatusOrStop(within: .seconds(30))
        #expect(status == 2, "\(agent.log)")
        #expect(agent.log.contains("cannot listen on \(bad)"), "\(agent.log)")
    }

    /// What `AgentProcess` relies on to start again on another port: an agent whose port another socket holds is
    /// seen to have lost it, and its exit stays for the test to reap; one that listens is not.
    @Test func theTestsSeeALostPort() async throws {
        let (held, port) = try AgentProcess.boundLoopbackSocket()
        defer { close(held) }
        guard listen(held, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
        let blocked = try Daemon(
            "agent", Repo.agentBinary.path,
            ["--web.listen-address", "127.0.0.1:\(port)", "--libvirt.uri", Repo.demoURI])
        #expect(try await blocked.lostPort(port, within: .seconds(30)), "\(blocked.log)")
        #expect(try await blocked.exitStatusOrStop(within: .seconds(30)) == 2, "still reapable: \(blocked.log)")

        let free = try AgentProcess.freePort()
        let listening = try Daemon(
            "agent", Repo.agentBinary.path,
            ["--web.listen-address", "127.0.0.1:\(free)", "--libvirt.uri", Repo.demoURI])
        defer { listening.stop() }
        #expect(try await !listening.lostPort(free, within: .seconds(30)), "\(listening.log)")
        #expect(listening.log.contains("listening on"))
    }
}

/// A host without IPv6 at all (`ipv6.disable=1`: creating an IPv6 socket fails with EAFNOSUPPORT), made for the
/// agent alone by a preloaded `socket()` that refuses AF_INET6.
@Suite struct IPv4OnlyHostTests {
    static let shim = """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <errno.h>
        #include <sys/socket.h>
        int socket(int domain, int type, int protocol) {
            static int (*real)(int, int, int);
            if (!real) real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
            if (domain == AF_INET6) { errno = EAFNOSUPPORT; return -1; }
            return real(domain, type, protocol);
        }
        """

    @Test(.enabled(if: which("clang") != nil)) func portAloneFallsBackToIPv4() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-nov6-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appending(path: "nov6.c").path
        let library = directory.appending(path: "nov6.so").path
        try Self.shim.write(toFile: source, atomically: true, encoding: .utf8)
        let built = try await runOffPool(
            try #require(which("clang")), ["-shared", "-fPIC", "-o", library, source, "-ldl"])
        try #require(built.status == 0, "\(built.output)")
        let port = try AgentProcess.freePort()
        let agent = try Daemon(
            "agent", Repo.agentBinary.path, ["--web.listen-address", ":\(port)", "--libvirt.uri", Repo.demoURI],
            environment: ["LD_PRELOAD": library])
        defer { agent.stop() }
        #expect(
            try await agent.wait(for: "an answer on IPv4", within: .seconds(30)) {
                try curl(["http://127.0.0.1:\(port)/healthz"]).status == .ok
            })
        #expect(agent.log.contains("no IPv6 on this host"), "\(agent.log.suffix(2000))")
    }
}
