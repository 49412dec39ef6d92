import Foundation
import Synchronization

@testable import KVMCore

/// Domains for the fake hypervisor and inventories for the renderer.
enum Fixtures {
    static let gib = 1_073_741_824.0

    static func ref(_ name: String, _ number: Int) -> DomainRef {
        DomainRef(uuid: String(format: "6F3C0A0E-8D2B-4A57-9A56-%012d", number), name: name)
    }

    /// A definition with a file disk, an empty CD-ROM and one bridged NIC.
    static func config(running: Bool) -> DomainConfig {
        var config = DomainConfig()
        config.osType = "hvm"
        config.arch = "x86_64"
        config.osVariant = "http://centos.org/centos/7.0"
        config.vcpusMaximum = 2
        config.memoryMaximumBytes = 4 * gib
        config.disks = [
            .init(target: "vda", bus: "virtio", source: "/var/lib/libvirt/images/guest.qcow2", device: "disk"),
            .init(target: "hdc", bus: "ide", source: "", device: "cdrom"),
        ]
        config.interfaces = [
            .init(
                target: running ? "vnet0" : nil, mac: "52:54:00:6b:3c:58", bridge: "br0", model: "virtio",
                type: "bridge")
        ]
        return config
    }

    /// A running domain whose bulk record carries every group, as from the qemu driver.
    static func running(_ name: String, _ number: Int, cpuSeconds: Double = 12.5) -> FakeHypervisor.FakeDomain {
        FakeHypervisor.FakeDomain(
            ref: ref(name, number), state: .running, reasonCode: 1, record: fullRecord(cpuSeconds: cpuSeconds),
            basicInfo: basicInfo, blocks: ["vda": fallbackBlock], interfaces: ["vnet0": fallbackInterface],
            vcpus: vcpuInfo, config: config(running: true))
    }

    /// A running domain whose driver reports only the `state` group, as libvirt's test driver does.
    static func stateOnly(_ name: String, _ number: Int) -> FakeHypervisor.FakeDomain {
        var domain = running(name, number)
        domain.record = ["state.state": .int(1), "state.reason": .int(1)]
        return domain
    }

    static func shutOff(_ name: String, _ number: Int) -> FakeHypervisor.FakeDomain {
        FakeHypervisor.FakeDomain(
            ref: ref(name, number), state: .shutoff, reasonCode: 1,
            record: ["state.state": .int(5), "state.reason": .int(1)],
            basicInfo: DomainBasicInfo(
                state: .shutoff, memoryBytes: 0, memoryMaximumBytes: 4 * gib, vcpus: 2, cpuTimeSeconds: 0),
            config: config(running: false))
    }

    static func fullRecord(cpuSeconds: Double) -> [String: StatValue] {
        [
            "state.state": .int(1), "state.reason": .int(1),
            "cpu.time": .uint(UInt64(cpuSeconds * 1e9)), "cpu.user": .uint(8_000_000_000),
            "cpu.system": .uint(3_000_000_000),
            "balloon.current": .uint(2_097_152), "balloon.maximum": .uint(4_194_304), "balloon.rss": .uint(1_048_576),
            "balloon.usable": .uint(1_572_864), "balloon.unused": .uint(524_288), "balloon.available": .uint(2_000_000),
            "vcpu.current": .uint(2), "vcpu.maximum": .uint(2),
            "vcpu.0.state": .int(1), "vcpu.0.time": .uint(5_000_000_000), "vcpu.0.wait": .uint(1_000_000),
            "vcpu.0.delay": .uint(2_000_000),
            "vcpu.1.state": .int(2), "vcpu.1.time": .uint(6_000_000_000),
            "block.count": .uint(1), "block.0.name": .string("vda"),
            "block.0.path": .string("/var/lib/libvirt/images/guest.qcow2"),
            "block.0.rd.reqs": .uint(100), "block.0.rd.bytes": .uint(409_600), "block.0.rd.times": .uint(3_000_000_000),
            "block.0.wr.reqs": .uint(50), "block.0.wr.bytes": .uint(204_800), "block.0.wr.times": .uint(1_500_000_000),
            "block.0.fl.reqs": .uint(10), "block.0.fl.times": .uint(20_000_000),
            "block.0.capacity": .uint(21_474_836_480), "block.0.allocation": .uint(1_073_741_824),
            "block.0.physical": .uint(1_073_741_824),
            "net.count": .uint(1), "net.0.name": .string("vnet0"),
            "net.0.rx.bytes": .uint(1000), "net.0.rx.pkts": .uint(10), "net.0.rx.errs": .uint(0),
            "net.0.rx.drop": .uint(1),
            "net.0.tx.bytes": .uint(2000), "net.0.tx.pkts": .uint(20), "net.0.tx.errs": .uint(0),
            "net.0.tx.drop": .uint(0),
        ]
    }

