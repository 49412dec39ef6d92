import KVMCore

extension Guest {
    private static let gibibyte: UInt64 = 1_073_741_824

    /// One record of `virConnectGetAllDomainStats` for the running guest, every group present as the qemu
    /// driver returns it. Figures grow with the index so that no two series print the same value.
    var bulkRecord: [String: StatValue] {
        let n = UInt64(index + 1)
        var record: [String: StatValue] = [
            "state.state": .int(1), "state.reason": .int(1),
            "cpu.time": .uint(n * 41_000_000_000), "cpu.user": .uint(n * 29_000_000_000),
            "cpu.system": .uint(n * 9_000_000_000),
            "balloon.current": .uint(UInt64(memoryKiB)), "balloon.maximum": .uint(UInt64(memoryKiB)),
            "balloon.rss": .uint(UInt64(memoryKiB) / 2 + n), "balloon.usable": .uint(UInt64(memoryKiB) / 3),
            "balloon.unused": .uint(UInt64(memoryKiB) / 4), "balloon.available": .uint(UInt64(memoryKiB) - 65_536),
            "vcpu.current": .uint(UInt64(vcpus)), "vcpu.maximum": .uint(UInt64(vcpus)),
            "block.count": .uint(UInt64(disks.count)), "net.count": .uint(UInt64(interfaces)),
        ]
        for vcpu in 0..<vcpus {
            let p = "vcpu.\(vcpu)."
            let v = UInt64(vcpu + 1)
            record[p + "state"] = .int(1)
            record[p + "time"] = .uint(n * v * 3_000_000_000)
            record[p + "wait"] = .uint(n * v * 1_500_000)
            record[p + "delay"] = .uint(n * v * 700_000)
        }
        for (slot, disk) in disks.enumerated() {
            let p = "block.\(slot)."
            let d = UInt64(slot + 1)
            record[p + "name"] = .string(disk)
            record[p + "path"] = .string(image(disk))
            record[p + "rd.reqs"] = .uint(n * d * 1_200)
            record[p + "rd.bytes"] = .uint(n * d * 49_152_000)
            record[p + "rd.times"] = .uint(n * d * 2_400_000_000)
            record[p + "wr.reqs"] = .uint(n * d * 800)
            record[p + "wr.bytes"] = .uint(n * d * 16_384_000)
            record[p + "wr.times"] = .uint(n * d * 1_600_000_000)
            record[p + "fl.reqs"] = .uint(n * d * 40)
            record[p + "fl.times"] = .uint(n * d * 90_000_000)
            record[p + "capacity"] = .uint(d * 20 * Self.gibibyte)
            record[p + "allocation"] = .uint(d * 3 * Self.gibibyte + n * 4096)
            record[p + "physical"] = .uint(d * 3 * Self.gibibyte + n * 8192)
        }
        for interface in 0..<interfaces {
            let p = "net.\(interface)."
            let i = UInt64(interface + 1)
            record[p + "name"] = .string(tap(interface) ?? "")
            record[p + "rx.bytes"] = .uint(n * i * 7_340_032)
            record[p + "rx.pkts"] = .uint(n * i * 5_120)
            record[p + "rx.errs"] = .uint(0)
            record[p + "rx.drop"] = .uint(n % 7)
            record[p + "tx.bytes"] = .uint(n * i * 3_145_728)
            record[p + "tx.pkts"] = .uint(n * i * 2_560)
            record[p + "tx.errs"] = .uint(0)
            record[p + "tx.drop"] = .uint(0)
        }
        return record
    }

    /// `virsh vcpuinfo`: pinned to one NUMA node's 16 CPUs, one vCPU in three idle at sampling time.
    var vcpuInfo: [VCPUInfo] {
        (0..<vcpus).map { vcpu in
            VCPUInfo(
                number: vcpu, state: vcpu % 3 == 2 ? .blocked : .running,
                cpuTimeSeconds: Double((index + 1) * (vcpu + 1) * 3), physicalCPU: (index + vcpu) % 16,
                affinity: Array(0..<16))
        }
    }
}
