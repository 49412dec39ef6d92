/// The parts of collection that cost libvirt calls or many series, each switched by
/// `--collector.NAME` / `--no-collector.NAME` as node_exporter's collectors are. Listing, state, CPU, memory
/// and the vCPU group of the bulk call are always collected: without them the agent has nothing to say.
public enum CollectorGroup: String, Sendable, CaseIterable, Hashable, Comparable {
    case block
    case interface
    case vcpuinfo
    case jobs
    case pools
    case networks
    case vm
    case guestAgent = "guest-agent"

    /// Every group but `vm`, whose monitor call per domain and pass is the one an operator must ask for.
    public static let defaults: Set<CollectorGroup> = Set(allCases).subtracting([.vm])

    /// The flag's help: what the group brings and what it costs, in libvirt calls.
    public var help: String {
        switch self {
        case .block:
            "Disk I/O counters and sizes (kvm_domain_block_*): part of the bulk call, about 14 series per disk."
        case .interface:
            "Network interface counters (kvm_domain_interface_*): part of the bulk call, 8 series per interface."
        case .vcpuinfo:
            "virsh vcpuinfo's state, physical CPU and affinity per vCPU: one call per running domain when it "
                + "starts, when a vCPU is pinned or plugged, and every --collector.vcpuinfo.interval."
        case .jobs:
            "Progress of running jobs (migrations, dumps, backups): one call per domain with a job, while it runs."
        case .pools:
            "Storage pools and their volumes (kvm_storage_pool_*): one listing per pass and per pool event."
        case .networks:
            "libvirt networks and their DHCP leases (kvm_network_*): one listing per pass and per network event."
        case .vm:
            "KVM's per-VM counters (libvirt's vm group: TLB flushes, large page mappings): a QEMU monitor call "
                + "per running domain and pass."
        case .guestAgent:
            "Ask running guests' QEMU guest agents for OS, hostname, file systems and addresses: four calls into "
                + "each guest with an agent, every --collector.guest-agent.interval."
        }
    }

    /// The bulk statistics groups that collecting this group adds to the base ones.
    var statsGroup: StatsGroup? {
        switch self {
        case .block: .block
        case .interface: .interface
        case .vm: .vm
        case .vcpuinfo, .jobs, .pools, .networks, .guestAgent: nil
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
