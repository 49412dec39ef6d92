import Foundation
import KVMCore
import Logging

@testable import Remediation

/// A `RemediationEngine` over a fake controller, a settable inventory, a manual clock and files in a
/// temporary directory. Lifecycle events from the controller reach both the engine and the inventory.
final class EngineHarness: Sendable {
    static let identities: Set<String> = ["kvm01.example.net", "KVM01"]
    static let origin = RequestOrigin.webhook("alertmanager")

    let directory: TemporaryDirectory
    let clock: ManualClock
    let controller: FakeController
    let telemetry = FakeTelemetry()
    let logs = Observed<[LoggedMessage]>([])
    let policyText: String
    let policy: Policy
    let engine: RemediationEngine
    private let inventory: Observed<Inventory>

    convenience init(
        policy yaml: String = PolicyText.yaml(), domains: [TestDomain], directory: TemporaryDirectory? = nil,
        clock: ManualClock = ManualClock(), libvirtUp: Bool = true,
        storage: (EngineStorage) -> EngineStorage = { $0 }
    ) throws {
        try self.init(
            policy: yaml, inventory: makeInventory(domains, libvirtUp: libvirtUp), directory: directory, clock: clock,
            storage: storage)
    }

    /// `storage` may wrap the engine's file writes, to make them slow or fail.
    private init(
        policy yaml: String, inventory: Inventory, directory: TemporaryDirectory?, clock: ManualClock,
        storage: (EngineStorage) -> EngineStorage = { $0 }
    ) throws {
        let directory = try directory ?? TemporaryDirectory()
        self.directory = directory
        self.clock = clock
        policyText = yaml
        policy = try Policy.parse(yaml: yaml, relativeTo: directory.path)
        self.inventory = Observed(inventory)
        controller = FakeController(clock: clock.reader)
        for entry in inventory.domains.values { controller.add(entry.ref, state: entry.state) }
        let source = self.inventory
        engine = try RemediationEngine(
            policy: policy, identities: Self.identities, controller: controller,
            inventory: { [source] in source.value }, telemetry: telemetry,
            logger: Logger(label: "remediation-tests") { [logs] _ in RecordingLogHandler(sink: logs) },
            callTimeout: .seconds(5),
            clock: clock.reader,
            storage: storage(
                .files(state: StateFile(path: policy.stateFile), audit: AuditLog(path: policy.auditLog))))
        controller.deliverEvents { [weak engine, source] event in
            if let state = event.resultingState {
                source.update { $0.domains[event.domain.uuid]?.state = state }
            }
            engine?.observe(event)
        }
        controller.deliverResets { [weak engine] in engine?.observeReset($0) }
    }

    /// A new engine on the same files, clock and inventory, as after the agent restarts.
    func restarted(policy yaml: String? = nil) throws -> EngineHarness {
        try EngineHarness(
            policy: yaml ?? policyText, inventory: currentInventory, directory: directory, clock: clock)
    }

    var currentInventory: Inventory {
        inventory.value
    }

    func setLibvirtUp(_ up: Bool) {
        inventory.update { $0.libvirtUp = up }
    }

    /// Changes a domain's state in libvirt and the inventory without an event, as a crash would.
    func setState(_ domain: TestDomain, _ state: DomainState) {
        controller.setState(domain.ref, state)
        inventory.update { $0.domains[domain.ref.uuid]?.state = state }
    }

    /// The domain goes down at `time` (a crash, say): libvirt and the inventory, with the time of the change.
    func setDown(_ domain: TestDomain, _ state: DomainState, at time: Double) {
        controller.setState(domain.ref, state)
        inventory.update {
            $0.domains[domain.ref.uuid]?.state = state
            $0.domains[domain.ref.uuid]?.stateChangedAt = time
        }
    }

    /// Changes what the inventory believes without telling libvirt.
    func setInventoryState(_ domain: TestDomain, _ state: DomainState) {
        inventory.update { $0.domains[domain.ref.uuid]?.state = state }
    }

    @discardableResult
    func handle(_ alerts: Alert...) throws -> [ActionRecord] {
        try engine.handle(Alerts.message(alerts), from: Self.origin)
    }

    /// Runs the engine's executor for the duration of `body`.
    func whileRunning<T>(_ body: () async throws -> T) async rethrows -> T {
        let task = Task { await engine.run() }
        defer { task.cancel() }
        return try await body()
    }

    /// Waits until the action has finished and its outcome is audited, and returns its record.
    func finished(_ id: String, within limit: Duration = .seconds(30)) async -> ActionRecord? {
        _ = await logs.wait(within: limit) { logs in
            logs.contains { $0.message == "remediation outcome" && $0.metadata["action_id"] == id }
        }
        let record = engine.action(id: id)
        return record?.status == .finished ? record : nil
    }

    var auditText: String {
        directory.read("audit.jsonl") ?? ""
    }

    func auditRecords() throws -> [AuditRecord] {
        try auditText.split(separator: "\n").map { try JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }
    }

    var stateFilePath: String { policy.stateFile }

    func savedState() throws -> SafetyState {
        try StateFile(path: policy.stateFile).load()
    }

    /// Writes a state file into `directory` before an engine starts on it, as a previous run would have.
    static func seed(_ directory: TemporaryDirectory, with state: SafetyState) throws {
        try FileManager.default.createDirectory(atPath: directory.file("state"), withIntermediateDirectories: true)
        try StateFile(path: directory.file("state/remediation-state.json")).save(state)
    }
}
