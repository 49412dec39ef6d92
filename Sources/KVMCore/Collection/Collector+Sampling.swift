import Foundation
import Logging
import Synchronization

extension Collector {
    private enum Outcome: Sendable {
        case sampled(Sample)
        /// Past the deadline, still stuck from an earlier pass, or skipped by libvirt because its job is held.
        case timedOut
        case failed
    }

    /// What sampling one domain brought.
    private struct Sample: Sendable {
        var stats: DomainStats
        /// The vcpuinfo read, with the changes it reflects; nil when it was not due and the last one stands.
        var vcpuinfo: (vcpus: [VCPUInfo], changes: Int)?
        /// The balloon changes the `balloon` group was read after; nil when the group was left out this pass
        /// and the last reading stands.
        var balloonChanges: Int?
        var jobMarker: String?
    }

    /// Samples counters and vcpuinfo of `domains`; returns how many could not be sampled.
    ///
    /// The figures of every domain the bulk call answered in full are published together first; a domain
    /// that needs a call of its own is published when that returns. Such a call waits for the domain's job
    /// and may hang until the deadline: the others' figures do not wait for it. Every statistics call of a
    /// pass ends within one deadline of its first, so a domain that hangs is marked timed out by then.
    func sample(_ domains: [DomainRef]) async -> Int {
        guard !domains.isEmpty else { return 0 }
        let deadline = ContinuousClock.now + options.timeout
        // What this pass reads is stamped with its start, so that an interval's readings are a pass apart,
        // not a pass and the time a pass takes.
        let began = Date().timeIntervalSince1970
        let snapshot = store.snapshot()
        let suspects = Set(snapshot.domains.values.filter(\.statsTimedOut).map(\.ref.uuid))
        let previous = snapshot.domains
        let stuck = Set(domains.map(\.uuid).filter { isStuck($0) })
        // A domain that timed out last time is asked on its own: in the bulk call it could hold up all others.
        let bulk = domains.filter { !stuck.contains($0.uuid) && !suspects.contains($0.uuid) }
        // Domains whose balloon group is not due are asked without it, in a call of their own. One call after
        // the other: each may be hedged, and two at once with their hedges would fill libvirtd's five requests
        // per client with the calls left running on stuck domains.
        let lean = Set(bulk.filter { !balloonDue(previous[$0.uuid]) }.map(\.uuid))
        let full = await bulkRecords(
            bulk.filter { !lean.contains($0.uuid) }, groups: options.statsGroups, previous: previous,
            deadline: deadline)
        let rest = await bulkRecords(
            bulk.filter { lean.contains($0.uuid) }, groups: options.statsGroups.subtracting([.balloon]),
            previous: previous, deadline: deadline)
        let records = full.merging(rest) { first, _ in first }

        let answered = domains.filter { records[$0.uuid] != nil }
        var outcomes = await concurrentMap(answered, limit: options.concurrency) { ref -> (DomainRef, Outcome) in
            await self.outcome(
                of: ref, record: records[ref.uuid], previous: previous[ref.uuid],
                balloonAsked: !lean.contains(ref.uuid))
        }
        outcomes += domains.filter { stuck.contains($0.uuid) }.map { ($0, Outcome.timedOut) }
        publish(outcomes, began: began)

        // Calls that overrun hold one of the few requests libvirtd serves per client at once
        // (max_client_requests, 5 by default); past the cap, domains that timed out last time are not asked
        // again, so that the healthy ones always have a slot.
        let alone = domains.filter { records[$0.uuid] == nil && !stuck.contains($0.uuid) }
        outcomes += await concurrentMap(alone, limit: options.concurrency) { ref -> (DomainRef, Outcome) in
            let outcome: (DomainRef, Outcome)
            if suspects.contains(ref.uuid) && self.abandonedCallsAtCap {
                outcome = (ref, .timedOut)
            } else {
                outcome = await self.sampleAlone(ref, previous: previous[ref.uuid], deadline: deadline)
            }
            self.publish([outcome], began: began)
            return outcome
        }

        let timedOut = Set(outcomes.filter { if case .timedOut = $0.1 { true } else { false } }.map(\.0.name))
        reportTimedOut(timedOut, among: Set(domains.map(\.name)))
        return outcomes.filter { if case .sampled = $0.1 { false } else { true } }.count
    }

