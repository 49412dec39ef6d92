import Foundation
import HTTPTypes
import Testing

/// The kvm-agent binary as a separate process, for tests that kill it.
struct AgentProcess {
    let pid: pid_t
    let port: Int
    let logPath: String

    let scheme: String
    /// Added to every curl call: CA file, credentials.
    var curlOptions: [String] = []

    init(policy: String?, uri: String = RealLibvirtd.uri, extra: [String] = [], tls: Bool = false) throws {
        scheme = tls ? "https" : "http"
        port = try Self.freePort()
        logPath = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-\(UUID().uuidString).log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments =
            [
                Repo.agentBinary.path, "--web.listen-address", "127.0.0.1:\(port)", "--libvirt.uri", uri,
                "--collector.interval", "10m",
            ] + (policy.map { ["--config.file", $0] } ?? []) + extra
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        self.pid = pid
    }

    var base: String { "\(scheme)://127.0.0.1:\(port)" }

    /// SIGKILL and reap; safe to call twice.
    func kill() {
        _ = Foundation.kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    func curl(_ arguments: [String]) throws -> APIAnswer {
        let result = try run(
            "/usr/bin/curl", ["-s", "-m", "5", "-w", "\n%{http_code}"] + curlOptions + arguments)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let code = Int(lines.last ?? "") ?? 0
        return APIAnswer(status: .init(code: code), text: lines.dropLast().joined(separator: "\n"))
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

    /// Until the agent lists `domain` on /metrics.
    func waitUntilReady(domain: String, within deadline: Duration = .seconds(30)) async throws {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if let answer = try? curl(["\(base)/metrics"]), answer.status == .ok,
                Scrape(answer.text).state(of: domain) != nil
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        Issue.record("agent not ready within \(deadline):\n\(log)")
        throw CancellationError()
    }

    func waitForAction(_ id: String, status: String, within deadline: Duration = .seconds(30)) async throws -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if try get("/api/v1/actions/\(id)").json["status"] as? String == status { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
