import Foundation
import Logging
import Synchronization

public struct CollectorOptions: Sendable {
    /// Time between full collections (`--collector.interval`).
    public var interval: Duration
    /// Deadline of each hypervisor call (`--collector.timeout`).
    public var timeout: Duration
    /// Per-domain calls in flight at once. With `maximumAbandonedCalls` it stays within libvirtd's
    /// per-connection limit of 5 requests, so healthy domains are never queued behind stuck ones.
    public var concurrency: Int
    /// How often the host capability (CPU flags, modules, bridges) is read again.
    public var hostProbeInterval: Duration
    /// How often each running domain's vcpuinfo (physical CPU and affinity) is read again
    /// (`--collector.vcpuinfo.interval`); state and time come from the bulk call every pass.
    public var vcpuinfoInterval: Duration = .seconds(60)
    /// How often each running domain's `balloon` group is read again (`--collector.balloon.interval`) when
    /// its guest reports no memory figures (no statistics period): the group then brings only the memory the
    /// domain has, which a balloon event tells at once, and its process's resident memory, and costs libvirtd
    /// two monitor commands per domain. Zero reads it every pass.
    public var balloonInterval: Duration = .seconds(30)
    /// Overrunning calls the collector lets run on before it stops asking suspect domains; kept below
    /// libvirtd's per-client request limit so the listing and healthy domains still get through.
    public var maximumAbandonedCalls = 3
    /// The collectors switched on (`--[no-]collector.NAME`).
    public var collectors = CollectorGroup.defaults
    /// The bulk statistics groups asked for.
    var statsGroups: Set<StatsGroup> { StatsGroup.asked(for: collectors) }
    /// `--collector.balloon-period`: the statistics period given to running domains whose balloon has none;
    /// nil leaves guests alone.
    public var balloonPeriod: Duration?

    public init(
        interval: Duration = .seconds(15), timeout: Duration = .seconds(5), concurrency: Int = 2,
        hostProbeInterval: Duration = .seconds(60)
    ) {
        self.interval = interval
        self.timeout = timeout
        self.concurrency = concurrency
        self.hostProbeInterval = hostProbeInterval
    }
}

public enum CollectionResult: String, Sendable, CaseIterable {
    /// Every domain sampled.
    case success
    /// The listing worked but some domains timed out or failed.
    case partial
    /// The listing itself failed.
    case error
    /// Not attempted: libvirt is not connected.
    case disconnected
}

/// Where the collector reports on itself; the agent turns these into its own metrics.
public protocol CollectorTelemetry: Sendable {
    func collectionFinished(result: CollectionResult, durationSeconds: Double, timestamp: Double)
    /// A call to the hypervisor is about to be made; `operation` is snake_case (`bulk_stats`, `vcpuinfo`).
    /// Counted so that an operator can see that scrapes never add libvirt calls.
    func hypervisorCallStarted(_ operation: String)
}

/// The collector loop: samples every domain on an interval, and re-lists at once when an event says
/// something changed. It is the only caller of the hypervisor; scrapes read the store. Passes run one at a
/// time, so their listings reach the store in the order they were taken.
public final class Collector: Sendable {
    /// Passes asked for and not yet begun.
    private struct Requests {
        var full = false
        var quick = false
        var storage = false
    }

    private enum Pass {
        case full, quick, storage
    }

    let hypervisor: any Hypervisor
    let store: InventoryStore
    let options: CollectorOptions
    let probeHost: @Sendable () -> HostCapability?
    let telemetry: (any CollectorTelemetry)?
    let logger: Logger
    private let requests = Mutex(Requests())
    private let requested = Wakeup()
    /// Key (domain UUID, or `bulkKey`) to abandoned calls still running for it.
    let abandoned = Mutex<[String: Int]>([:])
    private let lastHostProbe = Mutex<ContinuousClock.Instant?>(nil)
    /// Names of the domains that timed out, so the log says when that changes rather than every pass.
    let lastTimedOut = Mutex<Set<String>>([])
    /// Pool and network listings that failed last time, so their failure is logged once, not every pass.
    let storageFailing = Mutex<Set<String>>([])
    /// Domains the balloon period could not be set on, so that the log tells it once, not every pass.
    let balloonPeriodRefused = Mutex<Set<String>>([])
    /// How long the last bulk statistics call took per domain it asked for (a pass may make two, for
    /// different numbers of domains): how long a pass waits for one before asking again.
    let bulkDurationPerDomain = Mutex<Duration?>(nil)
    static let bulkKey = "*bulk"

    public init(
        hypervisor: any Hypervisor, store: InventoryStore, options: CollectorOptions,
        probeHost: @escaping @Sendable () -> HostCapability? = { nil },
        telemetry: (any CollectorTelemetry)? = nil, logger: Logger = Logger(label: "kvm-agent.collector")
    ) {
        self.hypervisor = hypervisor
        self.store = store
        self.options = options
        self.probeHost = probeHost
        self.telemetry = telemetry
        self.logger = logger
    }

    /// Asks for a full collection now (after a reconnect, for instance).
    public func requestCollection() {
        requests.withLock { $0.full = true }
        requested.signal()
    }

    /// Asks for a quick re-listing (after a lifecycle event): states, new definitions and first figures.
    public func requestRefresh() {
        requests.withLock { $0.quick = true }
        requested.signal()
    }

    /// Asks for pools and networks to be listed again now (after a pool or network event).
    public func requestStorageRefresh() {
        requests.withLock { $0.storage = true }
        requested.signal()
    }

