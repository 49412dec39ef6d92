import Foundation
import HummingbirdTesting
import KVMCore
import Testing

/// The executable's flags, run as a user would run it.
@Suite struct CommandLineTests {
    func agent(_ arguments: String...) async throws -> (status: Int32, output: String) {
        try await runOffPool(Repo.agentBinary.path, arguments)
    }

    @Test(arguments: [
        ("--collector.interval", "fast"), ("--collector.timeout", "0s"), ("--web.listen-address", "localhost"),
        ("--web.listen-address", ":99999"), ("--log.level", "loud"), ("--log.format", "xml"),
        ("--web.telemetry-path", "metrics"), ("--web.read-header-timeout", "0s"), ("--web.idle-timeout", "25h"),
        ("--web.max-connections", "0"), ("--web.max-connections-per-client", "-1"),
        ("--collector.balloon-period", "1500ms"), ("--collector.balloon-period", "0s"),
        ("--collector.balloon-period", "25h"),
        ("--collector.guest-agent.interval", "soon"), ("--config.auto-reload-interval", "50ms"),
        ("--collector.vcpuinfo.interval", "hourly"), ("--collector.balloon.interval", "-1s"),
        ("--config.auto-reload-interval", ""), ("--web.max-requests", "-1"),
    ])
    func badFlagValueNamesTheFlag(flag: String, value: String) async throws {
        let result = try await agent(flag, value)
        #expect(result.status != 0)
        #expect(result.output.contains(flag), "\(result.output)")
    }

    @Test func versionAndHelp() async throws {
        let version = try await agent("--version")
        #expect(version.status == 0)
        #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try await agent("--help")
        for flag in [
            "--web.listen-address", "--web.telemetry-path", "--libvirt.uri", "--collector.interval",
            "--collector.timeout", "--log.level", "--log.format", "--web.read-header-timeout", "--web.idle-timeout",
            "--web.max-connections", "--web.max-connections-per-client", "--collector.balloon-period",
            "--collector.guest-agent.interval", "--collector.vcpuinfo.interval", "--collector.balloon.interval",
            "--web.max-requests",
            "--web.disable-exporter-metrics", "--runtime.release-startup-pages", "--no-runtime.release-startup-pages",
            "--web.systemd-socket",
        ] + CollectorGroup.allCases.flatMap({ ["--collector.\($0.rawValue)", "--no-collector.\($0.rawValue)"] }) {
            #expect(help.output.contains(flag), "\(flag) missing from --help")
        }
    }

    @Test func portInUseSaysSo() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            // The test client connects in the background; a first request makes sure it has.
            _ = try await client.scrape()
            let port = try #require(client.port)
            let result = try await agent("--web.listen-address", "127.0.0.1:\(port)", "--libvirt.uri", Repo.demoURI)
            #expect(result.status != 0)
            #expect(result.output.contains("address already in use"), "\(result.output)")
        }
    }

    /// The shipped example policy passes, with dry run on; a broken one fails naming the line.
    @Test func checkConfig() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "alertmanager webhook 5e8a1c3f7b2d90e46a1f8c3b7d2e0954\n".write(
            to: directory.appending(path: "tokens"), atomically: true, encoding: .utf8)
        let example = try String(contentsOf: Repo.root.appending(path: "deploy/remediation.yml"), encoding: .utf8)
            .replacingOccurrences(of: "tokens_file: /etc/kvm-agent/tokens", with: "tokens_file: tokens")
        let good = directory.appending(path: "good.yml").path
        try example.write(toFile: good, atomically: true, encoding: .utf8)
        let ok = try await agent("check-config", good)
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("global dry run on"), "\(ok.output)")

        let bad = directory.appending(path: "bad.yml").path
        try example.replacingOccurrences(of: "action: shutdown", with: "action: restart").write(
            toFile: bad, atomically: true, encoding: .utf8)
        let failed = try await agent("check-config", bad)
        #expect(failed.status == 1)
        #expect(failed.output.contains("line "), "\(failed.output)")
        #expect(failed.output.contains("must be start, shutdown, reset or reboot"), "\(failed.output)")

        let noTokens = try await agent("check-config", Repo.root.appending(path: "deploy/remediation.yml").path)
        #expect(noTokens.status == 1)

        // The shipped tokens example holds placeholders: refused, the error naming the tokens file's line.
        let placeholder = directory.appending(path: "placeholder.yml").path
        let tokensExample = Repo.root.appending(path: "deploy/tokens.example").path
        try example.replacingOccurrences(of: "tokens_file: tokens", with: "tokens_file: \(tokensExample)").write(
            toFile: placeholder, atomically: true, encoding: .utf8)
        let refused = try await agent("check-config", placeholder)
        #expect(refused.status == 1)
        #expect(refused.output.contains("\(tokensExample): line "), "\(refused.output)")
        #expect(refused.output.contains("placeholder"), "\(refused.output)")
        #expect(!refused.output.contains("ExitCode"), "\(refused.output)")
    }
}
