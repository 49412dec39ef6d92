/// KVM's own counters of one domain, from QEMU's query-stats as libvirt passes them on: a curated set, the
/// per-vCPU ones summed over the domain's vCPUs. Only the counters the driver gave are present.
public struct KVMCounters: Sendable, Equatable {
    public enum Stat: String, Sendable, CaseIterable {
        // Per vCPU, in the `vcpu` group (`vcpu.N.exits.sum`), which the collector asks for anyway.
        case exits, haltExits, ioExits, mmioExits, haltPollAttempts, haltPollSuccesses, haltWaitSeconds, tlbFlushes
        // Per VM, in the `vm` group (`vm.remote_tlb_flush.sum`).
        case remoteTLBFlushes, remoteTLBFlushRequests, mapped4KiBBytes, mapped2MiBBytes, mapped1GiBBytes

        /// libvirt's key after `vcpu.N.` or `vm.`: QEMU's name and libvirt's type suffix.
        public var key: String {
            switch self {
            case .exits: "exits.sum"
            case .haltExits: "halt_exits.sum"
            case .ioExits: "io_exits.sum"
            case .mmioExits: "mmio_exits.sum"
            case .haltPollAttempts: "halt_attempted_poll.sum"
            case .haltPollSuccesses: "halt_successful_poll.sum"
            case .haltWaitSeconds: "halt_wait_ns.sum"
            case .tlbFlushes: "tlb_flush.sum"
            case .remoteTLBFlushes: "remote_tlb_flush.sum"
            case .remoteTLBFlushRequests: "remote_tlb_flush_requests.sum"
            case .mapped4KiBBytes: "pages_4k.cur"
            case .mapped2MiBBytes: "pages_2m.cur"
            case .mapped1GiBBytes: "pages_1g.cur"
            }
        }

        public var perVCPU: Bool {
            switch self {
            case .exits, .haltExits, .ioExits, .mmioExits, .haltPollAttempts, .haltPollSuccesses, .haltWaitSeconds,
                .tlbFlushes:
                true
            default: false
            }
        }

        /// Factor to base units: nanoseconds to seconds, pages of the mapping size to bytes.
        public var scale: Double {
            switch self {
            case .haltWaitSeconds: 1e-9
            case .mapped4KiBBytes: 4096
            case .mapped2MiBBytes: 2_097_152
            case .mapped1GiBBytes: 1_073_741_824
            default: 1
            }
        }
    }

    public var values: [Stat: Double] = [:]

    public init(_ values: [Stat: Double] = [:]) {
        self.values = values
    }

    public subscript(stat: Stat) -> Double? { values[stat] }
}

extension DomainStats {
    /// Leaves out what only KVM means: the names in QEMU's query-stats are KVM's, and under TCG libvirt
    /// reports halt polling as zero rather than absent.
    mutating func dropKVMFigures() {
        kvm = nil
        haltPollSuccessSeconds = nil
        haltPollFailSeconds = nil
    }
}
