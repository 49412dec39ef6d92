extension InventoryRenderer {
    static let fromDomainEvents = " Counted at once from libvirt's domain events since the agent started."

    /// I/O errors and block thresholds. Series appear with a domain's first event, not at 0: the devices,
    /// reasons and actions an error may carry are not known before it happens.
    func writeDiskEvents(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        w.family(
            "kvm_domain_io_errors_total", .counter,
            help: "I/O errors on the domain's disks, by device, reason (enospc: the host's storage is full; other: "
                + "libvirt cannot tell) and action (pause: the guest was paused; report: the guest saw the error; "
                + "none: ignored)." + Self.fromDomainEvents
        ) { samples in
            for d in domains {
                for (key, count) in d.disk.ioErrors.sorted(by: { $0.key < $1.key }) {
                    samples.add(
                        ["domain": d.ref.name, "device": key.device, "reason": key.reason, "action": key.action], count)
                }
            }
        }
        let thresholds = domains.flatMap { d in
            d.disk.thresholds.sorted { $0.key < $1.key }.map { (d.ref.name, $0.key, $0.value) }
        }
        w.family(
            "kvm_domain_block_threshold_exceeded_total", .counter,
            help: "Block threshold events: a write went past the threshold set with virDomainSetBlockThreshold "
                + "(virsh domblkthreshold). libvirt names the disk (vda) and its backing-chain element (vda[1])."
                + Self.fromDomainEvents
        ) { samples in
            for (domain, device, record) in thresholds {
                samples.add(["domain": domain, "device": device], record.count)
            }
        }
        w.family(
            "kvm_domain_block_threshold_excess_bytes", .gauge,
            help: "Bytes written past the block threshold when it last fired (0 where the hypervisor does not say)."
        ) { samples in
            for (domain, device, record) in thresholds {
                samples.add(["domain": domain, "device": device], record.lastExcessBytes)
            }
        }
    }

    /// Watchdog firings and resets. Series appear with a domain's first event, like the disk families.
    func writeHangEvents(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        w.family(
            "kvm_domain_watchdog_events_total", .counter,
            help: "Times the guest's watchdog device fired (the guest stopped petting it: hung kernel, dead watchdog "
                + "daemon), by the action the device took (none, pause, reset, poweroff, shutdown, debug, inject_nmi)."
                + Self.fromDomainEvents
        ) { samples in
            for d in domains {
                for (action, count) in d.watchdogEvents.sorted(by: { $0.key < $1.key }) {
                    samples.add(["domain": d.ref.name, "action": action], count)
                }
            }
        }
        w.family(
            "kvm_domain_resets_total", .counter,
            help: "Resets of the guest (libvirt's reboot event: a reboot from inside, a watchdog reset, virsh reset "
                + "or reboot)." + Self.fromDomainEvents
        ) { samples in
            for d in domains where d.resets > 0 { samples.add(["domain": d.ref.name], d.resets) }
        }
    }

    /// The running job of each active domain, present only while one runs, and the finished ones.
    func writeJobs(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        let running = domains.compactMap { d in d.state.isActive ? d.jobs.current.map { (d.ref.name, $0) } : nil }
        let polled = " Read with virDomainGetJobStats while libvirt's events or the domain's state tell of a job."
        w.family(
            "kvm_domain_job_info", .gauge,
            help: "1 while the domain has a job: type (bounded, unbounded) and operation (migration_out, save, "
                + "dump, backup, …)." + polled
        ) { samples in
            for (domain, job) in running {
                samples.add(["domain": domain, "type": job.type.name, "operation": job.operation.name], 1)
            }
        }
        let figures: [(String, String, (JobProgress) -> Double?)] = [
            ("kvm_domain_job_elapsed_seconds", "Time since the running job began, in seconds.", { $0.elapsedSeconds }),
            (
                "kvm_domain_job_data_total_bytes",
                "Bytes the running job has to move in all (memory and disk where libvirt gives no total).",
                { $0.dataTotalBytes }
            ),
            (
                "kvm_domain_job_data_processed_bytes", "Bytes the running job has moved so far.",
                { $0.dataProcessedBytes }
            ),
            (
                "kvm_domain_job_data_remaining_bytes", "Bytes the running job has still to move.",
                { $0.dataRemainingBytes }
            ),
            (
                "kvm_domain_job_memory_dirty_rate_bytes_per_second",
                "Guest memory dirtied per second during the running migration, in bytes.",
                { $0.memoryDirtyRateBytesPerSecond }
            ),
        ]
        for (name, help, value) in figures {
            w.family(name, .gauge, help: help + polled) { samples in
                for (domain, job) in running { samples.add(["domain": domain], value(job)) }
            }
        }
        w.family(
            "kvm_domain_jobs_total", .counter,
            help: "Jobs that finished, by operation and result (completed, failed), from libvirt's job-completed "
                + "event: sent for migrations and saves only when they succeed, for backups either way (a "
                + "cancelled backup counts as failed), never for dumps." + Self.fromDomainEvents
        ) { samples in
            for d in domains {
                for (key, count) in d.jobs.completed.sorted(by: { $0.key < $1.key }) {
                    samples.add(["domain": d.ref.name, "operation": key.operation, "result": key.result], count)
                }
            }
        }
    }
}
