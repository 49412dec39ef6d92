/// The counters sampled for one domain, in base units, whichever libvirt call they came from.
public struct DomainStats: Sendable, Equatable {
    public var cpuTimeSeconds: Double?
    public var cpuUserSeconds: Double?
    public var cpuSystemSeconds: Double?
    public var vcpusCurrent: Double?
    public var vcpusMaximum: Double?
    public var memoryBytes: Double?
    public var memoryMaximumBytes: Double?
    public var balloon = Balloon()
    /// `cpu.haltpoll.success.time` and `.fail.time`: host CPU time KVM spent polling before halting a vCPU.
    public var haltPollSuccessSeconds: Double?
    public var haltPollFailSeconds: Double?
    /// KVM's own counters (QEMU's query-stats), for domains of type kvm; nil where the driver gives none.
    public var kvm: KVMCounters?
    /// vCPU number to its bulk `vcpu` figures.
    public var vcpus: [Int: VCPUCounters] = [:]
    public var blocks: [BlockDeviceStats] = []
    public var interfaces: [InterfaceDeviceStats] = []

    public struct Balloon: Sendable, Equatable {
        public var rssBytes: Double?
        public var usableBytes: Double?
        public var unusedBytes: Double?
        public var availableBytes: Double?
        /// The guest's own figures, reported by its balloon driver once per statistics period.
        public var swapInBytes: Double?
        public var swapOutBytes: Double?
        public var majorFaults: Double?
        public var minorFaults: Double?
        public var diskCachesBytes: Double?
        public var hugetlbAllocations: Double?
        public var hugetlbFailures: Double?
        /// When the guest last reported, in seconds since the epoch; nil when it never did.
        public var lastUpdateTimestamp: Double?
        public init() {}
    }

    public init() {}
}

public struct VCPUCounters: Sendable, Equatable {
    public var timeSeconds: Double?
    public var waitSeconds: Double?
    public var delaySeconds: Double?
    /// `vcpu.N.halted`: libvirt gives it only where it means something (s390).
    public var halted: Bool?
    /// `vcpu.N.state`: the state `virsh vcpuinfo` shows, read every pass with the counters.
    public var state: VCPUInfo.State?
    public init(
        timeSeconds: Double? = nil, waitSeconds: Double? = nil, delaySeconds: Double? = nil, halted: Bool? = nil,
        state: VCPUInfo.State? = nil
    ) {
        self.timeSeconds = timeSeconds
        self.waitSeconds = waitSeconds
        self.delaySeconds = delaySeconds
        self.halted = halted
        self.state = state
    }
}

public struct BlockDeviceStats: Sendable, Equatable {
    public var device: String
    public var path: String?
    public var readRequests: Double?
    public var readBytes: Double?
    public var readSeconds: Double?
    public var writeRequests: Double?
    public var writeBytes: Double?
    public var writeSeconds: Double?
    public var flushRequests: Double?
    public var flushSeconds: Double?
    public var capacityBytes: Double?
    public var allocationBytes: Double?
    public var physicalBytes: Double?

    public init(device: String, path: String? = nil) {
        self.device = device
        self.path = path
    }
}

public struct InterfaceDeviceStats: Sendable, Equatable {
    public var device: String
    public var receiveBytes: Double?
    public var receivePackets: Double?
    public var receiveErrors: Double?
    public var receiveDrops: Double?
    public var transmitBytes: Double?
    public var transmitPackets: Double?
    public var transmitErrors: Double?
    public var transmitDrops: Double?

    public init(device: String) {
        self.device = device
    }
}

/// What `virsh vcpuinfo` shows for one vCPU (`virDomainGetVcpus`).
public struct VCPUInfo: Sendable, Equatable {
    public enum State: Int, Sendable, CaseIterable {
        case offline = 0
        case running = 1
        case blocked = 2
        /// Spelled out for the reason `DomainState.name` gives.
        public var name: String {
            switch self {
            case .offline: "offline"
            case .running: "running"
            case .blocked: "blocked"
            }
        }
    }

    public var number: Int
    public var state: State
    public var cpuTimeSeconds: Double
    /// The physical CPU it ran on when asked; -1 when offline.
    public var physicalCPU: Int
    /// Physical CPUs it may run on.
    public var affinity: [Int]

    public init(number: Int, state: State, cpuTimeSeconds: Double, physicalCPU: Int, affinity: [Int]) {
        self.number = number
        self.state = state
        self.cpuTimeSeconds = cpuTimeSeconds
        self.physicalCPU = physicalCPU
        self.affinity = affinity
    }
}

/// What `virDomainGetInfo` returns, for drivers whose bulk stats lack the cpu, balloon or vcpu groups.
public struct DomainBasicInfo: Sendable, Equatable {
    public var state: DomainState
    public var memoryBytes: Double
    public var memoryMaximumBytes: Double
    public var vcpus: Int
    public var cpuTimeSeconds: Double

    public init(state: DomainState, memoryBytes: Double, memoryMaximumBytes: Double, vcpus: Int, cpuTimeSeconds: Double)
    {
        self.state = state
        self.memoryBytes = memoryBytes
        self.memoryMaximumBytes = memoryMaximumBytes
        self.vcpus = vcpus
        self.cpuTimeSeconds = cpuTimeSeconds
    }
}
