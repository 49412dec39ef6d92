import Foundation
import HTTPTypes
import Testing

/// The kvm-agent binary as a separate process, for tests that kill it.
struct AgentProcess {
    let daemon: Daemon
    let port: Int

    let scheme: String
    /// Added to every curl call: CA file, credentials.
    var curlOptions: [String] = []

    init(
        policy: String?, uri: String = RealLibvirtd.uri, extra: [String] = [], tls: Bool = false, port: Int? = nil,
        interval: String = "10m", environment: [String: String] = [:]
    ) async throws {
        scheme = tls ? "https" : "http"
        var attempts = 0
        while true {
            let chosen = try port ?? Self.freePort()
            let arguments =
                [
                    "--web.listen-address", "127.0.0.1:\(chosen)", "--libvirt.uri", uri, "--collector.interval",
                    interval,
                ] + (policy.map { ["--config.file", $0] } ?? []) + extra
            let started = try Daemon("agent", Repo.agentBinary.path, arguments, environment: environment)
            // A port found free here can be taken by another test's connection before the agent binds it (seen
            // once in the full suite); the agent then exits with "address already in use", and starts again on
            // another port. A port the test chose is left to the test.
            attempts += 1
            let lost: Bool
            do {
                lost = try await started.lostPort(chosen, within: .seconds(15))
            } catch {
                started.stop()
                throw error
            }
            if port == nil, attempts < 4, lost {
                started.stop()
                continue
            }
            self.port = chosen
            daemon = started
            return
        }
    }

    var base: String { "\(scheme)://127.0.0.1:\(port)" }

    /// SIGKILL and reap; safe to call twice.
    func kill() { daemon.stop() }

    func curl(_ arguments: [String]) throws -> APIAnswer {
        try IntegrationTests.curl(arguments, options: curlOptions)
    }

    func post(_ path: String, _ json: String, token: String = RemediationFixture.webhookToken) throws -> APIAnswer {
        try curl([
            "-X", "POST", "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json",
            "--data-binary", json, "\(base)\(path)",
        ])
    }

    func get(_ path: String, token: String = RemediationFixture.apiToken) throws -> APIAnswer {
        try curl(["-H", "Authorization: Bearer \(token)", "\(base)\(path)"])
    }

    /// Until the agent lists `domain` on /metrics with its definition read.
    /// Scrapes every 100 ms until `condition` holds of the answer, for up to `deadline`; the last scrape either
    /// way, with an issue recorded when the condition never held.
    func scrape(within deadline: Duration = .seconds(30), until condition: (Scrape) -> Bool) async throws -> Scrape {
        var last = Scrape("")
        let met = try await poll(within: deadline, every: .milliseconds(100)) { () async throws -> Bool? in
            // curl runs off the cooperative threads: this loop runs while many suites start at once.
            let agent = self
            last = Scrape(try await offPool { try agent.curl(["\(agent.base)/metrics"]).text })
            return condition(last) ? true : nil
        }
        if met == nil { Issue.record("condition never met:\n\(last.text.prefix(2000))") }
        return last
    }

    func waitUntilReady(domain: String, within deadline: Duration = .seconds(30)) async throws {
        let ready = try await daemon.wait(for: "\(domain) on /metrics", within: deadline) {
            let answer = try curl(["\(base)/metrics"])
            return answer.status == .ok && Scrape(answer.text).knownState(of: domain) != nil
        }
        if !ready { throw CancellationError() }
    }

    func waitForAction(_ id: String, status: String, within deadline: Duration = .seconds(30)) async throws -> Bool {
        try await daemon.wait(for: "action \(id) \(status)", within: deadline) {
            try get("/api/v1/actions/\(id)").json["status"] as? String == status
        }
    }

    static func freePort() throws -> Int {
        let (fd, port) = try boundLoopbackSocket()
        close(fd)
        return port
    }

    /// A TCP socket bound to a free port on 127.0.0.1, and the port. Close-on-exec: programs the tests start get
    /// only the descriptors passed to them on purpose.
    static func boundLoopbackSocket() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