    /// A domain's own statistics call, waiting for its job until what is left of the pass's deadline.
    private func sampleAlone(_ ref: DomainRef, previous: DomainEntry?, deadline: ContinuousClock.Instant) async
        -> (DomainRef, Outcome)
    {
        let groups = options.statsGroups
        let left = max(deadline - ContinuousClock.now, options.timeout / 4)
        do {
            let record = try await call("domain stats", key: ref.uuid, timeout: left) {
                try await $0.domainStats(ref, groups: groups)
            }
            return await outcome(of: ref, record: record, previous: previous)
        } catch is DeadlineExceeded {
            return (ref, .timedOut)
        } catch {
            logger.debug("domain stats failed", metadata: ["domain": "\(ref.name)", "error": "\(error)"])
            return (ref, .failed)
        }
    }

    /// Completes a domain's record and adds its vcpuinfo when that is due. `previous` is the domain's entry
    /// when the pass began: its definition, its last vcpuinfo and the balloon changes told so far.
    private func outcome(
        of ref: DomainRef, record: [String: StatValue]?, previous: DomainEntry?, balloonAsked: Bool = true
    ) async -> (DomainRef, Outcome) {
        guard let record else { return (ref, .timedOut) }
        let config = previous?.config
        do {
            let stats = try await complete(ref, record, config: config, balloonAsked: balloonAsked)
            var sample = Sample(
                stats: stats, balloonChanges: balloonAsked ? previous?.balloonChanges.told ?? 0 : nil,
                jobMarker: BulkStatsDecoder().jobMarker(in: record))
            guard options.collectors.contains(.vcpuinfo) else {
                // Nothing to read: a change told meanwhile is taken as seen, or every quick pass would ask again.
                sample.vcpuinfo = ([], previous?.vcpuinfoChanges.told ?? 0)
                return (ref, .sampled(sample))
            }
            guard vcpuinfoDue(previous, counters: stats.vcpus) else { return (ref, .sampled(sample)) }
            let changes = previous?.vcpuinfoChanges.told ?? 0
            let maximum = (stats.vcpusMaximum ?? config?.vcpusMaximum).flatMap { Int(exactly: $0) }
            let vcpus = try await call("vcpuinfo", key: ref.uuid) { try await $0.vcpuInfo(ref, maximumVCPUs: maximum) }
            sample.vcpuinfo = (vcpus, changes)
            return (ref, .sampled(sample))
        } catch is DeadlineExceeded {
            return (ref, .timedOut)
        } catch {
            logger.debug("sampling failed", metadata: ["domain": "\(ref.name)", "error": "\(error)"])
            return (ref, .failed)
        }
    }

    /// Whether a domain's vcpuinfo is read this pass: a `virDomainGetVcpus` per running domain and pass was
    /// a third of the default collectors' cost, for two figures (physical CPU, affinity) that the bulk call
    /// lacks. It is read when the domain has none, when a vCPU was pinned or plugged since, and otherwise
    /// every `vcpuinfoInterval`.
    private func vcpuinfoDue(_ previous: DomainEntry?, counters: [Int: VCPUCounters]) -> Bool {
        guard let previous, let sampledAt = previous.vcpusSampledAt, !previous.vcpusStale else { return true }
        if !counters.isEmpty && Set(counters.keys) != Set(previous.vcpus.map(\.number)) { return true }
        return Self.isDue(sampledAt, every: options.vcpuinfoInterval)
    }

