extension InventoryRenderer {
    /// One series per domain that has a value: most of these families are empty for most domains (TCG
    /// guests, guests without a balloon driver), and those then cost no label list.
    static func perDomain(
        _ domains: [DomainEntry], _ samples: inout FamilySamples, _ value: (DomainEntry) -> Double?
    ) {
        for d in domains {
            if let v = value(d) { samples.add(["domain": d.ref.name], v) }
        }
    }

    static let guestReported =
        " As the guest's balloon driver last reported it: absent until it reports, and frozen while"
        + " kvm_domain_memory_stats_period_seconds is 0."

    /// The guest's own memory figures (rest of the `balloon` group), halt polling and KVM's counters.
    func writeMemory(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        let active = domains.filter { $0.state.isActive }
        w.family(
            "kvm_domain_memory_stats_period_seconds", .gauge,
            help: "How often the running domain's guest reports its memory figures through the balloon "
                + "(<memballoon><stats period=…>), in seconds. 0: it never does, so the guest's memory figures "
                + "(usable, unused, available, swap, faults, caches) never move; set a period in the definition, "
                + "with virsh dommemstat --period, or with the agent's --collector.balloon-period. Absent for "
                + "domains without a balloon device."
        ) { samples in
            Self.perDomain(active, &samples) { $0.config?.memoryStatsPeriodSeconds }
        }
        w.family(
            "kvm_domain_balloon_last_update_timestamp_seconds", .gauge,
            help: "When the guest last reported its memory figures, in seconds since the epoch (its age is "
                + "time() minus this); absent until the first report." + Self.sampled
        ) { samples in
            Self.perDomain(active, &samples) { $0.stats?.balloon.lastUpdateTimestamp }
        }
        let figures: [(String, ExpositionWriter.MetricType, String, (DomainStats.Balloon) -> Double?)] = [
            (
                "kvm_domain_balloon_swap_in_bytes_total", .counter,
                "Memory the guest read in from its swap space, in bytes.",
                { $0.swapInBytes }
            ),
            (
                "kvm_domain_balloon_swap_out_bytes_total", .counter,
                "Memory the guest wrote out to its swap space, in bytes.", { $0.swapOutBytes }
            ),
            (
                "kvm_domain_balloon_major_faults_total", .counter,
                "Page faults the guest served from disk.", { $0.majorFaults }
            ),
            (
                "kvm_domain_balloon_minor_faults_total", .counter,
                "Page faults the guest served without disk I/O.", { $0.minorFaults }
            ),
            (
                "kvm_domain_balloon_disk_caches_bytes", .gauge,
                "Memory the guest uses for caches it can drop at once, in bytes.", { $0.diskCachesBytes }
            ),
            (
                "kvm_domain_balloon_hugetlb_allocations_total", .counter,
                "Huge pages the guest allocated successfully.", { $0.hugetlbAllocations }
            ),
            (
                "kvm_domain_balloon_hugetlb_allocation_failures_total", .counter,
                "Huge page allocations that failed in the guest.", { $0.hugetlbFailures }
            ),
        ]
        for (name, type, help, value) in figures {
            w.family(name, type, help: help + Self.guestReported) { samples in
                Self.perDomain(active, &samples) { $0.stats.flatMap { value($0.balloon) } }
            }
        }
        writeHaltPolling(active, into: &w)
        writeKVM(active, into: &w)
    }

    private func writeHaltPolling(_ active: [DomainEntry], into w: inout ExpositionWriter) {
        let haltPoll: [(String, String, (DomainStats) -> Double?)] = [
            (
                "kvm_domain_cpu_haltpoll_success_seconds_total",
                "Host CPU time KVM spent polling halted vCPUs that woke up within the poll window, in seconds.",
                { $0.haltPollSuccessSeconds }
            ),
            (
                "kvm_domain_cpu_haltpoll_fail_seconds_total",
                "Host CPU time KVM spent polling halted vCPUs that did not wake up within the poll window, in seconds.",
                { $0.haltPollFailSeconds }
            ),
        ]
        for (name, help, value) in haltPoll {
            w.family(name, .counter, help: help + " Domains of type kvm only." + Self.sampled) { samples in
                Self.perDomain(active, &samples) { $0.stats.flatMap(value) }
            }
        }
        w.family(
            "kvm_domain_vcpu_halted", .gauge,
            help: "1 when the vCPU is halted, 0 when not; libvirt reports it only where it means something (s390)."
                + Self.sampled
        ) { samples in
            for d in active {
                for (vcpu, counters) in (d.stats?.vcpus ?? [:]).sorted(by: { $0.key < $1.key }) {
                    guard let halted = counters.halted else { continue }
                    samples.add(["domain": d.ref.name, "vcpu": String(vcpu)], halted)
                }
            }
        }
    }

    /// KVM's own counters (QEMU's query-stats), for domains of type kvm; absent where the driver has none.
    private func writeKVM(_ active: [DomainEntry], into w: inout ExpositionWriter) {
        let counters: [(String, KVMCounters.Stat, String)] = [
            ("kvm_domain_kvm_exits_total", .exits, "VM exits of all the domain's vCPUs."),
            ("kvm_domain_kvm_halt_exits_total", .haltExits, "VM exits because a vCPU halted."),
            ("kvm_domain_kvm_io_exits_total", .ioExits, "VM exits for port I/O."),
            ("kvm_domain_kvm_mmio_exits_total", .mmioExits, "VM exits for memory-mapped I/O."),
            (
                "kvm_domain_kvm_halt_poll_attempts_total", .haltPollAttempts,
                "Times KVM polled a halted vCPU before putting it to sleep."
            ),
            (
                "kvm_domain_kvm_halt_poll_successes_total", .haltPollSuccesses,
                "Halt polls that saw the vCPU wake up within the poll window."
            ),
            ("kvm_domain_kvm_halt_wait_seconds_total", .haltWaitSeconds, "Time the vCPUs slept halted, in seconds."),
            ("kvm_domain_kvm_tlb_flushes_total", .tlbFlushes, "TLB flushes the vCPUs asked for."),
            (
                "kvm_domain_kvm_remote_tlb_flushes_total", .remoteTLBFlushes,
                "TLB flushes KVM made on all the domain's vCPUs at once (vm group, --collector.vm)."
            ),
            (
                "kvm_domain_kvm_remote_tlb_flush_requests_total", .remoteTLBFlushRequests,
                "Requests for such flushes (vm group, --collector.vm)."
            ),
        ]
        for (name, stat, help) in counters {
            let scope = stat.perVCPU ? " Summed over the domain's vCPUs." : ""
            w.family(
                name, .counter, help: help + scope + " KVM's own counter, domains of type kvm only." + Self.sampled
            ) { samples in
                Self.perDomain(active, &samples) { $0.stats?.kvm?[stat] }
            }
        }
        let mappings: [(String, KVMCounters.Stat)] = [
            ("4KiB", .mapped4KiBBytes), ("2MiB", .mapped2MiBBytes), ("1GiB", .mapped1GiBBytes),
        ]
        w.family(
            "kvm_domain_kvm_mapped_bytes", .gauge,
            help: "Guest memory KVM maps for the domain, by the host page size of the mapping, in bytes: large "
                + "pages (2MiB, 1GiB) make fewer TLB misses. vm group (--collector.vm), domains of type kvm only."
                + Self.sampled
        ) { samples in
            for d in active {
                guard let kvm = d.stats?.kvm else { continue }
                for (size, stat) in mappings {
                    if let value = kvm[stat] { samples.add(["domain": d.ref.name, "page_size": size], value) }
                }
            }
        }
    }
}
