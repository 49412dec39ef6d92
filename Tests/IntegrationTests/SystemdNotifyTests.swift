import Foundation
import HTTPTypes
import TestSupport
import Testing

/// The agent binary under a service manager's notify socket, as systemd runs a `Type=notify` unit with
/// `WatchdogSec=2s`: READY once listening, a status line, watchdog pings, STOPPING on SIGTERM.
@Suite struct SystemdNotifyTests {
    @Test func readyStatusWatchdogAndStopping() async throws {
        let listener = try NotifyListener()
        let agent = try await AgentProcess(
            policy: nil, uri: Repo.demoURI,
            environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "2000000"])
        defer { agent.kill() }
        let (messages, ready) = await listener.collect(for: .seconds(30)) { $0.contains("READY=1") }
        try #require(ready, "no READY=1; got \(messages); log:\n\(agent.daemon.log)")
        // READY comes only once the listener is bound: the port answers straight away.
        #expect(try agent.curl(["\(agent.base)/healthz"]).status == .ok)

        let (later, _) = await listener.collect(for: .seconds(4))
        #expect(later.filter { $0.contains("WATCHDOG=1") }.count >= 3, "\(later)")
        let statuses = (messages + later).filter { $0.hasPrefix("STATUS=") }
        #expect(statuses.contains { $0.contains("\(Repo.demoURI): connected") && $0.contains("domains running") })

        agent.daemon.terminate()
        let (_, stopping) = await listener.collect(for: .seconds(10)) { $0.contains("STOPPING=1") }
        #expect(stopping)
    }

    /// Without systemd (as on the test machines) the unit-state families are absent, not zero.
    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/run/systemd/system")))
    func serviceFamiliesAreAbsentWithoutSystemd() async throws {
        try await withAgent(uri: Repo.demoURI) { client in
            let (scrape, ok) = try await client.scrape(until: DemoHostTests.ready)
            #expect(ok)
            #expect(scrape.series("kvm_host_service_active").isEmpty)
            #expect(!scrape.text.contains("kvm_host_service_enabled"))
        }
    }
}
