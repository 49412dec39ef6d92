import KVMCore
import Logging
import Synchronization

extension RemediationEngine {
    /// Runs queued actions until cancelled: one lane per domain, at most `limits.concurrency` lanes at once.
    /// Actions still queued or running when it is cancelled are left pending: ``interruptPending()`` audits
    /// them at shutdown, or, after a kill, the next start does.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            var active = 0
            for await uuid in ready {
                if active >= policy.limits.concurrency {
                    await group.next()
                    active -= 1
                }
                group.addTask { await self.drain(uuid) }
                active += 1
            }
            group.cancelAll()
        }
    }

    /// Executes one domain's queued plans in order, then gives the lane up.
    private func drain(_ uuid: String) async {
        while let plan = nextPlan(uuid) {
            if Task.isCancelled { return }
            await execute(plan)
        }
    }

    /// Clears the domain's finished plan and takes the next. Giving the lane up happens under the same lock
    /// as queueing, so a new plan either finds the lane busy or wakes a new drain.
    private func nextPlan(_ uuid: String) -> ActionPlan? {
        // Under `commit` too: a writer installs the copy it decided on, which must not drop this change.
        commit.withLock { _ in
            state.withLock { engine -> ActionPlan? in
                engine.running[uuid] = nil
                guard var queue = engine.queues[uuid], !queue.isEmpty else {
                    engine.queues[uuid] = nil
                    return nil
                }
                let next = queue.removeFirst()
                engine.queues[uuid] = queue.isEmpty ? nil : queue
                engine.running[uuid] = next
                engine.records[next.id]?.status = .running
                return next
            }
        }
    }

    private func execute(_ plan: ActionPlan) async {
        let domain = DomainRef(uuid: plan.domainUUID, name: plan.domainName)
        let started = ContinuousClock.now
        var before: DomainState?
        var result = ActionResult.failed
        var failure: String?
        let steps = ActionSteps()
        logger.info(
            "remediation action started",
            metadata: ["action_id": "\(plan.id)", "domain": "\(plan.domainName)", "action": "\(plan.action.rawValue)"])
        if let hold = heldSinceQueued(plan) {
            // Maintenance that began after the action was queued: hands off, the action is not run.
            finish(plan, result: .noop, before: nil, after: nil, seconds: 0, failure: "not run: \(hold.detail)")
            return
        }
        do {
            let current = try await call("state") { try await self.controller.state(domain) }
            before = current
            switch plan.operation {
            case .start, .resume: result = try await bringUp(domain, from: current)
            case .shutdown: (result, failure) = try await bringDown(domain, from: current, plan: plan, steps: steps)
            case .reset, .reboot: (result, failure) = try await restart(domain, from: current, plan: plan)
            case .destroyThenStart:
                (result, failure) = try await recoverCrashed(domain, from: current, plan: plan, steps: steps)
            }
        } catch {
            result = .failed
            failure = "\(error)"
        }
        if Task.isCancelled { return }
        let after = try? await call("state") { try await self.controller.state(domain) }
        let seconds = (ContinuousClock.now - started).seconds
        finish(plan, result: result, before: before, after: after, seconds: seconds, failure: failure, steps: steps.all)
    }

    /// At shutdown, after ``run()`` has returned: the actions still queued or running will not be finished by
    /// this process. Each gets its outcome line (`interrupted`) now, so the audit log is whole even if the agent
    /// is never started again, and leaves the state file's pending set, so the next start does not report it
    /// twice. Where the state file cannot be written, the lines are left to the next start, which reads them
    /// from the pending set on disk: an outcome is written once, never zero or two times.
    public func interruptPending() {
        let records = commit.withLock { _ -> [ActionRecord] in
            let (records, safety) = state.withLock { engine -> ([ActionRecord], SafetyState) in
                let now = clock()
                let records = engine.safety.pending.values.sorted { $0.id < $1.id }.map { plan in
                    Self.interrupted(engine.records[plan.id], plan: plan, now: now)
                }
                var safety = engine.safety
                safety.pending = [:]
                return (records, safety)
            }
            guard !records.isEmpty else { return [] }
            do {
                try storage.saveState(safety)
                health.record(.stateFile, nil)
            } catch {
                health.record(.stateFile, error)
                return []
            }
            state.withLock { engine in
                for record in records { Self.remember(record, in: &engine) }
                engine.safety = safety
                engine.queues = [:]
                engine.running = [:]
            }
            for record in records { appendOutcome(record) }
            return records
        }
        for record in records { logAudited(record, event: .outcome) }
    }

    /// An action this process will not finish: its record (or one made from its plan, after a restart).
    static func interrupted(_ known: ActionRecord?, plan: ActionPlan, now: Double) -> ActionRecord {
        var record =
            known ?? ActionRecord(plan: plan, time: now, decision: Decision(.queued, .ruleMatched), dryRun: false)
        record.status = .interrupted
        record.error = "the agent stopped before the action finished; not run again"
        return record
    }

    private func bringUp(_ domain: DomainRef, from current: DomainState) async throws -> ActionResult {
        switch current {
        case .running, .blocked, .shutdown: return .noop
        case .paused:
            return try await confirm(domain, becomes: [.running], within: policy.limits.startTimeout) {
                try await self.controller.resume(domain)
            }
        default:
            return try await confirm(domain, becomes: [.running], within: policy.limits.startTimeout) {
                try await self.controller.start(domain)
            }
        }
    }

    /// Escalates like an HA manager's stop: the ACPI power button; then, where the guest agent is connected, the
    /// agent's shutdown; then a power-off only where the plan allows force. Each graceful step waits the plan's
    /// shutdown timeout for the stopped event; each is a step of the record, audited as it ends.
    private func bringDown(
        _ domain: DomainRef, from current: DomainState, plan: ActionPlan, steps: ActionSteps
    ) async throws -> (ActionResult, String?) {
        guard current.isActive else { return (.noop, nil) }
        let wait = Self.wait(seconds: plan.shutdownTimeoutSeconds)
        let waited = "still running \(wholeSeconds(plan.shutdownTimeoutSeconds)) s after the request"
        let acpi = try await step(.acpiShutdown, of: plan, into: steps) {
            let result = try await self.confirm(domain, becomes: [.shutoff, .crashed], within: wait) {
                try await self.controller.shutdown(domain)
            }
            return (result, result == .timeout ? waited : nil)
        }
        guard acpi == .timeout else { return (acpi, nil) }
        if inventory().domains[domain.uuid]?.guest.channel == .connected {
            // An agent that fails (not answering, no shutdown command) is a failed step, not a failed action.
            let agent = try? await step(.agentShutdown, of: plan, into: steps) {
                let result = try await self.confirm(domain, becomes: [.shutoff, .crashed], within: wait) {
                    try await self.controller.agentShutdown(domain)
                }
                return (result, result == .timeout ? waited : nil)
            }
            if agent == .success { return (.success, nil) }
        }
        guard plan.forceAfterTimeout else {
            return (
                .timeout, "still running \(wholeSeconds(plan.shutdownTimeoutSeconds)) s after each shutdown request"
            )
        }
        logger.warning(
            "graceful shutdown timed out, powering off",
            metadata: ["action_id": "\(plan.id)", "domain": "\(plan.domainName)"])
        let limit = policy.limits.forceTimeout
        let forced = try await step(.destroy, of: plan, into: steps) {
            let result = try await self.confirm(domain, becomes: [.shutoff, .crashed], within: limit) {
                try await self.controller.destroy(domain)
            }
            return (result, result == .success ? nil : "still running after the power-off")
        }
        return forced == .success ? (.forced, nil) : (.failed, "still running after the power-off")
    }

    /// A domain that crashed but is still active: destroyed (confirmed by its stopped event), then started
    /// (confirmed by its started event), each step audited as it ends. One that is shut off by now is only
    /// started; one running by now is left alone.
    private func recoverCrashed(
        _ domain: DomainRef, from current: DomainState, plan: ActionPlan, steps: ActionSteps
    ) async throws -> (ActionResult, String?) {
        if current == .running || current == .blocked { return (.noop, nil) }
        if current != .shutoff {
            let limit = policy.limits.forceTimeout
            let destroyed = try await step(.destroy, of: plan, into: steps) {
                let result = try await self.confirm(domain, becomes: [.shutoff], within: limit) {
                    try await self.controller.destroy(domain)
                }
                return (
                    result, result == .success ? nil : "still active \(wholeSeconds(limit.seconds)) s after the destroy"
                )
            }
            guard destroyed == .success else { return (.failed, "still active after the destroy; not started") }
        }
        let limit = policy.limits.startTimeout
        let started = try await step(.start, of: plan, into: steps) {
            let result = try await self.confirm(domain, becomes: [.running], within: limit) {
                try await self.controller.start(domain)
            }
            return (result, result == .success ? nil : "not running \(wholeSeconds(limit.seconds)) s after the start")
        }
        return started == .success ? (.success, nil) : (started, "not running after the start")
    }

    /// Runs one step of a multi-step action and audits how it ended (a libvirt error as `failed`) at once.
    private func step(
        _ name: ActionStep.Name, of plan: ActionPlan, into steps: ActionSteps,
        _ body: () async throws -> (ActionResult, String?)
    ) async throws -> ActionResult {
        do {
            let (result, detail) = try await body()
            record(ActionStep(name, result, detail), of: plan, into: steps)
            return result
        } catch {
            record(ActionStep(name, .failed, "\(error)"), of: plan, into: steps)
            throw error
        }
    }

    private func record(_ step: ActionStep, of plan: ActionPlan, into steps: ActionSteps) {
        steps.append(step)
        var line = AuditRecord(time: clock(), event: .step, source: plan.source, principal: plan.principal)
        line.actionID = plan.id
        line.domain = plan.domainName
        line.domainUUID = plan.domainUUID
        line.action = plan.action.rawValue
        line.step = step.name.rawValue
        line.result = step.result.rawValue
        line.detail = step.detail
        // Under `commit`, like every other append: one line at a time, in order.
        commit.withLock { _ in
            do {
                try storage.appendAudit(line)
                health.record(.auditLog, nil)
            } catch {
                health.record(.auditLog, error)
            }
        }
        logger.info(
            "remediation step",
            metadata: [
                "action_id": "\(plan.id)", "domain": "\(plan.domainName)", "step": "\(step.name.rawValue)",
                "result": "\(step.result.rawValue)",
            ])
    }

    /// A reset, or a reboot that falls back to a reset where the plan allows force. Both are confirmed by the
    /// domain's reset event (QEMU sends one for every system reset, the reset that ends a reboot included).
    /// A reset that sees no event while the domain keeps running is `unconfirmed`: some drivers (libvirt's
    /// test driver) send none. A reboot without one timed out: the guest did not act on the request.
    private func restart(
        _ domain: DomainRef, from current: DomainState, plan: ActionPlan
    ) async throws -> (ActionResult, String?) {
        guard current == .running || current == .blocked else { return (.noop, nil) }
        guard plan.operation == .reboot else {
            return try await hardReset(domain, confirmed: .success)
        }
        let rebooted = try await confirmReset(domain, within: Self.wait(seconds: plan.shutdownTimeoutSeconds)) {
            try await self.controller.reboot(domain)
        }
        if rebooted { return (.success, nil) }
        guard plan.forceAfterTimeout else {
            return (.timeout, "no reset \(wholeSeconds(plan.shutdownTimeoutSeconds)) s after the reboot request")
        }
        logger.warning(
            "reboot timed out, resetting", metadata: ["action_id": "\(plan.id)", "domain": "\(plan.domainName)"])
        return try await hardReset(domain, confirmed: .forced)
    }

    /// Resets the domain and waits `limits.startTimeout` for the reset event; `confirmed` is the result then.
    private func hardReset(_ domain: DomainRef, confirmed: ActionResult) async throws -> (ActionResult, String?) {
        if try await confirmReset(
            domain, within: policy.limits.startTimeout, { try await self.controller.reset(domain) })
        {
            return (confirmed, nil)
        }
        let now = try? await call("state") { try await self.controller.state(domain) }
        guard now == .running || now == .blocked else {
            return (.failed, "\(now?.name ?? "state unknown") after the reset")
        }
        return (.unconfirmed, "running after the reset, but libvirt sent no reset event")
    }

    /// Issues `command` and waits for the domain's reset event. Registered before the call, like `confirm`.
    private func confirmReset(
        _ domain: DomainRef, within timeout: Duration, _ command: @escaping @Sendable () async throws -> Void
    ) async throws -> Bool {
        let timeout = min(timeout, Self.wait(seconds: Self.longestWait))
        let waiter = waiters.register(domain.uuid, until: [], orReset: true)
        do {
            try await call("action", command)
        } catch {
            waiters.cancel(waiter)
            throw error
        }
        return await waiters.wait(waiter, upTo: timeout)
    }

    /// Issues `command` and waits for the lifecycle event that shows the domain in one of `targets`.
    /// At the deadline the state is asked once more, in case the event was lost with the connection.
    private func confirm(
        _ domain: DomainRef, becomes targets: Set<DomainState>, within timeout: Duration,
        _ command: @escaping @Sendable () async throws -> Void
    ) async throws -> ActionResult {
        let timeout = min(timeout, Self.wait(seconds: Self.longestWait))
        let waiter = waiters.register(domain.uuid, until: targets)
        do {
            try await call("action", command)
        } catch {
            waiters.cancel(waiter)
            throw error
        }
        if await waiters.wait(waiter, upTo: timeout) { return .success }
        let now = try? await call("state") { try await self.controller.state(domain) }
        return now.map(targets.contains) == true ? .success : .timeout
    }

    private func call<T: Sendable>(_ name: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withDeadline(callTimeout, operation: name, body)
    }

    private func finish(
        _ plan: ActionPlan, result: ActionResult, before: DomainState?, after: DomainState?, seconds: Double,
        failure: String?, steps: [ActionStep] = []
    ) {
        let record = commit.withLock { _ in
            let (record, safety) = state.withLock { engine -> (ActionRecord, SafetyState) in
                var record =
                    engine.records[plan.id]
                    ?? ActionRecord(plan: plan, time: clock(), decision: Decision(.queued, .ruleMatched), dryRun: false)
                record.status = .finished
                record.result = result
                record.stateBefore = before?.name
                record.stateAfter = after?.name
                record.durationSeconds = seconds
                record.error = failure
                record.steps = steps.isEmpty ? nil : steps
                var safety = engine.safety
                safety.pending[plan.id] = nil
                return (record, safety)
            }
            do {
                try storage.saveState(safety)
                health.record(.stateFile, nil)
            } catch {
                // The in-memory state moves on; on the next start the action shows as interrupted.
                health.record(.stateFile, error)
            }
            state.withLock { engine in
                Self.remember(record, in: &engine)
                engine.safety = safety
            }
            appendOutcome(record)
            return record
        }
        telemetry.actionFinished(plan.action, result: result, seconds: seconds)
        logAudited(record, event: .outcome)
    }

    /// The audit line for a decision or an outcome.
    func auditLine(_ record: ActionRecord, event: AuditRecord.Event) -> AuditRecord {
        var line = AuditRecord(time: clock(), event: event, source: record.source, principal: record.principal)
        line.actionID = record.id
        line.alertFingerprint = record.alertFingerprint
        line.alertName = record.alertName
        line.domain = record.domain
        line.domainUUID = record.domainUUID
        line.action = record.action?.rawValue
        line.decision = record.decision.kind.rawValue
        line.reason = record.decision.reason.rawValue
        line.detail = event == .outcome ? record.error : record.decision.detail
        if event == .outcome && record.status == .cancelled {
            line.detail = "its alert resolved before the action started; not run"
        }
        line.result = event == .outcome ? (record.result?.rawValue ?? record.status.rawValue) : nil
        line.stateBefore = record.stateBefore
        line.stateAfter = record.stateAfter
        line.durationSeconds = record.durationSeconds
        line.libvirtError = event == .outcome ? record.error : nil
        line.dryRun = record.dryRun
        line.steps = event == .outcome ? record.steps : nil
        return line
    }

    /// An outcome, once the action is over: it cannot be undone, so a failed append is reported, not thrown.
    func appendOutcome(_ record: ActionRecord) {
        do {
            try storage.appendAudit(auditLine(record, event: .outcome))
            health.record(.auditLog, nil)
        } catch {
            health.record(.auditLog, error)
        }
    }

    /// The log line for an audited decision or outcome.
    func logAudited(_ record: ActionRecord, event: AuditRecord.Event) {
        var metadata: Logger.Metadata = ["action_id": "\(record.id)", "source": "\(record.source)"]
        metadata["domain"] = record.domain.map { "\($0)" }
        metadata["action"] = record.action.map { "\($0.rawValue)" }
        metadata["alert_fingerprint"] = record.alertFingerprint.map { "\($0)" }
        metadata["decision"] = "\(record.decision.kind.rawValue)"
        metadata["reason"] = "\(record.decision.reason.rawValue)"
        if event == .outcome { metadata["result"] = "\(record.result?.rawValue ?? record.status.rawValue)" }
        logger.info(event == .decision ? "remediation decision" : "remediation outcome", metadata: metadata)
    }

    /// Waits longer than this are cut to it: a year is "never" for an action, and Duration arithmetic on
    /// the clock must not overflow.
    static let longestWait = 365 * 86_400.0

    /// A wait of `seconds` from a policy, request or state file: none when negative or NaN, at most
    /// `longestWait`.
    static func wait(seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .milliseconds(Int64(min(seconds, longestWait) * 1000))
    }
}
