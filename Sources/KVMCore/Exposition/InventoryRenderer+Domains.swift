extension InventoryRenderer {
    func writeDomains(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        w.family(
            "kvm_domain_info", .gauge,
            help: "Every domain libvirt knows, running or defined-only, with its definition's metadata."
        ) { samples in
            for d in domains {
                let c = d.config ?? DomainConfig()
                samples.add(
                    [
                        "domain": d.ref.name, "uuid": d.ref.uuid, "os_type": c.osType, "os_variant": c.osVariant,
                        "arch": c.arch, "persistent": String(c.persistent), "autostart": String(c.autostart),
                    ], 1)
            }
        }
        w.family(
            "kvm_domain_orchestrator_info", .gauge,
            help: "The orchestrator that owns the domain (nova, ovirt) and the instance, project, user and flavor "
                + "its metadata names, for joining on domain; absent for domains no orchestrator owns."
        ) { samples in
            for d in domains {
                guard let o = d.config?.orchestration else { continue }
                samples.add(
                    [
                        "domain": d.ref.name, "orchestrator": o.system, "instance_name": o.instanceName,
                        "project": o.project, "project_id": o.projectID, "user": o.user, "flavor": o.flavor,
                    ], 1)
            }
        }
        w.family(
            "kvm_domain_state", .gauge,
            help: "1 for the domain's current state, 0 for the others." + Self.fromEvents
        ) { samples in
            for d in domains {
                for state in DomainState.allCases {
                    samples.add(["domain": d.ref.name, "state": state.name], d.state == state)
                }
            }
        }
        w.family(
            "kvm_domain_state_reason_info", .gauge,
            help: "Why the domain is in its current state (booted, destroyed, user, …)." + Self.fromEvents
        ) { samples in
            for d in domains { samples.add(["domain": d.ref.name, "reason": d.reason], 1) }
        }
        w.family(
            "kvm_domain_state_changed_timestamp_seconds", .gauge,
            help: "When the domain last changed state, in seconds since the epoch, as seen by this agent."
        ) { samples in
            for d in domains { samples.add(["domain": d.ref.name], d.stateChangedAt) }
        }
        w.family(
            "kvm_domain_lifecycle_events_total", .counter,
            help: "Lifecycle events libvirt delivered for the domain since the agent started, by event and detail."
        ) { samples in
            for d in domains {
                for (key, count) in d.lifecycleEvents.sorted(by: { $0.key < $1.key }) {
                    samples.add(["domain": d.ref.name, "event": key.event, "detail": key.detail], count)
                }
            }
        }
        let active = domains.filter { $0.state.isActive }
        w.family(
            "kvm_domain_stats_timed_out", .gauge,
            help: "1 when the running domain's figures could not be sampled within --collector.timeout, or libvirt "
                + "skipped it because another job holds it; its counters are then left out, not served stale."
        ) { samples in
            for d in active { samples.add(["domain": d.ref.name], d.statsTimedOut) }
        }
        w.family(
            "kvm_domain_stats_timestamp_seconds", .gauge,
            help: "When the domain's counters were last sampled, in seconds since the epoch."
        ) { samples in
            for d in active where d.stats != nil { samples.add(["domain": d.ref.name], d.statsSampledAt) }
        }
        w.family(
            "kvm_domain_balloon_timestamp_seconds", .gauge,
            help: "When the domain's balloon group (memory now, resident memory, the guest's memory figures) was "
                + "last read, in seconds since the epoch: every --collector.balloon.interval, every pass when the "
                + "guest reports memory figures; a balloon event sets the memory now at once."
        ) { samples in
            for d in active where d.stats != nil { samples.add(["domain": d.ref.name], d.balloonSampledAt) }
        }
        writeSizes(domains, into: &w)
        writeCPU(active, into: &w)
        writeMemory(domains, into: &w)
    }

    /// vCPU and memory sizes: sampled for running domains, from the definition for the others.
    private func writeSizes(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        let sizes: [(String, String, (DomainEntry) -> Double?)] = [
            (
                "kvm_domain_vcpus", "vCPUs the domain has now.",
                { $0.stats?.vcpusCurrent ?? ($0.state.isActive ? nil : $0.config?.vcpusCurrent) }
            ),
            (
                "kvm_domain_vcpus_maximum", "vCPUs the domain may have at most.",
                { $0.stats?.vcpusMaximum ?? $0.config?.vcpusMaximum }
            ),
            (
                "kvm_domain_memory_bytes", "Memory the domain has now (balloon current), in bytes.",
                { $0.stats?.memoryBytes ?? ($0.state.isActive ? nil : $0.config?.memoryMaximumBytes) }
            ),
            (
                "kvm_domain_memory_maximum_bytes", "Memory the domain may have at most, in bytes.",
                { $0.stats?.memoryMaximumBytes ?? $0.config?.memoryMaximumBytes }
            ),
            (
                "kvm_domain_balloon_rss_bytes", "Resident memory of the domain's process, in bytes.",
                { $0.stats?.balloon.rssBytes }
            ),
            (
                "kvm_domain_balloon_usable_bytes", "Memory the guest can use without swapping, in bytes.",
                { $0.stats?.balloon.usableBytes }
            ),
            (
                "kvm_domain_balloon_unused_bytes", "Memory the guest leaves unused, in bytes.",
                { $0.stats?.balloon.unusedBytes }
            ),
            (
                "kvm_domain_balloon_available_bytes", "Memory the guest sees as available, in bytes.",
                { $0.stats?.balloon.availableBytes }
            ),
        ]
        for (name, help, value) in sizes {
            w.family(
                name, .gauge, help: help + " Running domains sampled by the collector loop, others from the definition."
            ) {
                samples in
                for d in domains { samples.add(["domain": d.ref.name], value(d)) }
            }
        }
    }

    private func writeCPU(_ active: [DomainEntry], into w: inout ExpositionWriter) {
        let counters: [(String, String, (DomainStats) -> Double?)] = [
            ("kvm_domain_cpu_time_seconds_total", "CPU time the domain used, in seconds.", { $0.cpuTimeSeconds }),
            ("kvm_domain_cpu_user_seconds_total", "User CPU time the domain used, in seconds.", { $0.cpuUserSeconds }),
            (
                "kvm_domain_cpu_system_seconds_total", "System CPU time the domain used, in seconds.",
                { $0.cpuSystemSeconds }
            ),
        ]
        for (name, help, value) in counters {
            w.family(name, .counter, help: help + Self.sampled) { samples in
                for d in active { samples.add(["domain": d.ref.name], d.stats.flatMap(value)) }
            }
        }
    }
}
