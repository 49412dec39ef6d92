import Agent
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KVMCore
import Logging
import NIOCore
import Remediation
import Testing
import WebSecurity

enum Repo {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let demoURI = "test://" + root.appending(path: "demo/demo-host.xml").path
    static var agentBinary: URL {
        if let path = ProcessInfo.processInfo.environment["KVM_AGENT_BINARY"] { return URL(filePath: path) }
        return root.appending(path: ".build/debug/kvm-agent")
    }
}

enum Harness {
    /// The defaults, but a request head deadline long enough for HummingbirdTesting's client: it connects when
    /// the test starts, may send its first request much later, and does not reconnect once closed.
    static let testClientLimits = ConnectionLimits(readHeaderTimeout: .seconds(600))
}

/// Runs the whole agent in-process (supervisor, collector, HTTP) and hands the test an HTTP client.
func withAgent<T: Sendable>(
    uri: String, interval: Duration = .seconds(60), timeout: Duration = .seconds(2), policy: Policy? = nil,
    connections: ConnectionLimits = Harness.testClientLimits, guestAgentInterval: Duration = .seconds(30),
    collectors: Set<CollectorGroup> = CollectorGroup.defaults, vcpuinfoInterval: Duration = .seconds(60),
    _ body: @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    var logger = Logger(label: "kvm-agent-test")
    logger.logLevel = ProcessInfo.processInfo.environment["KVM_AGENT_TEST_LOG"] == nil ? .critical : .debug
    var configuration = AgentConfiguration(
        listenHost: "127.0.0.1", listenPort: 0, libvirtURI: uri,
        collector: .init(interval: interval, timeout: timeout))
    configuration.policy = policy
    configuration.connections = connections
    configuration.collector.guestAgentInterval = guestAgentInterval
    configuration.collector.collectors = collectors
    configuration.collector.vcpuinfoInterval = vcpuinfoInterval
    return try await Agent.buildApplication(configuration, logger: logger).test(.live, body)
}

extension TestClientProtocol {
    func scrape() async throws -> Scrape {
        try await execute(uri: "/metrics", method: .get) { response in
            #expect(response.status == .ok)
            return Scrape(String(buffer: response.body))
        }
    }

    /// Scrapes until `condition` holds or `deadline` passes; returns the last scrape and whether it held.
    func scrape(
        until condition: (Scrape) -> Bool, within deadline: Duration = .seconds(10)
    ) async throws -> (Scrape, Bool) {
        let end = ContinuousClock.now + deadline
        while true {
            let scrape = try await self.scrape()
            if condition(scrape) { return (scrape, true) }
            if ContinuousClock.now >= end { return (scrape, false) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Runs a program to completion with `posix_spawn` and `waitpid`. Output goes through a file, not a pipe:
/// a daemon the program starts (libvirtd) would hold a pipe open forever; and Foundation's `Process` was
/// seen here never noticing the exit of a script that had started a daemon.
@discardableResult
func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
    let directory = FileManager.default.temporaryDirectory
    let outputPath = directory.appending(path: "kvm-agent-run-\(UUID().uuidString).out").path
    let inputPath = directory.appending(path: "kvm-agent-run-\(UUID().uuidString).in").path
    try (input ?? "").write(toFile: inputPath, atomically: true, encoding: .utf8)
    defer {
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: inputPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitStatus, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
}

func which(_ program: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(program)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// `promtool check metrics` on the text; its complaints, empty when clean.
func promtoolProblems(_ text: String) throws -> String {
    let promtool = try #require(which("promtool"), "promtool (Debian package prometheus) is needed")
    let result = try run(promtool, ["check", "metrics"], input: text)
    return result.status == 0 ? "" : result.output
}

/// Asks `look` every `period` until it answers or `deadline` passes (nil then), sleeping between looks.
func poll<T>(within deadline: Duration, every period: Duration, _ look: () async throws -> T?) async throws -> T? {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if let answer = try await look() { return answer }
        try await Task.sleep(for: period)
    }
    return nil
}

/// `run` on a queue of its own (see `offPool`): for a program that takes seconds (chromium, clang, promtool,
/// the agent), which would hold one of the test process's few cooperative threads meanwhile.
func runOffPool(_ executable: String, _ arguments: [String], input: String? = nil) async throws -> (
    status: Int32, output: String
) {
    try await offPool { try run(executable, arguments, input: input) }
}

/// Runs `body`, which blocks (a child process, a pipe, a socket), on `queue`: a serial queue, which gets a thread
/// of its own when it needs one. On one of the test process's cooperative threads, as many as the machine has
/// cores, it would stall every other test's waits meanwhile.
func offPool<T: Sendable>(
    on queue: DispatchQueue = DispatchQueue(label: "kvm-agent-tests.off-pool"),
    _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        queue.async { continuation.resume(with: Result { try body() }) }
    }
}
