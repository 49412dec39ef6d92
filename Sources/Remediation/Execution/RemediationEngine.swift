import KVMCore
import Logging
import Synchronization

/// Decides on alerts and manual requests, keeps the safety state on disk, and runs actions in the
/// background: one at a time per domain, at most `limits.concurrency` at once.
///
/// Decisions happen under one lock, with the state file written before the answer, so that two copies of
/// one notification arriving together (Alertmanager HA) act once, and a kill right after the answer
/// forgets nothing.
public final class RemediationEngine: Sendable {
    /// The request cannot be decided now (libvirt unreachable, state not writable): answer 503 so the
    /// sender retries.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public struct UnknownDomain: Error, CustomStringConvertible {
        public var key: String
        public var description: String { "no domain named or with UUID \"\(key)\" on this host" }
    }

    struct EngineState {
        var safety: SafetyState
        /// Queued plans per domain UUID, oldest first.
        var queues: [String: [ActionPlan]] = [:]
        var running: [String: ActionPlan] = [:]
        var records: [String: ActionRecord] = [:]
        var order: [String] = []
    }

    let policy: Policy
    let decider: Decider
    let controller: any DomainController
    let inventory: @Sendable () -> Inventory
    let stateFile: StateFile
    let audit: AuditLog
    let telemetry: any RemediationTelemetry
    let clock: @Sendable () -> Double
    let logger: Logger
    let callTimeout: Duration
    let waiters = StateWaiters()
    let state: Mutex<EngineState>
    let ready: AsyncStream<String>
    let readyContinuation: AsyncStream<String>.Continuation

    static let recordLimit = 1000

    /// Loads the state file; actions that were pending when the agent last stopped are audited as
    /// interrupted and dropped.
    public init(
        policy: Policy, identities: Set<String>, controller: any DomainController,
        inventory: @escaping @Sendable () -> Inventory, telemetry: any RemediationTelemetry, logger: Logger,
        callTimeout: Duration = .seconds(30), clock: @escaping @Sendable () -> Double
    ) throws {
        self.policy = policy
        decider = Decider(policy: policy, identities: Set(identities.map { $0.lowercased() }))
        self.controller = controller
        self.inventory = inventory
        self.telemetry = telemetry
        self.logger = logger
        self.callTimeout = callTimeout
        self.clock = clock
        stateFile = StateFile(path: policy.stateFile)
        audit = AuditLog(path: policy.auditLog)
        try DurableFile.ensureDirectory(of: policy.stateFile)
        try DurableFile.ensureDirectory(of: policy.auditLog)
        var safety = try stateFile.load()
        var interrupted: [ActionRecord] = []
        let now = clock()
        for plan in safety.pending.values.sorted(by: { $0.id < $1.id }) {
            var record = ActionRecord(plan: plan, time: now, decision: Decision(.queued, .ruleMatched), dryRun: false)
            record.status = .interrupted
            record.error = "the agent stopped before the action finished; not run again"
            interrupted.append(record)
        }
        safety.pending = [:]
        safety.prune(now: now, window: policy.limits.window.seconds)
        try stateFile.save(safety)
        var initial = EngineState(safety: safety)
        for record in interrupted { Self.remember(record, in: &initial) }
        state = Mutex(initial)
        (ready, readyContinuation) = AsyncStream.makeStream()
        for record in interrupted { writeAudit(record, event: .outcome) }
    }

    /// Forwards a lifecycle event to actions waiting for it. Called on libvirt's event thread.
    public func observe(_ event: LifecycleEvent) {
        waiters.observe(event)
    }

    /// Decides every alert of a notification. Throws `Unavailable` without deciding anything when libvirt
    /// is unreachable or the decisions cannot be saved.
    public func handle(_ message: WebhookMessage, from origin: RequestOrigin) throws -> [ActionRecord] {
        let snapshot = try connectedInventory()
        return try decideAndCommit { engine in
            message.alerts.map { self.decide($0, origin: origin, inventory: snapshot, engine: &engine) }
        }
    }

    /// The inventory to decide on; nothing is decided while libvirt is not connected.
    private func connectedInventory() throws -> Inventory {
        let snapshot = inventory()
        guard snapshot.libvirtUp else { throw Unavailable(description: "libvirt is not connected") }
        return snapshot
    }

    /// A start or shutdown asked for through the API.
    public func request(
        _ action: RemediationAction, domain key: String, options: ManualOptions, from origin: RequestOrigin
    ) throws -> ActionRecord {
        let snapshot = try connectedInventory()
        guard let entry = Decider.lookup(key, in: snapshot) else { throw UnknownDomain(key: key) }
        return try decideAndCommit { engine in
            [
                self.decideManual(
                    action, entry: entry, options: options, origin: origin, inventory: snapshot, engine: &engine)
            ]
        }[0]
    }

    /// Lifts a domain's quarantine. False when it was not quarantined.
    public func release(_ key: String, from origin: RequestOrigin) throws -> Bool {
        let snapshot = inventory()
        let entry = Decider.lookup(key, in: snapshot)
        return try state.withLock { engine in
            let uuid =
                entry?.ref.uuid
                ?? engine.safety.domains.first { $0.key == key.lowercased() || $0.value.name == key }?.key
            guard let uuid else { throw UnknownDomain(key: key) }
            var safety = engine.safety
            let released = safety.release(uuid, now: clock())
            guard released else { return false }
            do {
                try stateFile.save(safety)
            } catch {
                throw Unavailable(description: "cannot save the state file: \(error)")
            }
            engine.safety = safety
            let name = entry?.ref.name ?? engine.safety.domains[uuid]?.name ?? key
            logger.notice(
                "quarantine released", metadata: ["domain": "\(name)", "principal": "\(origin.principal)"])
            var record = AuditRecord(
                time: clock(), event: .decision, source: origin.source, principal: origin.principal)
            record.domain = name
            record.domainUUID = uuid
            record.decision = "released"
            record.reason = "quarantine lifted"
            appendAudit(record)
            return true
        }
    }

    public func recentActions(limit: Int = 100) -> [ActionRecord] {
        state.withLock { engine in engine.order.suffix(limit).reversed().compactMap { engine.records[$0] } }
    }

    public func action(id: String) -> ActionRecord? {
        state.withLock { $0.records[id] }
    }

    /// Updates the status gauges; called before each scrape renders.
    public func publishStatus() {
        let now = clock()
        let (inProgress, quarantined) = state.withLock { engine in
            (
                engine.running.count + engine.queues.values.reduce(0) { $0 + $1.count },
                engine.safety.quarantinedCount(now: now)
            )
        }
        telemetry.status(
            inProgress: inProgress, quarantined: quarantined, breakerOpen: decider.breakerOpen(inventory()) != nil,
            dryRun: policy.dryRun)
    }

    /// Runs `decide` on a copy of the state, saves the safety state, then makes the copy current and queues
    /// the new plans. Nothing changes when saving fails.
    private func decideAndCommit(
        _ decide: (inout EngineState) -> [(ActionRecord, ActionPlan?)]
    ) throws -> [ActionRecord] {
        let (results, wake) = try state.withLock { current -> ([(ActionRecord, ActionPlan?)], [String]) in
            var engine = current
            // Plans join their domain's queue as they are decided, so later alerts of the same notification
            // see them (action_pending, cancellation by a resolved alert).
            let results = decide(&engine)
            // Right after a start or a define the domain's definition may not be read yet: answer 503 so that
            // Alertmanager retries in seconds, rather than skip the alert until its next repeat, hours away.
            if let unread = results.first(where: { $0.0.decision.reason == .configNotRead }) {
                throw Unavailable(description: "the definition of \(unread.0.domain ?? "a domain") is not read yet")
            }
            engine.safety.prune(now: clock(), window: policy.limits.window.seconds)
            // Saved even when nothing was queued: decision ids and quarantines must not repeat after a restart.
            do {
                try stateFile.save(engine.safety)
            } catch {
                throw Unavailable(description: "cannot save the state file: \(error)")
            }
            // A lane that was idle before this request needs a drain; a busy one picks the new plans up.
            let queued = Set(engine.queues.keys)
            let wake = queued.filter { current.queues[$0] == nil && current.running[$0] == nil }.sorted()
            current = engine
            return (results, wake)
        }
        for (record, _) in results {
            telemetry.decided(record.decision)
            writeAudit(record, event: .decision)
        }
        for uuid in wake { readyContinuation.yield(uuid) }
        return results.map(\.0)
    }

    static func remember(_ record: ActionRecord, in engine: inout EngineState) {
        if engine.records.updateValue(record, forKey: record.id) == nil { engine.order.append(record.id) }
        if engine.order.count > recordLimit {
            for id in engine.order.prefix(engine.order.count - recordLimit) { engine.records[id] = nil }
            engine.order.removeFirst(engine.order.count - recordLimit)
        }
    }

    static func nextID(_ engine: inout EngineState) -> String {
        defer { engine.safety.nextActionNumber += 1 }
        return String(engine.safety.nextActionNumber)
    }
}

extension ActionRecord {
    init(plan: ActionPlan, time: Double, decision: Decision, dryRun: Bool) {
        self.init(
            id: plan.id, time: time, source: plan.source, principal: plan.principal,
            alertFingerprint: plan.alertKey.map { String($0.prefix { $0 != "|" }) }, alertName: nil,
            domain: plan.domainName, domainUUID: plan.domainUUID, action: plan.action, decision: decision,
            dryRun: dryRun, status: .queued)
    }
}
