import Foundation
import Logging
import Synchronization

extension Collector {
    private enum Outcome: Sendable {
        case sampled(DomainStats, [VCPUInfo])
        /// Past the deadline, still stuck from an earlier pass, or skipped by libvirt because its job is held.
        case timedOut
        case failed
    }

    /// Samples counters and vcpuinfo of `domains`; returns how many could not be sampled.
    func sample(_ domains: [DomainRef]) async -> Int {
        guard !domains.isEmpty else { return 0 }
        let eligible = domains.filter { !isStuck($0.uuid) }
        let snapshot = store.snapshot()
        let suspects = Set(snapshot.domains.values.filter(\.statsTimedOut).map(\.ref.uuid))
        let records = await bulkRecords(eligible, suspects: suspects)
        let configs = snapshot.domains.mapValues(\.config)
        let outcomes = await concurrentMap(domains, limit: options.concurrency) { ref -> (DomainRef, Outcome) in
            guard let params = records[ref.uuid] else { return (ref, .timedOut) }
            do {
                let stats = try await self.complete(ref, params, config: configs[ref.uuid] ?? nil)
                let vcpus =
                    self.options.collectors.contains(.vcpuinfo)
                    ? try await self.call("vcpuinfo", key: ref.uuid) { try await $0.vcpuInfo(ref) } : []
                return (ref, .sampled(stats, vcpus))
            } catch is DeadlineExceeded {
                return (ref, .timedOut)
            } catch {
                self.logger.debug("sampling failed", metadata: ["domain": "\(ref.name)", "error": "\(error)"])
                return (ref, .failed)
            }
        }
        let now = Date().timeIntervalSince1970
        store.update { inventory in
            for (ref, outcome) in outcomes {
                guard var entry = inventory.domains[ref.uuid], entry.state.isActive else { continue }
                switch outcome {
                case .sampled(let stats, let vcpus):
                    entry.stats = stats
                    entry.vcpus = vcpus
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
        let timedOut = Set(outcomes.filter { if case .timedOut = $0.1 { true } else { false } }.map(\.0.name))
        reportTimedOut(timedOut, among: Set(domains.map(\.name)))
        return outcomes.filter { if case .sampled = $0.1 { false } else { true } }.count
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

    /// One no-wait bulk call for all, then one waiting call for each domain the bulk call skipped or had to
    /// answer without its job. If the bulk call overruns (one stuck domain holds it up) or an earlier one is
    /// still stuck, every domain gets its own call, so that the others keep fresh figures.
    private func bulkRecords(_ domains: [DomainRef], suspects: Set<String>) async -> [String: [String: StatValue]] {
        guard !domains.isEmpty else { return [:] }
        let groups = options.statsGroups
        let decoder = BulkStatsDecoder()
        var records: [String: [String: StatValue]] = [:]
        if !isStuck(Self.bulkKey) {
            do {
                let bulk = try await call("bulk stats", key: Self.bulkKey) {
                    try await $0.bulkStats(domains, groups: groups)
                }
                for (ref, params) in bulk where !decoder.lacksJobFigures(params) { records[ref.uuid] = params }
            } catch {
                logger.info("bulk stats failed, sampling per domain", metadata: ["error": "\(error)"])
            }
        }
        // Calls that overrun hold one of the few requests libvirtd serves per client at once
        // (max_client_requests, 5 by default); past the cap, domains that timed out last time are not asked
        // again, so that the healthy ones always have a slot.
        let missing = domains.filter { records[$0.uuid] == nil }
        let perDomain = await concurrentMap(missing, limit: options.concurrency) {
            ref -> (String, [String: StatValue]?) in
            if suspects.contains(ref.uuid) && self.abandonedCallsAtCap { return (ref.uuid, nil) }
            do {
                return (
                    ref.uuid,
                    try await self.call("domain stats", key: ref.uuid) { try await $0.domainStats(ref, groups: groups) }
                )
            } catch {
                self.logger.debug("domain stats failed", metadata: ["domain": "\(ref.name)", "error": "\(error)"])
                return (ref.uuid, nil)
            }
        }
        for (uuid, params) in perDomain { records[uuid] = params }
        return records
    }

    /// Decodes a bulk record and fills the groups the driver left out with per-domain calls.
    private func complete(_ ref: DomainRef, _ params: [String: StatValue], config: DomainConfig?) async throws
        -> DomainStats
    {
        let decoder = BulkStatsDecoder()
        var stats = decoder.decode(params)
        let present = decoder.groupsPresent(in: params)
        if !present.isSuperset(of: [.cpuTotal, .balloon, .vcpu]) {
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
