import ArgumentParser
import KVMCore

/// `--collector.NAME` / `--no-collector.NAME` for each collector an operator may switch, as node_exporter
/// spells them. ArgumentParser wants one declared property per flag, hence one per `CollectorGroup` case.
struct CollectorFlags: ParsableArguments {
    @Flag(name: .customLong("collector.block"), inversion: .prefixedNo, help: help(.block))
    var block = true

    @Flag(name: .customLong("collector.interface"), inversion: .prefixedNo, help: help(.interface))
    var interface = true

    @Flag(name: .customLong("collector.vcpuinfo"), inversion: .prefixedNo, help: help(.vcpuinfo))
    var vcpuinfo = true

    @Flag(name: .customLong("collector.jobs"), inversion: .prefixedNo, help: help(.jobs))
    var jobs = true

    @Flag(name: .customLong("collector.pools"), inversion: .prefixedNo, help: help(.pools))
    var pools = true

    @Flag(name: .customLong("collector.networks"), inversion: .prefixedNo, help: help(.networks))
    var networks = true

    @Flag(name: .customLong("collector.vm"), inversion: .prefixedNo, help: help(.vm))
    var vm = false

    @Flag(name: .customLong("collector.guest-agent"), inversion: .prefixedNo, help: help(.guestAgent))
    var guestAgent = true

    var enabled: Set<CollectorGroup> {
        let switches: [(CollectorGroup, Bool)] = [
            (.block, block), (.interface, interface), (.vcpuinfo, vcpuinfo), (.jobs, jobs), (.pools, pools),
            (.networks, networks), (.vm, vm), (.guestAgent, guestAgent),
        ]
        return Set(switches.filter(\.1).map(\.0))
    }

    private static func help(_ group: CollectorGroup) -> ArgumentHelp {
        ArgumentHelp(group.help + (CollectorGroup.defaults.contains(group) ? " On by default." : " Off by default."))
    }
}
