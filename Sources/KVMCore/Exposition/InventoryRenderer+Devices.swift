extension InventoryRenderer {
    /// One vCPU's figures, merged from `virDomainGetVcpus` (physical CPU, affinity) and the bulk `vcpu` group
    /// (state and time, read every pass; wait and steal, which vcpuinfo lacks).
    private struct VCPURow {
        var domain: String
        var vcpu: String
        var info: VCPUInfo?
        var counters: VCPUCounters?
    }

    private func vcpuRows(_ domains: [DomainEntry]) -> [VCPURow] {
        domains.filter { $0.state.isActive }.flatMap { d -> [VCPURow] in
            let infos = Dictionary(d.vcpus.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
            let counters = d.stats?.vcpus ?? [:]
            return Set(infos.keys).union(counters.keys).sorted().map {
                VCPURow(domain: d.ref.name, vcpu: String($0), info: infos[$0], counters: counters[$0])
            }
        }
    }

    static let vcpuinfoSampled =
        " Read every --collector.vcpuinfo.interval, when the domain starts and when a vCPU is pinned or plugged."

    func writeVCPUs(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        let rows = vcpuRows(domains)
        w.family(
            "kvm_domain_vcpu_state", .gauge, help: "1 for the vCPU's current state (virsh vcpuinfo)." + Self.sampled
        ) {
            samples in
            for r in rows {
                // Part of the vcpuinfo collector (absent when it is off), though the state itself is the bulk
                // call's, which is newer than the last vcpuinfo.
                guard let info = r.info else { continue }
                let current = r.counters?.state ?? info.state
                for state in VCPUInfo.State.allCases {
                    samples.add(["domain": r.domain, "vcpu": r.vcpu, "state": state.name], current == state)
                }
            }
        }
        let counters: [(String, String, (VCPURow) -> Double?)] = [
            (
                "kvm_domain_vcpu_time_seconds_total", "CPU time the vCPU used, in seconds.",
                { $0.counters?.timeSeconds ?? $0.info?.cpuTimeSeconds }
            ),
            (
                "kvm_domain_vcpu_wait_seconds_total", "Time the vCPU wanted to run but waited for I/O, in seconds.",
                { $0.counters?.waitSeconds }
            ),
            (
                "kvm_domain_vcpu_delay_seconds_total",
                "Time the vCPU was runnable but the host ran something else (steal as the guest sees it), in seconds.",
                { $0.counters?.delaySeconds }
            ),
        ]
        for (name, help, value) in counters {
            w.family(name, .counter, help: help + Self.sampled) { samples in
                for r in rows { samples.add(["domain": r.domain, "vcpu": r.vcpu], value(r)) }
            }
        }
        w.family(
            "kvm_domain_vcpu_physical_cpu", .gauge,
            help: "The host CPU the vCPU ran on when sampled (virsh vcpuinfo); -1 when offline." + Self.vcpuinfoSampled
        ) { samples in
            for r in rows { samples.add(["domain": r.domain, "vcpu": r.vcpu], r.info.map { Double($0.physicalCPU) }) }
        }
        w.family(
            "kvm_domain_vcpu_affinity_info", .gauge,
            help: "The host CPUs the vCPU may run on, as a list of ranges (virsh vcpuinfo)." + Self.vcpuinfoSampled
        ) { samples in
            for r in rows {
                guard let info = r.info else { continue }
                samples.add(["domain": r.domain, "vcpu": r.vcpu, "cpus": CPUList.format(info.affinity)], 1)
            }
        }
    }

    func writeBlocks(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        w.family("kvm_domain_block_info", .gauge, help: "The domain's disks from its definition: source and bus.") {
            samples in
            for d in domains {
                for disk in d.config?.disks ?? [] {
                    samples.add(
                        ["domain": d.ref.name, "device": disk.target, "source": disk.source, "bus": disk.bus], 1)
                }
            }
        }
        let figures: [(String, ExpositionWriter.MetricType, String, (BlockDeviceStats) -> Double?)] = [
            ("kvm_domain_block_read_bytes_total", .counter, "Bytes read from the device.", { $0.readBytes }),
            ("kvm_domain_block_read_requests_total", .counter, "Read requests to the device.", { $0.readRequests }),
            ("kvm_domain_block_read_seconds_total", .counter, "Time spent on reads, in seconds.", { $0.readSeconds }),
            ("kvm_domain_block_write_bytes_total", .counter, "Bytes written to the device.", { $0.writeBytes }),
            ("kvm_domain_block_write_requests_total", .counter, "Write requests to the device.", { $0.writeRequests }),
            (
                "kvm_domain_block_write_seconds_total", .counter, "Time spent on writes, in seconds.",
                { $0.writeSeconds }
            ),
            ("kvm_domain_block_flush_requests_total", .counter, "Flush requests to the device.", { $0.flushRequests }),
            (
                "kvm_domain_block_flush_seconds_total", .counter, "Time spent on flushes, in seconds.",
                { $0.flushSeconds }
            ),
            (
                "kvm_domain_block_capacity_bytes", .gauge, "Size of the device as the guest sees it, in bytes.",
                { $0.capacityBytes }
            ),
            (
                "kvm_domain_block_allocation_bytes", .gauge, "Bytes of the device's image that are allocated.",
                { $0.allocationBytes }
            ),
            (
                "kvm_domain_block_physical_bytes", .gauge, "Size of the device's image on the host, in bytes.",
                { $0.physicalBytes }
            ),
        ]
        writeDevices(domains, figures, devices: { $0.blocks }, label: "device", name: \.device, into: &w)
    }

    func writeInterfaces(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        w.family(
            "kvm_domain_interface_info", .gauge,
            help:
                "The domain's network interfaces from its definition; interface is the host-side device while running."
        ) { samples in
            for d in domains {
                for nic in d.config?.interfaces ?? [] {
                    samples.add(
                        [
                            "domain": d.ref.name, "interface": nic.target ?? "", "mac": nic.mac, "bridge": nic.bridge,
                            "model": nic.model,
                        ], 1)
                }
            }
        }
        let figures: [(String, ExpositionWriter.MetricType, String, (InterfaceDeviceStats) -> Double?)] = [
            ("kvm_domain_interface_receive_bytes_total", .counter, "Bytes received.", { $0.receiveBytes }),
            ("kvm_domain_interface_receive_packets_total", .counter, "Packets received.", { $0.receivePackets }),
            ("kvm_domain_interface_receive_errors_total", .counter, "Receive errors.", { $0.receiveErrors }),
            ("kvm_domain_interface_receive_drops_total", .counter, "Received packets dropped.", { $0.receiveDrops }),
            ("kvm_domain_interface_transmit_bytes_total", .counter, "Bytes transmitted.", { $0.transmitBytes }),
            ("kvm_domain_interface_transmit_packets_total", .counter, "Packets transmitted.", { $0.transmitPackets }),
            ("kvm_domain_interface_transmit_errors_total", .counter, "Transmit errors.", { $0.transmitErrors }),
            (
                "kvm_domain_interface_transmit_drops_total", .counter, "Transmitted packets dropped.",
                { $0.transmitDrops }
            ),
        ]
        writeDevices(domains, figures, devices: { $0.interfaces }, label: "interface", name: \.device, into: &w)
    }

    private func writeDevices<Device>(
        _ domains: [DomainEntry], _ figures: [(String, ExpositionWriter.MetricType, String, (Device) -> Double?)],
        devices: (DomainStats) -> [Device], label: String, name: KeyPath<Device, String>, into w: inout ExpositionWriter
    ) {
        let rows = domains.flatMap { d in (d.stats.map(devices) ?? []).map { (d.ref.name, $0) } }
        for (metric, type, help, value) in figures {
            w.family(metric, type, help: help + Self.sampled) { samples in
                for (domain, device) in rows {
                    if label == "device" {
                        samples.add(["domain": domain, "device": device[keyPath: name]], value(device))
                    } else {
                        samples.add(["domain": domain, "interface": device[keyPath: name]], value(device))
                    }
                }
            }
        }
    }
}

/// CPU lists in the kernel's notation ("0-3,8"), as `taskset -c` and `virsh vcpupin` write them.
public enum CPUList {
    public static func format(_ cpus: [Int]) -> String {
        let sorted = Array(Set(cpus)).sorted()
        var parts: [String] = []
        var index = 0
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index])-\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}
