import Foundation
import Hummingbird
import KVMCore
import Logging
import Remediation
import Synchronization

@testable import AgentHTTP

/// The action routes over a real engine with files in a fresh directory, one running domain `vm1`, and a
/// controller that only records calls (the executor is not run, so queued actions stay queued).
final class ActionAPIFixture: Sendable {
    static let webhookToken = "4a7d1e9c3b2f806e5d1a9c7b3e2f4d68"
    static let apiToken = "e2b8c41f7a9d3065b1c8e4f2a7d9036c"
    static let vm = DomainRef(uuid: "7d3c1b2a-0000-4000-8000-000000000001", name: "vm1")

    let directory: String
    let engine: RemediationEngine
    let controller = RecordingController()
    let routes: ActionRoutes

    /// `state`: a state file as an earlier run left it.
    init(state: SafetyState? = nil) throws {
        directory =
            URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
                "kvm-agent-api-\(UUID().uuidString)"
            ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let state { try StateFile(path: directory + "/state.json").save(state) }
        let policy = try Policy.parse(
            yaml: """
                dry_run: false
                state_file: state.json
                audit_log: audit.jsonl
                tokens_file: tokens
                host:
                  names: [test-host]
                limits:
                  cooldown: 1ms
                  max_actions: 1000
                  max_restarts: 3
                api:
                  allow_force: true
                domains:
                  names: ["vm*"]
                rules:
                  - name: stop-hung
                    alertname: KVMDomainHung
                    action: shutdown
                """, relativeTo: directory)
        var inventory = Inventory()
        inventory.libvirtUp = true
        var entry = DomainEntry(ref: Self.vm, state: .running, reason: "booted")
        var config = DomainConfig()
        config.persistent = true
        entry.config = config
        inventory.domains[Self.vm.uuid] = entry
        engine = try RemediationEngine(
            policy: policy, identities: ["test-host"], controller: controller, inventory: { [inventory] in inventory },
            telemetry: SilentTelemetry(), logger: Logger(label: "action-api-tests") { _ in SwiftLogNoOpLogHandler() },
            clock: { Date().timeIntervalSince1970 })
        routes = ActionRoutes(
            engine: engine,
            tokens: try AccessTokens.parse("alertmanager webhook \(Self.webhookToken)\nops api \(Self.apiToken)\n"))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func application() -> some ApplicationProtocol {
        let router = Router()
        routes.register(on: router)
        return Application(router: router)
    }

    static func headers(token: String, json: Bool = true) -> HTTPFields {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if json { headers[.contentType] = "application/json" }
        return headers
    }

    /// Actions decided so far, and how many of them are queued.
    var decided: Int { engine.recentActions(limit: 1000).count }
    var queued: Int { engine.recentActions(limit: 1000).filter { $0.status == .queued }.count }
}

/// A controller that must not be called: the executor does not run in these tests.
final class RecordingController: DomainController {
    let calls = Mutex<[String]>([])

    private func record(_ call: String, _ domain: DomainRef) {
        calls.withLock { $0.append("\(call)(\(domain.name))") }
    }

    func state(_ domain: DomainRef) async throws -> DomainState {
        record("state", domain)
        return .running
    }
    func start(_ domain: DomainRef) async throws { record("start", domain) }
    func resume(_ domain: DomainRef) async throws { record("resume", domain) }
    func shutdown(_ domain: DomainRef) async throws { record("shutdown", domain) }
    func agentShutdown(_ domain: DomainRef) async throws { record("agentShutdown", domain) }
    func destroy(_ domain: DomainRef) async throws { record("destroy", domain) }
    func reset(_ domain: DomainRef) async throws { record("reset", domain) }
    func reboot(_ domain: DomainRef) async throws { record("reboot", domain) }
}

struct SilentTelemetry: RemediationTelemetry {
    func decided(_ decision: Decision) {}
    func actionFinished(_ action: RemediationAction, result: ActionResult, seconds: Double) {}
    func status(inProgress: Int, quarantined: Int, breakerOpen: Bool, dryRun: Bool) {}
    func storageWritable(_ file: String, _ writable: Bool) {}
}