    static let basicInfo = DomainBasicInfo(
        state: .running, memoryBytes: 2 * gib, memoryMaximumBytes: 4 * gib, vcpus: 2, cpuTimeSeconds: 7.25)

    static let fallbackBlock: BlockDeviceStats = {
        var block = BlockDeviceStats(device: "vda")
        block.readBytes = 4096
        block.writeBytes = 8192
        return block
    }()

    static let fallbackInterface: InterfaceDeviceStats = {
        var net = InterfaceDeviceStats(device: "vnet0")
        net.receiveBytes = 300
        net.transmitBytes = 600
        return net
    }()

    static let vcpuInfo = [
        VCPUInfo(number: 0, state: .running, cpuTimeSeconds: 5, physicalCPU: 3, affinity: [0, 1, 2, 3]),
        VCPUInfo(number: 1, state: .blocked, cpuTimeSeconds: 6, physicalCPU: 8, affinity: [0, 1, 2, 3, 8]),
    ]

    static let host = HostCapability(
        technology: .vtx, cpuVendor: "GenuineIntel", kvmDeviceUsable: true, kvmAPIVersion: 12,
        modulesLoaded: ["kvm": true, "kvm_intel": true, "kvm_amd": false], nestedEnabled: false,
        bridges: ["br0": true, "virbr0": false])

    /// An inventory entry for a running domain with every figure sampled.
    static func sampledEntry(_ name: String, _ number: Int) -> DomainEntry {
        var entry = DomainEntry(ref: ref(name, number), state: .running, reason: "booted")
        entry.config = config(running: true)
        entry.configStale = false
        entry.stateChangedAt = 1_700_000_000
        entry.stats = BulkStatsDecoder().decode(fullRecord(cpuSeconds: Double(number) + 0.5))
        entry.statsSampledAt = 1_700_000_100.25
        entry.vcpus = vcpuInfo
        entry.lifecycleEvents = [
            LifecycleCounterKey(event: "started", detail: "booted"): 1,
            LifecycleCounterKey(event: "defined", detail: "added"): 1,
        ]
        return entry
    }

    static func shutOffEntry(_ name: String, _ number: Int) -> DomainEntry {
        var entry = DomainEntry(ref: ref(name, number), state: .shutoff, reason: "shutdown")
        entry.config = config(running: false)
        entry.configStale = false
        return entry
    }

    /// A connected and collected inventory with the given entries.
    static func inventory(_ entries: [DomainEntry], host: HostCapability? = Fixtures.host) -> Inventory {
        var inventory = Inventory()
        inventory.libvirtUp = true
        inventory.collectedSinceConnecting = true
        inventory.identity = FakeHypervisor.identity
        inventory.host = host
        for entry in entries { inventory.domains[entry.ref.uuid] = entry }
        return inventory
    }
}

/// Records what the collector reports about itself.
final class RecordingTelemetry: CollectorTelemetry {
    struct Report: Sendable {
        var result: CollectionResult
        var durationSeconds: Double
        var timestamp: Double
    }

    private let state = Mutex<[Report]>([])
    private let calls = Mutex<[String: Int]>([:])

    var reports: [Report] { state.withLock { $0 } }
    /// Hypervisor calls by operation.
    var hypervisorCalls: [String: Int] { calls.withLock { $0 } }

    func hypervisorCallStarted(_ operation: String) {
        calls.withLock { $0[operation, default: 0] += 1 }
    }

    func collectionFinished(result: CollectionResult, durationSeconds: Double, timestamp: Double) {
        state.withLock { $0.append(Report(result: result, durationSeconds: durationSeconds, timestamp: timestamp)) }
    }
}
