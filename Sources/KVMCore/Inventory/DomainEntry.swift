/// Everything known about one domain, from events and from the collector loop.
public struct DomainEntry: Sendable, Equatable {
    public var ref: DomainRef
    public var state: DomainState
    public var reason: String
    /// When the last state change happened, from an event or, for a change no event told of, the listing.
    public var stateChangedAt: Double?
    /// When an event last set this entry's state: listings started earlier must not override it.
    var lastEventAt: Double?
    public var config: DomainConfig?
    /// Set by defined events so that the next pass re-reads the XML.
    public var configStale = true
    public var stats: DomainStats?
    public var statsSampledAt: Double?
    /// `virsh vcpuinfo`'s answer, read again every `CollectorOptions.vcpuinfoInterval`: the bulk `vcpu` group
    /// gives each vCPU's state and time every pass; only the physical CPU and affinity come from here.
    public var vcpus: [VCPUInfo] = []
    public var vcpusSampledAt: Double?
    /// Events that make vcpuinfo out of date: a vCPU pinned; the domain started or stopped, so its vCPU
    /// threads are new.
    var vcpuinfoChanges = Changes()
    public var vcpusStale: Bool { vcpuinfoChanges.stale }
    /// When the `balloon` group was last read (the memory the domain has, its process's resident memory and
    /// the guest's memory figures); every `CollectorOptions.balloonInterval` unless the guest reports its
    /// memory each statistics period, and again after a balloon change event, counted as vcpuinfo's are.
    public var balloonSampledAt: Double?
    var balloonChanges = Changes()
    /// A figure of this domain's bulk record that libvirt gives only while it holds the domain's job
    /// (a disk's read requests): a pass that leaves the `balloon` group out tells from it whether libvirt
    /// skipped the domain's job. Nil until a record had one; the `balloon` group is read every pass until then.
    var jobMarker: String?
    /// The last attempt to sample this domain ran past its deadline, or is still stuck.
    public var statsTimedOut = false
    /// (event, detail) to how many such events the callback saw.
    public var lifecycleEvents: [LifecycleCounterKey: Double] = [:]
    /// The last lifecycle event and when it arrived, for the status page.
    public var lastEvent: LastEvent?
    /// What the guest's own agent reports (see `GuestAgentCollector`).
    public var guest = GuestView()
    /// I/O errors and block thresholds, from events.
    public var disk = DiskEvents()
    /// The running job and the count of finished ones.
    public var jobs = DomainJobs()
    /// Watchdog firings by the action the device took (`WatchdogAction.name`), from events.
    public var watchdogEvents: [String: Double] = [:]
    /// Resets of the guest (libvirt's reboot event), from events.
    public var resets: Double = 0

    public init(ref: DomainRef, state: DomainState, reason: String) {
        self.ref = ref
        self.state = state
        self.reason = reason
    }

    /// Forgets the sampled figures, which are no longer fresh (domain stopped, libvirt lost, sample failed).
    mutating func dropSamples(timedOut: Bool = false) {
        stats = nil
        vcpus = []
        vcpusSampledAt = nil
        balloonSampledAt = nil
        jobMarker = nil
        statsTimedOut = timedOut
        if !state.isActive { guest.reset() }
    }
}

/// Events that make a reading out of date, and how many of them the reading was taken after: the next pass
/// reads it again while they differ. A count, not a flag, so that an event told while a read was under way
/// (from the qemu process before a restart, say) is not taken as seen by it.
struct Changes: Sendable, Equatable {
    private(set) var told = 0
    /// `told` as it was when the reading now held began.
    var read = 0
    var stale: Bool { told != read }
    mutating func tell() { told += 1 }
}

public struct LastEvent: Sendable, Equatable {
    public var kind: LifecycleCounterKey
    public var time: Double
}

public struct LifecycleCounterKey: Sendable, Hashable, Comparable {
    public var event: String
    public var detail: String

    public static func < (a: Self, b: Self) -> Bool { (a.event, a.detail) < (b.event, b.detail) }
}

/// Who the agent is talking to, as libvirt reports it at connect time.
public struct HypervisorIdentity: Sendable, Equatable {
    public var libvirtVersion: String
    public var hypervisor: String
    public var hypervisorVersion: String
    public var uri: String
    public var hostCPUs: Double
    public var hostMemoryBytes: Double
    /// Guest domain types libvirt offers on this host (kvm, qemu, test, …).
    public var domainTypes: Set<String>

    public init(
        libvirtVersion: String, hypervisor: String, hypervisorVersion: String, uri: String, hostCPUs: Double,
        hostMemoryBytes: Double, domainTypes: Set<String>
    ) {
        self.libvirtVersion = libvirtVersion
        self.hypervisor = hypervisor
        self.hypervisorVersion = hypervisorVersion
        self.uri = uri
        self.hostCPUs = hostCPUs
        self.hostMemoryBytes = hostMemoryBytes
        self.domainTypes = domainTypes
    }
}

/// One domain as a listing reports it (`virsh list --all`).
public struct DomainSummary: Sendable, Equatable {
    public var ref: DomainRef
    public var state: DomainState
    public var reasonCode: Int

    public init(ref: DomainRef, state: DomainState, reasonCode: Int) {
        self.ref = ref
        self.state = state
        self.reasonCode = reasonCode
    }
}
