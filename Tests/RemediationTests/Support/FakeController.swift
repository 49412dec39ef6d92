import KVMCore
import Remediation
import Synchronization
import TestSupport

/// A `DomainController` held in memory. Actions change the domain's state and deliver the lifecycle event
/// libvirt would send, through `events`. A domain can ignore graceful shutdown (a guest without ACPI),
/// fail its start with an error, or have its action calls hang until the test releases them.
final class FakeController: DomainController {
    enum Method: String, Sendable, CaseIterable {
        case state, start, resume, shutdown, agentShutdown, destroy, reset, reboot
    }

    struct Call: Sendable, Equatable, CustomStringConvertible {
        var method: Method
        var domain: String
        var description: String { "\(method.rawValue)(\(domain))" }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// What tests observe and wait on.
    struct Snapshot: Sendable {
        var states: [String: DomainState] = [:]
        var calls: [Call] = []
        /// Action calls (not `state`) in progress, per domain UUID.
        var inFlight: [String: Int] = [:]
        var maxInFlight = 0
        var maxInFlightPerDomain = 0

        var totalInFlight: Int { inFlight.values.reduce(0, +) }

        func count(_ method: Method, _ domain: String? = nil) -> Int {
            calls.filter { $0.method == method && (domain == nil || $0.domain == domain) }.count
        }
    }

    private struct Behaviour {
        var refs: [String: DomainRef] = [:]
        var ignoresShutdown: Set<String> = []
        /// Domains whose resets send no reset event (libvirt's test driver), and whose guests ignore reboots.
        var silentResets: Set<String> = []
        var ignoresReboot: Set<String> = []
        var ignoresDestroy: Set<String> = []
        var ignoresAgentShutdown: Set<String> = []
        var resetEvents: (@Sendable (DomainRef) -> Void)?
        var startFailures: [String: String] = [:]
        var gates: [String: Gate] = [:]
        var events: (@Sendable (LifecycleEvent) -> Void)?
    }

    let observed = Observed(Snapshot())
    private let behaviour = Mutex(Behaviour())
    private let clock: @Sendable () -> Double

    init(clock: @escaping @Sendable () -> Double) {
        self.clock = clock
    }

    // MARK: Configuration

    func add(_ ref: DomainRef, state: DomainState) {
        behaviour.withLock { $0.refs[ref.uuid] = ref }
        observed.update { $0.states[ref.uuid] = state }
    }

    /// Where lifecycle events go; the harness forwards them to the engine and the inventory.
    func deliverEvents(to sink: @escaping @Sendable (LifecycleEvent) -> Void) {
        behaviour.withLock { $0.events = sink }
    }

    /// Sets a state behind the engine's back, without an event (a crash the test stages).
    func setState(_ ref: DomainRef, _ state: DomainState) {
        observed.update { $0.states[ref.uuid] = state }
    }

    /// Where reset events go (libvirt's reboot event); the harness forwards them to the engine.
    func deliverResets(to sink: @escaping @Sendable (DomainRef) -> Void) {
        behaviour.withLock { $0.resetEvents = sink }
    }

    func silenceResets(_ ref: DomainRef) {
        behaviour.withLock { _ = $0.silentResets.insert(ref.uuid) }
    }

    /// A destroy that returns but leaves the domain as it was (a qemu stuck in uninterruptible I/O).
    func ignoreDestroy(_ ref: DomainRef) {
        behaviour.withLock { _ = $0.ignoresDestroy.insert(ref.uuid) }
    }

    /// The guest agent takes the shutdown command and the guest stays up.
    func ignoreAgentShutdown(_ ref: DomainRef) {
        behaviour.withLock { _ = $0.ignoresAgentShutdown.insert(ref.uuid) }
    }

    func ignoreReboot(_ ref: DomainRef) {
        behaviour.withLock { _ = $0.ignoresReboot.insert(ref.uuid) }
    }

    func ignoreShutdown(_ ref: DomainRef) {
        behaviour.withLock { _ = $0.ignoresShutdown.insert(ref.uuid) }
    }

    func failStart(_ ref: DomainRef, with message: String) {
        behaviour.withLock { $0.startFailures[ref.uuid] = message }
    }

    /// Every later action call on `ref` waits until `release`.
    func hang(_ ref: DomainRef) {
        behaviour.withLock { $0.gates[ref.uuid] = Gate() }
    }

