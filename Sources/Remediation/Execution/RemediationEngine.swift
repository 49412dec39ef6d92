import KVMCore
import Logging
import Synchronization

/// Decides on alerts and manual requests, keeps the safety state on disk, and runs actions in the
/// background: one at a time per domain, at most `limits.concurrency` at once.
///
/// Every change to the engine's state is made by one writer at a time, under `commit`: it decides on a copy
/// of the state (taking `state` only to copy and later to install), writes the state file and the audit
/// log with `state` free, then installs the copy. Two copies of one notification arriving together
/// (Alertmanager HA) therefore act once, a kill right after the answer forgets nothing, and readers
/// (`publishStatus` before each scrape, the action list) never wait for a disk write. The order is always
/// `commit`, then `state`.
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

    /// The policy and its decider, replaced together by `replacePolicy`; each use reads the pair in force.
    private let rules: Mutex<(policy: Policy, decider: Decider)>
    var policy: Policy { rules.withLock { $0.policy } }
    var decider: Decider { rules.withLock { $0.decider } }
    let identities: Set<String>
    let controller: any DomainController
    let inventory: @Sendable () -> Inventory
    let stateFile: StateFile
    let audit: AuditLog
    let telemetry: any RemediationTelemetry
    let clock: @Sendable () -> Double
    let logger: Logger
    let callTimeout: Duration
    let waiters = StateWaiters()
    let storage: EngineStorage
    let health: StorageHealth
    /// Held by the one writer at a time, across its disk writes; see the type's comment.
    let commit = Mutex(())
    /// The current state: held only to copy, read or install it, never across a disk write.
    let state: Mutex<EngineState>
    let ready: AsyncStream<String>
    let readyContinuation: AsyncStream<String>.Continuation

    static let recordLimit = 1000

    /// Loads the state file; actions that were pending when the agent last stopped are audited as
    /// interrupted and dropped.
    public convenience init(
        policy: Policy, identities: Set<String>, controller: any DomainController,
        inventory: @escaping @Sendable () -> Inventory, telemetry: any RemediationTelemetry, logger: Logger,
        callTimeout: Duration = .seconds(30), clock: @escaping @Sendable () -> Double
    ) throws {
        try self.init(
            policy: policy, identities: identities, controller: controller, inventory: inventory, telemetry: telemetry,
            logger: logger, callTimeout: callTimeout, clock: clock,
            storage: .files(state: StateFile(path: policy.stateFile), audit: AuditLog(path: policy.auditLog)))
    }

    init(
        policy: Policy, identities: Set<String>, controller: any DomainController,
        inventory: @escaping @Sendable () -> Inventory, telemetry: any RemediationTelemetry, logger: Logger,
        callTimeout: Duration, clock: @escaping @Sendable () -> Double, storage: EngineStorage
    ) throws {
        self.identities = Set(identities.map { $0.lowercased() })
        rules = Mutex((policy, Decider(policy: policy, identities: self.identities)))
        self.controller = controller
        self.inventory = inventory
        self.telemetry = telemetry
        self.logger = logger
        self.callTimeout = callTimeout
        self.clock = clock
        stateFile = StateFile(path: policy.stateFile)
        audit = AuditLog(path: policy.auditLog)
        self.storage = storage
        health = StorageHealth(
            auditLog: policy.auditLog, stateFile: policy.stateFile, logger: logger, telemetry: telemetry)
        try DurableFile.ensureDirectory(of: policy.stateFile)
        try DurableFile.ensureDirectory(of: policy.auditLog)
        var safety = try stateFile.load()
        var interrupted: [ActionRecord] = []
        let now = clock()
        for plan in safety.pending.values.sorted(by: { $0.id < $1.id }) {
            interrupted.append(Self.interrupted(nil, plan: plan, now: now))
        }
        safety.pending = [:]
        safety.prune(now: now, window: policy.limits.window.seconds)
        try storage.saveState(safety)
        var initial = EngineState(safety: safety)
        for record in interrupted { Self.remember(record, in: &initial) }
        state = Mutex(initial)
        (ready, readyContinuation) = AsyncStream.makeStream()
        // An audit log that cannot be written does not stop the agent: it starts not ready and refuses
        // actions until the log can be written (`storageProblem`).
        _ = storageProblem()
        for record in interrupted { appendOutcome(record) }
    }

    /// Puts a new policy in force for decisions from now on (SIGHUP), keeping the safety state, the queue and
    /// actions under way. Throws, changing nothing, when it names another state file or audit log: those are
    /// open for the engine's lifetime.
    public func replacePolicy(_ new: Policy) throws {
        let current = policy
        guard new.stateFile == current.stateFile, new.auditLog == current.auditLog else {
            throw ConfigError(
                line: 0, path: "policy",
                message: "state_file and audit_log cannot change without a restart (in force: \(current.stateFile), "
                    + "\(current.auditLog))")
        }
        rules.withLock { $0 = (new, Decider(policy: new, identities: identities)) }
    }

    /// Forwards a lifecycle event to actions waiting for it. Called on libvirt's event thread.
    public func observe(_ event: LifecycleEvent) {
        waiters.observe(event)
    }

    /// Forwards a reset of the domain (libvirt's reboot event) to a reset or reboot waiting for it. Called on
    /// libvirt's event thread.
    public func observeReset(_ domain: DomainRef) {
        waiters.observeReset(domain.uuid)
    }

    /// Decides every alert of a notification. Throws `Unavailable` without deciding anything when libvirt
    /// is unreachable or the decisions cannot be saved.
    public func handle(_ message: WebhookMessage, from origin: RequestOrigin) throws -> [ActionRecord] {
        let snapshot = try connectedInventory()
        return try decideAndCommit { engine in
            try message.alerts.map { try self.decide($0, origin: origin, inventory: snapshot, engine: &engine) }
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
                try self.decideManual(
                    action, entry: entry, options: options, origin: origin, inventory: snapshot, engine: &engine)
            ]
        }[0]
    }

    /// Lifts a domain's quarantine. False when it was not quarantined.
    public func release(_ key: String, from origin: RequestOrigin) throws -> Bool {
        let snapshot = inventory()
        let entry = Decider.lookup(key, in: snapshot)
        return try commit.withLock { _ in
            try checkAuditWritable()
            let current = state.withLock { $0 }
            let uuid =
                entry?.ref.uuid
                ?? current.safety.domains.first { $0.key == key.lowercased() || $0.value.name == key }?.key
            guard let uuid else { throw UnknownDomain(key: key) }
            var safety = current.safety
            let spent = safety.isBudgetSpent(uuid)
            guard safety.release(uuid, now: clock()) else { return false }
            let name = entry?.ref.name ?? current.safety.domains[uuid]?.name ?? key
            var record = AuditRecord(
                time: clock(), event: .decision, source: origin.source, principal: origin.principal)
            record.domain = name
            record.domainUUID = uuid
            record.decision = "released"
            record.reason = spent ? "restart budget restored" : "quarantine lifted"
            try persist(safety, replacing: current.safety, audit: [record])
            state.withLock { $0.safety = safety }
            logger.notice(
                spent ? "restart budget restored" : "quarantine released",
                metadata: ["domain": "\(name)", "principal": "\(origin.principal)"])
            return true
        }
    }

    /// Domains the agent leaves alone whatever the alerts say, for the status page.
    public func holds() -> [RemediationHold] {
        let now = clock()
        let safety = state.withLock { $0.safety }
        return maintenanceHolds(safety, now: now)
            + safety.domains.sorted { $0.value.name < $1.value.name }.flatMap { uuid, history in
                var holds: [RemediationHold] = []
                if safety.isQuarantined(uuid, now: now) {
                    holds.append(
                        RemediationHold(
                            domain: history.name, uuid: uuid, kind: .quarantined, since: history.quarantinedAt,
                            until: history.quarantineUntil))
                }
                if let spent = history.budgetSpentAt {
                    holds.append(
                        RemediationHold(domain: history.name, uuid: uuid, kind: .restartBudgetSpent, since: spent))
                }
                return holds
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
        let (inProgress, quarantined, spent) = state.withLock { engine in
            (
                engine.running.count + engine.queues.values.reduce(0) { $0 + $1.count },
                engine.safety.quarantinedCount(now: now), engine.safety.budgetSpentCount
            )
        }
        telemetry.restartBudgets(spent: spent)
        let (host, domains) = state.withLock { engine in
            (engine.safety.hostMaintenance(now: now), engine.safety.domainsInMaintenance(now: now))
        }
        telemetry.maintenance(host: host, domains: domains.values.sorted { $0.name < $1.name })
        telemetry.status(
            inProgress: inProgress, quarantined: quarantined, breakerOpen: decider.breakerOpen(inventory()) != nil,
            dryRun: policy.dryRun)
    }

    /// Runs `decide` on a copy of the state, saves the safety state and audits the decisions, then makes the
    /// copy current and queues the new plans. Nothing changes when a write fails.
    private func decideAndCommit(
        _ decide: (inout EngineState) throws -> [(ActionRecord, ActionPlan?)]
    ) throws -> [ActionRecord] {
        let (results, cancelled, wake) = try commit.withLock { _ in
            try checkAuditWritable()
            let (before, after, results) = try state.withLock { current in
                var engine = current
                // Plans join their domain's queue as they are decided, so later alerts of the same notification
                // see them (action_pending, cancellation by a resolved alert).
                let results = try decide(&engine)
                // Right after a start or a define the domain's definition may not be read yet: answer 503 so
                // that Alertmanager retries in seconds, rather than skip the alert until its next repeat.
                if let unread = results.first(where: { $0.0.decision.reason == .configNotRead }) {
                    throw Unavailable(
                        description: "the definition of \(unread.0.domain ?? "a domain") is not read yet")
                }
                engine.safety.prune(now: clock(), window: policy.limits.window.seconds)
                return (current, engine, results)
            }
            let cancelled = after.records.values.filter {
                $0.status == .cancelled && before.records[$0.id]?.status != .cancelled
            }.sorted { ($0.id.count, $0.id) < ($1.id.count, $1.id) }
            // Saved even when nothing was queued: decision ids and quarantines must not repeat after a restart.
            try persist(
                after.safety, replacing: before.safety,
                audit: results.map { auditLine($0.0, event: .decision) }
                    + cancelled.map { auditLine($0, event: .outcome) })
            // A lane that was idle before this request needs a drain; a busy one picks the new plans up.
            let wake = Set(after.queues.keys).filter { before.queues[$0] == nil && before.running[$0] == nil }.sorted()
            // Only the holder of `commit` changes the state, so it is still `before` here.
            state.withLock { $0 = after }
            return (results, cancelled, wake)
        }
        for (record, _) in results {
            telemetry.decided(record.decision)
            logAudited(record, event: .decision)
        }
        for record in cancelled { logAudited(record, event: .outcome) }
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

    /// The next action id. Refused rather than wrapped or trapped when the state file's counter is at the
    /// end of its range: ids must never repeat.
    static func nextID(_ engine: inout EngineState) throws -> String {
        let number = engine.safety.nextActionNumber
        // The loader refuses counters past this limit: the engine never writes a state it could not read back.
        let (next, overflow) = number.addingReportingOverflow(1)
        guard !overflow, next <= SafetyState.counterLimit else {
            throw Unavailable(
                description: "action ids are used up (nextActionNumber \(number) in the state file); "
                    + "stop the agent and reset the state file")
        }
        engine.safety.nextActionNumber = next
        return String(number)
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
