import KVMCore

extension RemediationEngine {
    /// One alert of a notification, in the order a person would check: resolved, host, rule, duplicate,
    /// domain, ownership, state, pending action, safety, dry run.
    func decide(
        _ alert: Alert, origin: RequestOrigin, inventory: Inventory, engine: inout EngineState
    ) throws -> (ActionRecord, ActionPlan?) {
        let now = clock()
        var record = ActionRecord(
            id: try Self.nextID(&engine), time: now, source: origin.source, principal: origin.principal,
            alertFingerprint: alert.fingerprint, alertName: alert.name, domain: Decider.domainKey(alert.labels),
            domainUUID: nil, action: nil, decision: Decision(.skipped, .noMatchingRule), dryRun: policy.dryRun,
            status: .decided)
        func finish(_ decision: Decision) -> (ActionRecord, ActionPlan?) {
            record.decision = decision
            Self.remember(record, in: &engine)
            return (record, nil)
        }
        let alertKey = "\(alert.fingerprint)|\(alert.startsAt)"
        if alert.status == .resolved {
            return finish(resolve(alertKey, engine: &engine))
        }
        if let elsewhere = decider.hostCheck(alert.labels) {
            return finish(elsewhere)
        }
        guard let rule = decider.rule(for: alert.labels) else {
            return finish(Decision(.skipped, .noMatchingRule, "no rule for alert \(alert.name)"))
        }
        record.action = rule.action
        record.dryRun = rule.dryRun ?? policy.dryRun
        guard let key = Decider.domainKey(alert.labels) else {
            return finish(Decision(.skipped, .noDomainLabel, "the alert has neither a domain nor a domain_uuid label"))
        }
        let dedupeKey = "\(alertKey)|\(rule.action.rawValue)"
        if engine.safety.seen[dedupeKey] != nil {
            return finish(Decision(.skipped, .duplicate, "this alert already led to a \(rule.action.rawValue)"))
        }
        guard let entry = Decider.lookup(key, in: inventory) else {
            return finish(Decision(.skipped, .unknownDomain, "no domain \(key) on this host"))
        }
        record.domain = entry.ref.name
        record.domainUUID = entry.ref.uuid
        if let hold = maintenanceCheck(entry, safety: engine.safety, now: now) {
            return finish(hold)
        }
        if let refusal = check(
            entry, action: rule.action, whenPaused: rule.whenPaused, recoverCrashed: rule.recoverCrashed,
            allowOrchestrated: rule.allowOrchestrated, allowTransient: rule.allowTransient, inventory: inventory,
            engine: &engine, now: now)
        {
            return finish(refusal)
        }
        let detail = "rule \(rule.name): \(rule.action.rawValue) \(entry.ref.name)"
        if record.dryRun {
            return finish(Decision(.dryRun, .ruleMatched, detail))
        }
        engine.safety.seen[dedupeKey] = now
        let plan = ActionPlan(
            id: record.id, domainUUID: entry.ref.uuid, domainName: entry.ref.name, action: rule.action,
            operation: operation(rule.action, entry), shutdownTimeoutSeconds: rule.shutdownTimeout.seconds,
            forceAfterTimeout: rule.forceAfterTimeout, rule: rule.name, alertKey: alertKey, source: origin.source,
            principal: origin.principal)
        return queue(plan, record: record, detail: detail, engine: &engine, now: now)
    }

    func decideManual(
        _ action: RemediationAction, entry: DomainEntry, options: ManualOptions, origin: RequestOrigin,
        inventory: Inventory, engine: inout EngineState
    ) throws -> (ActionRecord, ActionPlan?) {
        let now = clock()
        let dryRun = options.dryRun == true || (policy.api.dryRun ?? policy.dryRun)
        var record = ActionRecord(
            id: try Self.nextID(&engine), time: now, source: origin.source, principal: origin.principal,
            alertFingerprint: nil, alertName: nil, domain: entry.ref.name, domainUUID: entry.ref.uuid, action: action,
            decision: Decision(.skipped, .manualRequest), dryRun: dryRun, status: .decided)
        func finish(_ decision: Decision) -> (ActionRecord, ActionPlan?) {
            record.decision = decision
            Self.remember(record, in: &engine)
            return (record, nil)
        }
        if let hold = maintenanceCheck(entry, safety: engine.safety, now: now) {
            return finish(hold)
        }
        if options.forceAfterSeconds != nil && !(action == .shutdown && policy.api.allowForce) {
            return finish(
                Decision(.skipped, .forceNotAllowed, "force_after_seconds needs a shutdown and api.allow_force"))
        }
        if let refusal = check(
            entry, action: action, whenPaused: .resume, recoverCrashed: .leave,
            allowOrchestrated: policy.api.allowOrchestrated,
            allowTransient: policy.api.allowTransient, inventory: inventory, engine: &engine, now: now)
        {
            return finish(refusal)
        }
        let detail = "\(action.rawValue) \(entry.ref.name) for \(origin.principal)"
        if dryRun { return finish(Decision(.dryRun, .manualRequest, detail)) }
        let plan = ActionPlan(
            id: record.id, domainUUID: entry.ref.uuid, domainName: entry.ref.name, action: action,
            operation: operation(action, entry),
            shutdownTimeoutSeconds: options.forceAfterSeconds ?? policy.api.shutdownTimeout.seconds,
            forceAfterTimeout: options.forceAfterSeconds != nil, rule: nil, alertKey: nil, source: origin.source,
            principal: origin.principal)
        return queue(plan, record: record, detail: detail, engine: &engine, now: now)
    }