    /// Whether a domain's `balloon` group is read this pass: about a fifth of libvirtd's cost of a pass, for the
    /// memory the domain has, which a balloon event tells at once, and its process's resident memory. It is
    /// read when the domain has no reading or no figure to tell a skipped job by without it, when its guest
    /// reports memory figures each statistics period, after a balloon event, and otherwise every
    /// `balloonInterval`.
    private func balloonDue(_ previous: DomainEntry?) -> Bool {
        // The period is the definition's as last read (at start and after a define event). One set on the
        // running guest by another client (`virsh dommemstat --period --live`) sends no event: that guest's
        // figures are read on the schedule, with their timestamp, until its definition is read again. Whether
        // the guest reported is no sign of a period: a Linux guest's balloon driver reports once as it loads.
        guard let previous, previous.stats != nil, previous.jobMarker != nil,
            let sampledAt = previous.balloonSampledAt, !previous.balloonChanges.stale,
            let config = previous.config, (config.memoryStatsPeriodSeconds ?? 0) <= 0
        else { return true }
        return Self.isDue(sampledAt, every: options.balloonInterval)
    }

    /// Whether a reading taken at `sampledAt` (seconds since the epoch) is `interval` old. A clock stepped back
    /// makes the age negative: read it then rather than wait for the clock to catch up.
    private static func isDue(_ sampledAt: Double, every interval: Duration) -> Bool {
        let age = Date().timeIntervalSince1970 - sampledAt
        return age < 0 || age >= interval.seconds
    }

    /// `began` is when the pass began: what it read on a schedule (the balloon group, vcpuinfo) is stamped
    /// with it.
    private func publish(_ outcomes: [(DomainRef, Outcome)], began: Double) {
        guard !outcomes.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        store.update { inventory in
            for (ref, outcome) in outcomes {
                guard var entry = inventory.domains[ref.uuid], entry.state.isActive else { continue }
                switch outcome {
                case .sampled(var sample):
                    if let changes = sample.balloonChanges {
                        // A balloon event told since the pass began is newer than what the pass read.
                        if entry.balloonChanges.told != changes, let told = entry.stats?.memoryBytes {
                            sample.stats.memoryBytes = told
                        }
                        entry.balloonSampledAt = began
                        entry.balloonChanges.read = changes
                    } else if let last = entry.stats {
                        // Left out this pass: the last reading stands, with a size a balloon event set since.
                        sample.stats.memoryBytes = last.memoryBytes
                        sample.stats.memoryMaximumBytes = last.memoryMaximumBytes ?? sample.stats.memoryMaximumBytes
                        sample.stats.balloon = last.balloon
                    }
                    entry.stats = sample.stats
                    entry.jobMarker = sample.jobMarker
                    if let vcpuinfo = sample.vcpuinfo {
                        entry.vcpus = vcpuinfo.vcpus
                        entry.vcpusSampledAt = began
                        entry.vcpuinfoChanges.read = vcpuinfo.changes
                    }
                    entry.statsSampledAt = now
                    entry.statsTimedOut = false
                case .timedOut:
                    entry.dropSamples(timedOut: true)
                case .failed:
                    entry.dropSamples()
                }
                inventory.domains[ref.uuid] = entry
            }
        }
    }

    /// Logs a warning when the set of domains that do not answer changes, not on every pass while it stays.
    private func reportTimedOut(_ timedOut: Set<String>, among sampled: Set<String>) {
        let (started, ended) = lastTimedOut.withLock { last -> (Set<String>, Set<String>) in
            let started = timedOut.subtracting(last)
            let ended = last.intersection(sampled).subtracting(timedOut)
            last = last.subtracting(sampled).union(timedOut)
            return (started, ended)
        }
        if !started.isEmpty {
            logger.warning("domains did not answer in time", metadata: ["domains": "\(started.sorted())"])
        }
        if !ended.isEmpty {
            logger.info("domains answer again", metadata: ["domains": "\(ended.sorted())"])
        }
    }

