/// The groups of libvirt's bulk statistics the agent asks for.
public enum StatsGroup: String, Sendable, CaseIterable, Hashable {
    case state
    case cpuTotal = "cpu-total"
    case balloon
    case vcpu
    case interface
    case block

    /// The key whose presence shows the driver reported the group at all.
    var marker: String {
        switch self {
        case .state: "state.state"
        case .cpuTotal: "cpu.time"
        case .balloon: "balloon.current"
        case .vcpu: "vcpu.current"
        case .interface: "net.count"
        case .block: "block.count"
        }
    }
}
