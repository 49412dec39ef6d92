extension Inventory {
    /// Applies a disk or job event at once, as lifecycle events are: counters only grow, and a domain the
    /// inventory has not listed yet is added (it is running, or it could not have had the event). Returns
    /// how many events of this kind the domain has had for the same device (and reason and action) or job.
    @discardableResult
    mutating func applyDomainEvent(_ event: DomainEvent) -> Double {
        let uuid = event.domain.uuid
        var entry = domains[uuid] ?? DomainEntry(ref: event.domain, state: .running, reason: "unknown")
        defer { domains[uuid] = entry }
        switch event.kind {
        case .ioError(let error):
            // Labelled with the disk's target, as the block families are, where the definition names the
            // source; libvirt's alias otherwise.
            let target = entry.config?.disks.first { !$0.source.isEmpty && $0.source == error.sourcePath }?.target
            let key = IOErrorKey(device: target ?? error.deviceAlias, reason: error.reason, action: error.action.name)
            entry.disk.ioErrors[key, default: 0] += 1
            entry.disk.lastIOError = LastIOError(key: key, sourcePath: error.sourcePath, time: event.time)
            return entry.disk.ioErrors[key] ?? 0
        case .blockThreshold(let threshold):
            entry.disk.thresholds[threshold.device, default: ThresholdRecord()].count += 1
            entry.disk.thresholds[threshold.device]?.lastExcessBytes = Double(threshold.excessBytes)
            return entry.disk.thresholds[threshold.device]?.count ?? 0
        case .jobCompleted(let completion):
            let key = JobCounterKey(operation: completion.operation.name, result: completion.result.rawValue)
            entry.jobs.completed[key, default: 0] += 1
            entry.jobs.current = nil
            entry.jobs.expected = false
            return entry.jobs.completed[key] ?? 0
        case .migrationIteration(let iteration):
            entry.jobs.expected = true
            return Double(iteration)
        case .watchdog(let action):
            entry.watchdogEvents[action.name, default: 0] += 1
            return entry.watchdogEvents[action.name] ?? 0
        case .reboot:
            entry.resets += 1
            return entry.resets
        case .tunable(let vcpuPinning):
            // The affinity vcpuinfo showed is out of date: the next pass asks for it again.
            if vcpuPinning { entry.vcpuinfoChanges.tell() }
            return 1
        case .balloonChange(let bytes):
            // The size shows at once; the next pass reads the rest of the balloon group again.
            entry.stats?.memoryBytes = bytes
            entry.balloonChanges.tell()
            return 1
        }
    }

    /// Records a job poll's answer: the job's figures, or that none runs any more.
    mutating func applyJobPoll(_ uuid: String, progress: JobProgress?) {
        guard domains[uuid] != nil else { return }
        domains[uuid]?.jobs.current = progress
        if progress == nil { domains[uuid]?.jobs.expected = false }
    }
}

extension DomainEntry {
    /// Whether the collector should ask for this domain's job: an event said one runs, the last poll found
    /// one, or the domain is paused for a job (its state reason, which every listing reads anyway).
    public var jobLikely: Bool {
        guard state.isActive else { return false }
        if jobs.expected || jobs.current != nil { return true }
        return state == .paused && Self.jobReasons.contains(reason)
    }

    static let jobReasons: Set<String> = ["migration", "save", "dump", "snapshot", "postcopy"]
}
