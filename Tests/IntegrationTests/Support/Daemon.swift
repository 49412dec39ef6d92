import Foundation
import HTTPTypes
import Testing

/// A long-running program started for a test (Prometheus, Alertmanager, the agent binary), with its output
/// in a log file. Killed and reaped by `stop()`.
struct Daemon {
    let name: String
    let pid: pid_t
    let logPath: String

    /// `environment` is added to the test process's own; `passing` becomes the program's descriptor 3, where
    /// systemd puts the first socket it passes (a close-on-exec descriptor other than 3: the copy is inherited).
    init(
        _ name: String, _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        passing descriptor: Int32? = nil
    ) throws {
        self.name = name
        logPath =
            FileManager.default.temporaryDirectory.appending(path: "kvm-agent-\(name)-\(UUID().uuidString).log")
            .path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let descriptor {
            precondition(descriptor != 3, "dup2 onto itself would keep close-on-exec")
            posix_spawn_file_actions_adddup2(&actions, descriptor, 3)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var variables = ProcessInfo.processInfo.environment
        // A test of systemd's notify protocol puts a socket in this process's environment for a moment; a
        // daemon started by another test meanwhile must not send it anything.
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { variables[name] = nil }
        variables.merge(environment) { _, new in new }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        self.pid = pid
    }

    /// SIGTERM, as systemd stops a service; `stop()` still reaps it.
    func terminate() {
        _ = kill(pid, SIGTERM)
    }

    /// SIGKILL and reap; safe to call twice.
    func stop() {
        _ = kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    /// True when the agent's log says it could not bind `port` because something else holds it; false once it
    /// says it listens, once it exited for another reason (left unreaped, for the test to see), or at the
    /// deadline. It sleeps between looks rather than blocking a thread: many tests start agents at once, and the
    /// test process has as many cooperative threads as cores (two blocked here starved every other wait).
    func lostPort(_ port: Int, within deadline: Duration) async throws -> Bool {
        let answer = try await poll(within: deadline, every: .milliseconds(20)) { () -> Bool? in
            let text = log
            if text.contains("cannot listen on 127.0.0.1:\(port): address already in use") { return true }
            return text.contains("listening on") || hasExited ? false : nil
        }
        return answer ?? false
    }

    /// Whether the process has exited, without reaping it (`WNOWAIT`): `exitStatus` and `stop` still can.
    private var hasExited: Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0
            && info._sifields._sigchld.si_pid == pid
    }

    /// Reaps the process once it has exited by itself: its exit status (128 + N for signal N), or nil if it is
    /// still running at the deadline. Once this returned a status, do not call `stop()`: the pid is free again.
    func exitStatus(within deadline: Duration) async throws -> Int32? {
        try await poll(within: deadline, every: .milliseconds(50)) {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }
    }

    /// ``exitStatus(within:)``, and a process still running at the deadline is stopped (nil then): either way it
    /// is reaped when this returns.
    func exitStatusOrStop(within deadline: Duration) async throws -> Int32? {
        let status = try await exitStatus(within: deadline)
        if status == nil { stop() }
        return status
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Polls `condition` every 100 ms until it holds or `deadline` passes; false then, with the log recorded. It
    /// looks once more at the deadline: a sleep on a busy test process can outlast the deadline, and a condition
    /// that came true meanwhile was not late.
    func wait(
        for what: String, within deadline: Duration, _ condition: () throws -> Bool
    ) async throws -> Bool {
        let held = try await poll(within: deadline, every: .milliseconds(100)) {
            (try? condition()) == true ? true : nil
        }
        if held != nil || (try? condition()) == true { return true }
        Issue.record("\(name): \(what) not seen within \(deadline); log:\n\(log.suffix(3000))")
        return false
    }
}

/// curl as the tests' HTTP client for daemons in other processes.
func curl(_ arguments: [String], options: [String] = []) throws -> APIAnswer {
    let result = try run("/usr/bin/curl", ["-s", "-m", "5", "-w", "\n%{http_code}"] + options + arguments)
    let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
    let code = Int(lines.last ?? "") ?? 0
    return APIAnswer(status: .init(code: code), text: lines.dropLast().joined(separator: "\n"))
}