    func release(_ ref: DomainRef) {
        behaviour.withLock { $0.gates.removeValue(forKey: ref.uuid) }?.open()
    }

    // MARK: Observation

    var snapshot: Snapshot { observed.value }

    func state(of ref: DomainRef) -> DomainState? {
        observed.value.states[ref.uuid]
    }

    /// Waits until `count` calls of `method` on `ref` (any domain when nil) have been made.
    func waitForCalls(_ method: Method, _ ref: DomainRef? = nil, count: Int = 1, within limit: Duration = .seconds(30))
        async -> Bool
    {
        let name = ref?.name
        return await observed.wait(within: limit) { $0.count(method, name) >= count }
    }

    // MARK: DomainController

    func state(_ domain: DomainRef) async throws -> DomainState {
        let state = observed.update { snapshot -> DomainState? in
            snapshot.calls.append(Call(method: .state, domain: domain.name))
            return snapshot.states[domain.uuid]
        }
        guard let state else { throw Failure(description: "Domain not found: no domain with matching uuid") }
        return state
    }

    func start(_ domain: DomainRef) async throws {
        let crashed = observed.value.states[domain.uuid] == .crashed
        try await act(.start, domain) { uuid, behaviour in
            // libvirt keeps a domain that crashed with on_crash preserve active.
            if crashed { throw Failure(description: "Requested operation is not valid: domain is already active") }
            if let message = behaviour.startFailures[uuid] { throw Failure(description: message) }
            return (.running, .started, 0)
        }
    }

    func resume(_ domain: DomainRef) async throws {
        try await act(.resume, domain) { _, _ in (.running, .resumed, 0) }
    }

    func shutdown(_ domain: DomainRef) async throws {
        try await act(.shutdown, domain) { uuid, behaviour in
            behaviour.ignoresShutdown.contains(uuid) ? nil : (.shutoff, .stopped, 0)
        }
    }

    func agentShutdown(_ domain: DomainRef) async throws {
        try await act(.agentShutdown, domain) { uuid, behaviour in
            behaviour.ignoresAgentShutdown.contains(uuid) ? nil : (.shutoff, .stopped, 0)
        }
    }

    func destroy(_ domain: DomainRef) async throws {
        try await act(.destroy, domain) { uuid, behaviour in
            behaviour.ignoresDestroy.contains(uuid) ? nil : (.shutoff, .stopped, 1)
        }
    }

    func reset(_ domain: DomainRef) async throws {
        try await act(.reset, domain) { _, _ in nil }
        let sink = behaviour.withLock { $0.silentResets.contains(domain.uuid) ? nil : $0.resetEvents }
        sink?(domain)
    }

    func reboot(_ domain: DomainRef) async throws {
        try await act(.reboot, domain) { _, _ in nil }
        let sink = behaviour.withLock { $0.ignoresReboot.contains(domain.uuid) ? nil : $0.resetEvents }
        sink?(domain)
    }

    // MARK: Internals

    /// Records the call, waits on the domain's gate, then applies `outcome`: the new state and the event
    /// kind and detail to deliver, or nil when the call changes nothing.
    private func act(
        _ method: Method, _ domain: DomainRef,
        _ outcome: (String, Behaviour) throws -> (DomainState, LifecycleEvent.Kind, Int)?
    ) async throws {
        let gate = behaviour.withLock { $0.gates[domain.uuid] }
        observed.update { snapshot in
            snapshot.calls.append(Call(method: method, domain: domain.name))
            snapshot.inFlight[domain.uuid, default: 0] += 1
            snapshot.maxInFlight = max(snapshot.maxInFlight, snapshot.totalInFlight)
            snapshot.maxInFlightPerDomain = max(snapshot.maxInFlightPerDomain, snapshot.inFlight[domain.uuid] ?? 0)
        }
        defer { observed.update { $0.inFlight[domain.uuid, default: 1] -= 1 } }
        await gate?.wait()
        let (change, sink) = try behaviour.withLock { behaviour in
            guard behaviour.refs[domain.uuid] != nil else {
                throw Failure(description: "Domain not found: no domain with matching uuid")
            }
            return (try outcome(domain.uuid, behaviour), behaviour.events)
        }
        guard let change else { return }
        let (state, kind, detail) = change
        observed.update { $0.states[domain.uuid] = state }
        sink?(LifecycleEvent(domain: domain, kindCode: kind.rawValue, detailCode: detail, time: clock()))
    }
}