    /// The records of one no-wait bulk call for all, keeping only those with every figure; a domain left
    /// out (its job was held) or answered without the figures that need its job is asked on its own.
    ///
    /// A bulk call that is not back within the hedge delay is left running and a second one is made: the
    /// first holds the job of the domain it is stuck on, so the second skips that domain and answers for
    /// the others. If neither is back within another delay, every domain is asked on its own.
    private func bulkRecords(
        _ domains: [DomainRef], groups: Set<StatsGroup>, previous: [String: DomainEntry],
        deadline: ContinuousClock.Instant
    ) async -> [String: [String: StatValue]] {
        guard !domains.isEmpty else { return [:] }
        let bulk = await firstAnswer(attempts: 2, every: hedgeDelay(domains.count)) { attempt in
            let began = ContinuousClock.now
            do {
                let records = try await self.call("bulk stats", key: Self.bulkKey, timeout: deadline - began) {
                    try await $0.bulkStats(domains, groups: groups)
                }
                self.bulkDurationPerDomain.withLock { $0 = (ContinuousClock.now - began) / domains.count }
                return records
            } catch {
                self.logger.info(
                    "bulk stats failed, sampling per domain", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                return nil
            }
        }
        let decoder = BulkStatsDecoder()
        var records: [String: [String: StatValue]] = [:]
        for (ref, params) in bulk ?? [:]
        where !decoder.lacksJobFigures(params, marker: previous[ref.uuid]?.jobMarker) {
            records[ref.uuid] = params
        }
        return records
    }

    /// How long a pass waits for a bulk call for `count` domains before making another: half as long again
    /// as the last one took for as many, at least 200 ms, at most a quarter of the deadline so that both
    /// attempts and the calls of each domain still fit in it.
    private func hedgeDelay(_ count: Int) -> Duration {
        let perDomain = bulkDurationPerDomain.withLock { $0 } ?? .zero
        return min(options.timeout / 4, max(.milliseconds(200), perDomain * count * 1.5))
    }

    /// Decodes a bulk record and fills the groups the driver left out with per-domain calls.
    private func complete(
        _ ref: DomainRef, _ params: [String: StatValue], config: DomainConfig?, balloonAsked: Bool
    ) async throws -> DomainStats {
        let decoder = BulkStatsDecoder()
        var stats = decoder.decode(params)
        let present = decoder.groupsPresent(in: params)
        if !present.isSuperset(of: balloonAsked ? [.cpuTotal, .balloon, .vcpu] : [.cpuTotal, .vcpu]) {
            let info = try await call("domain info", key: ref.uuid) { try await $0.basicInfo(ref) }
            stats.cpuTimeSeconds = stats.cpuTimeSeconds ?? info.cpuTimeSeconds
            stats.memoryBytes = stats.memoryBytes ?? info.memoryBytes
            stats.memoryMaximumBytes = stats.memoryMaximumBytes ?? info.memoryMaximumBytes
            stats.vcpusCurrent = stats.vcpusCurrent ?? Double(info.vcpus)
        }
        if config?.domainType != "kvm" { stats.dropKVMFigures() }
        stats.vcpusMaximum = stats.vcpusMaximum ?? config?.vcpusMaximum
        stats.memoryMaximumBytes = stats.memoryMaximumBytes ?? config?.memoryMaximumBytes
        let wanted = options.statsGroups
        if wanted.contains(.block), !present.contains(.block) {
            for disk in config?.disks ?? [] {
                if let block = try await optionalDevice({ try await $0.blockStats(ref, device: disk.target) }, ref) {
                    stats.blocks.append(block)
                }
            }
        }
        if wanted.contains(.interface), !present.contains(.interface) {
            for device in (config?.interfaces ?? []).compactMap(\.target) {
                if let net = try await optionalDevice({ try await $0.interfaceStats(ref, device: device) }, ref) {
                    stats.interfaces.append(net)
                }
            }
        }
        return stats
    }

    /// A device may be gone or unsupported (an empty CD-ROM); only a timeout fails the domain.
    private func optionalDevice<T: Sendable>(
        _ body: @escaping @Sendable (any Hypervisor) async throws -> T, _ ref: DomainRef
    ) async throws -> T? {
        do {
            return try await call("device stats", key: ref.uuid, body)
        } catch let error as DeadlineExceeded {
            throw error
        } catch {
            return nil
        }
    }
}
