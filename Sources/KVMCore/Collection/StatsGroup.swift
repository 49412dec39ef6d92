/// The groups of libvirt's bulk statistics the agent asks for.
public enum StatsGroup: String, Sendable, CaseIterable, Hashable {
    case state
    case cpuTotal = "cpu-total"
    case balloon
    case vcpu
    case interface
    case block
    /// KVM's per-VM counters from QEMU's query-stats (libvirt 8.9 and later): a monitor call per domain, so
    /// asked for only with `--collector.vm`.
    case vm

    /// The groups asked for whatever collectors are switched off: state, CPU, memory and vCPU figures.
    static let base: Set<StatsGroup> = [.state, .cpuTotal, .balloon, .vcpu]

    /// The groups asked for when `collectors` are on.
    static func asked(for collectors: Set<CollectorGroup>) -> Set<StatsGroup> {
        base.union(collectors.compactMap(\.statsGroup))
    }

    /// The key whose presence shows the driver reported the group at all; the `vm` group has none, its
    /// fields are whatever the hypervisor reports.
    var marker: String? {
        switch self {
        case .state: "state.state"
        case .cpuTotal: "cpu.time"
        case .balloon: "balloon.current"
        case .vcpu: "vcpu.current"
        case .interface: "net.count"
        case .block: "block.count"
        case .vm: nil
        }
    }
}
