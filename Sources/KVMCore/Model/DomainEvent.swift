/// A domain event other than lifecycle, as the core sees it: decoded, with bounded names.
public struct DomainEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case ioError(IOError)
        case blockThreshold(BlockThreshold)
        case jobCompleted(JobCompletion)
        /// A migration or save began another pass over the guest's memory: a job is running.
        case migrationIteration(Int)
        /// The guest's watchdog device fired: the guest stopped petting it (hung, or its watchdog daemon died).
        case watchdog(WatchdogAction)
        /// The guest was reset: by itself, by a watchdog, or by the agent's reset or reboot.
        case reboot
        /// Tuning of the running domain changed; `vcpuPinning` when it was a vCPU's pinning (`virsh vcpupin`),
        /// which `virsh vcpuinfo`'s affinity shows.
        case tunable(vcpuPinning: Bool)
        /// The guest's balloon reached a new size: the memory the domain has now, in bytes.
        case balloonChange(bytes: Double)
    }

    public struct IOError: Sendable, Equatable {
        /// The host file or device the error happened on.
        public var sourcePath: String
        /// libvirt's device alias (`virtio-disk0`, `ide0-0-1`); the disk's target is found from the source.
        public var deviceAlias: String
        public var action: IOErrorAction
        /// libvirt's reason, made safe for a label: see `IOErrorReason`.
        public var reason: String

        public init(sourcePath: String, deviceAlias: String, actionCode: Int, reason: String) {
            self.sourcePath = sourcePath
            self.deviceAlias = deviceAlias
            self.action = IOErrorAction(rawValue: actionCode) ?? .unknown
            self.reason = IOErrorReason.label(reason)
        }
    }

    public struct BlockThreshold: Sendable, Equatable {
        /// The disk target (`vda`) or backing-chain element (`vda[1]`) libvirt names.
        public var device: String
        public var thresholdBytes: UInt64
        public var excessBytes: UInt64

        public init(device: String, thresholdBytes: UInt64, excessBytes: UInt64) {
            self.device = device
            self.thresholdBytes = thresholdBytes
            self.excessBytes = excessBytes
        }
    }

    public var domain: DomainRef
    public var kind: Kind
    /// Seconds since the epoch when the callback ran.
    public var time: Double

    public init(domain: DomainRef, kind: Kind, time: Double) {
        self.domain = domain
        self.kind = kind
        self.time = time
    }
}

/// What qemu did about an I/O error (`virDomainEventIOErrorAction`).
public enum IOErrorAction: Int, Sendable, CaseIterable {
    case none = 0
    case pause = 1
    case report = 2
    case unknown = -1

    public var name: String { String(describing: self) }
}

/// What the watchdog device was configured to do when it fired (`virDomainEventWatchdogAction`); the
/// `action` label of `kvm_domain_watchdog_events_total`.
public enum WatchdogAction: Int, Sendable, CaseIterable {
    case none = 0
    case pause = 1
    case reset = 2
    case poweroff = 3
    case shutdown = 4
    case debug = 5
    case injectNMI = 6
    case unknown = -1

    public init(code: Int) { self = Self(rawValue: code) ?? .unknown }

    public var name: String { self == .injectNMI ? "inject_nmi" : String(describing: self) }
}

/// libvirt's I/O error reason is "enospc" when the host's disk is full and "" when it cannot tell; later
/// versions may add words. A label keeps a short lowercase word as it is and calls anything else "other",
/// so that an odd string cannot make series without bound.
public enum IOErrorReason {
    public static func label(_ reason: String) -> String {
        let allowed = reason.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5f }
        return !reason.isEmpty && reason.utf8.count <= 32 && allowed ? reason : "other"
    }
}

extension DomainEvent {
    /// Whether the event tells that a job started or ended, so its figures should be read now rather than at
    /// the next full pass. Only a migration's first pass over memory counts: later passes may come many
    /// times a second, and the job is known by then.
    public var concernsJob: Bool {
        switch kind {
        case .jobCompleted: true
        case .migrationIteration(let iteration): iteration <= 1
        case .ioError, .blockThreshold, .watchdog, .reboot, .tunable, .balloonChange: false
        }
    }

    /// Whether the event makes the domain's vcpuinfo out of date (a vCPU was pinned), so it should be read
    /// now rather than at its next due time.
    public var changesVCPUInfo: Bool {
        if case .tunable(vcpuPinning: true) = kind { true } else { false }
    }
}