    /// Runs until the task is cancelled: a full pass every interval, and the passes asked for in between,
    /// one after the other. A request that arrives during a pass is served once it ends. Full passes begin
    /// an interval apart (a pass that overran is followed at once), so that a slow pass, one that waited
    /// out a stuck domain's deadline, does not delay the next figures of every other domain.
    public func run() async {
        var nextFull = ContinuousClock.now
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let pass = requests.withLock { requests -> Pass? in
                if requests.full || now >= nextFull {
                    // A full pass lists too: it answers the refreshes asked for before it began.
                    requests = Requests()
                    return .full
                }
                if requests.quick {
                    requests.quick = false
                    return .quick
                }
                guard requests.storage else { return nil }
                requests.storage = false
                return .storage
            }
            switch pass {
            case .full:
                let began = ContinuousClock.now
                await collectOnce()
                nextFull = max(began + options.interval, ContinuousClock.now)
            case .quick:
                await refreshListing()
            case .storage:
                await refreshStorage()
            case nil:
                await requested.wait(upTo: nextFull - now)
            }
        }
    }

    /// One full pass: host facts, listing, definitions, counters, vcpuinfo, pools and networks.
    @discardableResult
    public func collectOnce() async -> CollectionResult {
        let started = ContinuousClock.now
        let result = await collect()
        let duration = ContinuousClock.now - started
        let seconds = duration.seconds
        telemetry?.collectionFinished(result: result, durationSeconds: seconds, timestamp: Date().timeIntervalSince1970)
        if result != .success {
            logger.debug("collection finished", metadata: ["result": "\(result.rawValue)", "seconds": "\(seconds)"])
        }
        return result
    }

    private func collect() async -> CollectionResult {
        probeHostIfDue()
        guard store.snapshot().libvirtUp else { return .disconnected }
        guard let ticket = await listAndReconcile() else { return .error }
        await refreshStaleConfigs()
        await setMissingBalloonPeriods()
        let active = store.snapshot().sortedDomains.filter { $0.state.isActive }.map(\.ref)
        let failures = await sample(active)
        await pollJobs()
        let storageListed = await refreshStorage()
        store.passFinished(ticket)
        return failures == 0 && storageListed ? .success : .partial
    }

    private func refreshListing() async {
        guard store.snapshot().libvirtUp, await listAndReconcile() != nil else { return }
        await refreshStaleConfigs()
        let unsampled = store.snapshot().sortedDomains.filter {
            $0.state.isActive && ($0.stats == nil || $0.vcpusStale)
        }.map(\.ref)
        if !unsampled.isEmpty { _ = await sample(unsampled) }
        await pollJobs()
    }

    private func probeHostIfDue() {
        let now = ContinuousClock.now
        let due = lastHostProbe.withLock { last in
            guard last.map({ now - $0 >= options.hostProbeInterval }) ?? true else { return false }
            last = now
            return true
        }
        if due, let host = probeHost() { store.setHost(host) }
    }

    /// Lists the domains and applies the listing, unless a listing begun later was applied first (passes
    /// started by direct calls of `collectOnce` can overlap); either way the inventory is as new as this one.
    /// Returns the listing's ticket, nil when it failed.
    private func listAndReconcile() async -> ListingTicket? {
        let ticket = store.beginListing(at: Date().timeIntervalSince1970)
        do {
            let listing = try await call("list domains", key: nil) { try await $0.listDomains() }
            if !store.applyListing(listing, ticket: ticket) {
                logger.debug("listing superseded by a newer one, not applied")
            }
            if store.snapshot().listingFailure != nil { store.update { $0.listingFailure = nil } }
            return ticket
        } catch {
            logger.warning("listing domains failed", metadata: ["error": "\(error)"])
            store.update { $0.listingFailure = "\(error)" }
            return nil
        }
    }

    private func refreshStaleConfigs() async {
        // A domain with a call still stuck is not asked again: its definition is read once that returns.
        let stale = store.snapshot().sortedDomains.filter { $0.configStale && !isStuck($0.ref.uuid) }.map(\.ref)
        _ = await concurrentMap(stale, limit: options.concurrency) { ref in
            do {
                let config = try await self.call("read definition", key: ref.uuid) { try await $0.config(ref) }
                self.store.update { inventory in
                    inventory.domains[ref.uuid]?.config = config
                    inventory.domains[ref.uuid]?.configStale = false
                }
            } catch {
                self.logger.debug(
                    "reading definition failed", metadata: ["domain": "\(ref.name)", "error": "\(error)"])
            }
        }
    }

    /// One hypervisor call under the collector's deadline (or `timeout`, what is left of it). A call that
    /// overruns is counted against `key` until it finally returns, so that no second call piles onto the
    /// same stuck domain.
    func call<T: Sendable>(
        _ name: String, key: String?, timeout: Duration? = nil,
        _ body: @escaping @Sendable (any Hypervisor) async throws -> T
    ) async throws -> T {
        let hypervisor = self.hypervisor
        telemetry?.hypervisorCallStarted(String(name.map { $0 == " " ? "_" : $0 }))
        do {
            return try await withDeadline(
                timeout ?? options.timeout, operation: name,
                onLateCompletion: {
                    if let key { self.abandoned.withLock { $0[key, default: 0] -= 1 } }
                }, { try await body(hypervisor) })
        } catch let error as DeadlineExceeded {
            if let key { abandoned.withLock { $0[key, default: 0] += 1 } }
            throw error
        }
    }

    /// Abandoned calls still running, all keys together.
    var abandonedCallsAtCap: Bool {
        abandoned.withLock { $0.values.reduce(0) { $0 + max(0, $1) } } >= options.maximumAbandonedCalls
    }

    func isStuck(_ key: String) -> Bool {
        abandoned.withLock { ($0[key] ?? 0) > 0 }
    }
}
