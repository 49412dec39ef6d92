import Agent
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

enum Repo {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let demoURI = "test://" + root.appending(path: "demo/demo-host.xml").path
    static var agentBinary: URL {
        if let path = ProcessInfo.processInfo.environment["KVM_AGENT_BINARY"] { return URL(filePath: path) }
        return root.appending(path: ".build/debug/kvm-agent")
    }
}

/// Runs the whole agent in-process (supervisor, collector, HTTP) and hands the test an HTTP client.
func withAgent<T: Sendable>(
    uri: String, interval: Duration = .seconds(60), timeout: Duration = .seconds(2),
    _ body: @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    var logger = Logger(label: "kvm-agent-test")
    logger.logLevel = ProcessInfo.processInfo.environment["KVM_AGENT_TEST_LOG"] == nil ? .critical : .debug
    let configuration = AgentConfiguration(
        listenHost: "127.0.0.1", listenPort: 0, libvirtURI: uri,
        collector: .init(interval: interval, timeout: timeout))
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

/// Runs a program to completion; standard input from `input`.
@discardableResult
func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(filePath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let stdin = Pipe()
    if input != nil { process.standardInput = stdin }
    try process.run()
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
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