    /// Ownership, state, pending action and safety checks shared by alerts and manual requests.
    private func check(
        _ entry: DomainEntry, action: RemediationAction, whenPaused: Rule.WhenPaused,
        recoverCrashed: Rule.RecoverCrashed, allowOrchestrated: Bool, allowTransient: Bool, inventory: Inventory,
        engine: inout EngineState, now: Double
    ) -> Decision? {
        if let refusal = decider.ownership(entry, allowOrchestrated: allowOrchestrated, allowTransient: allowTransient)
        {
            return refusal
        }
        let uuid = entry.ref.uuid
        let pending = (engine.queues[uuid] ?? []) + (engine.running[uuid].map { [$0] } ?? [])
        if let same = pending.first(where: { $0.action == action }) {
            return Decision(
                .skipped, .actionPending, "action \(same.id) (\(action.rawValue)) is already queued or running")
        }
        // With an action of the other kind pending, the domain's state is about to change: judge by the
        // state that action leads to rather than by the current one.
        if pending.isEmpty,
            let nothing = decider.stateCheck(
                entry, action: action, whenPaused: whenPaused, recoverCrashed: recoverCrashed)
        {
            return nothing
        }
        return decider.safetyCheck(entry, action: action, inventory: inventory, safety: &engine.safety, now: now)
    }

    private func queue(
        _ plan: ActionPlan, record: ActionRecord, detail: String, engine: inout EngineState, now: Double
    ) -> (ActionRecord, ActionPlan?) {
        var record = record
        record.decision = Decision(
            .queued, record.decision.reason == .manualRequest ? .manualRequest : .ruleMatched, detail)
        record.status = .queued
        engine.safety.recordAction(
            plan.domainUUID, name: plan.domainName, at: now, window: policy.limits.window.seconds)
        if policy.limits.maxRestarts != nil && plan.action.isRestart {
            engine.safety.recordRestart(plan.domainUUID, name: plan.domainName, at: now)
        }
        engine.safety.pending[plan.id] = plan
        engine.queues[plan.domainUUID, default: []].append(plan)
        Self.remember(record, in: &engine)
        return (record, plan)
    }

    private func operation(_ action: RemediationAction, _ entry: DomainEntry) -> ActionPlan.Operation {
        switch action {
        case .start:
            Decider.crashedButActive(entry) ? .destroyThenStart : entry.state == .paused ? .resume : .start
        case .shutdown: .shutdown
        case .reset: .reset
        case .reboot: .reboot
        }
    }

    /// A resolved alert cancels its queued action; one already running is left to finish, and nothing
    /// else happens (never the inverse action).
    private func resolve(_ alertKey: String, engine: inout EngineState) -> Decision {
        for (uuid, plans) in engine.queues {
            guard let index = plans.firstIndex(where: { $0.alertKey == alertKey }) else { continue }
            let plan = plans[index]
            engine.queues[uuid]?.remove(at: index)
            if engine.queues[uuid]?.isEmpty == true { engine.queues[uuid] = nil }
            engine.safety.pending[plan.id] = nil
            engine.records[plan.id]?.status = .cancelled
            return Decision(.cancelled, .resolvedCancelled, "action \(plan.id) removed from the queue")
        }
        if let running = engine.running.values.first(where: { $0.alertKey == alertKey }) {
            return Decision(.nothingToDo, .resolvedInFlight, "action \(running.id) is running and is left to finish")
        }
        return Decision(.nothingToDo, .resolvedNothingQueued, "no queued action for this alert")
    }
}
