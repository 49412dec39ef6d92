import Testing

@testable import KVMCore

func ioError(_ ref: DomainRef, path: String, alias: String, action: Int = 1, reason: String, at time: Double)
    -> DomainEvent
{
    DomainEvent(
        domain: ref,
        kind: .ioError(.init(sourcePath: path, deviceAlias: alias, actionCode: action, reason: reason)), time: time)
}

@Suite struct DomainEventTests {
    let ref = Fixtures.ref("db-01", 7)
    let source = "/var/lib/libvirt/images/guest.qcow2"

    func store(running config: DomainConfig? = Fixtures.config(running: true)) -> InventoryStore {
        let store = InventoryStore()
        store.update { inventory in
            var entry = DomainEntry(ref: ref, state: .running, reason: "booted")
            entry.config = config
            inventory.domains[ref.uuid] = entry
            inventory.libvirtUp = true
        }
        return store
    }

    @Test func ioErrorsAreCountedByTheDisksTargetReasonAndAction() throws {
        let store = store()
        let generation = store.generation
        store.applyDomainEvent(ioError(ref, path: source, alias: "virtio-disk0", reason: "enospc", at: 100))
        store.applyDomainEvent(ioError(ref, path: source, alias: "virtio-disk0", reason: "enospc", at: 101))
        // A source the definition does not name keeps libvirt's alias; "" is libvirt's "cannot tell".
        store.applyDomainEvent(ioError(ref, path: "/dev/sdz", alias: "virtio-disk9", action: 2, reason: "", at: 102))
        #expect(store.generation > generation, "an event changes the inventory at once")
        let disk = try #require(store.snapshot().domains[ref.uuid]).disk
        #expect(disk.ioErrors[IOErrorKey(device: "vda", reason: "enospc", action: "pause")] == 2)
        #expect(disk.ioErrors[IOErrorKey(device: "virtio-disk9", reason: "other", action: "report")] == 1)
        #expect(disk.lastIOError?.time == 102)
        #expect(disk.lastIOError?.sourcePath == "/dev/sdz")
    }

    @Test func watchdogFiringsAreCountedByActionAndResetsByDomain() throws {
        let store = store()
        for code in [0, 0, 2, 6, 99] {
            store.applyDomainEvent(DomainEvent(domain: ref, kind: .watchdog(WatchdogAction(code: code)), time: 100))
        }
        store.applyDomainEvent(DomainEvent(domain: ref, kind: .reboot, time: 101))
        let entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.watchdogEvents == ["none": 2, "reset": 1, "inject_nmi": 1, "unknown": 1])
        #expect(entry.resets == 1)
        let p = ParsedExposition(InventoryRenderer().render(store.snapshot()).text)
        #expect(p.value("kvm_domain_watchdog_events_total", ["domain": "db-01", "action": "none"]) == "2")
        #expect(p.value("kvm_domain_watchdog_events_total", ["domain": "db-01", "action": "inject_nmi"]) == "1")
        #expect(p.value("kvm_domain_resets_total", ["domain": "db-01"]) == "1")
        #expect(p.family("kvm_domain_watchdog_events_total")?.type == "counter")
    }

    @Test func domainsWithoutWatchdogEventsHaveNoSeries() {
        let p = ParsedExposition(InventoryRenderer().render(store().snapshot()).text)
        #expect(p.samples("kvm_domain_watchdog_events_total").isEmpty)
        #expect(p.samples("kvm_domain_resets_total").isEmpty)
    }

    @Test func reasonsAndActionsStayBounded() {
        #expect(IOErrorReason.label("enospc") == "enospc")
        #expect(IOErrorReason.label("") == "other")
        #expect(IOErrorReason.label("No space left on device") == "other")
        #expect(IOErrorReason.label("enospc\"} 1\nkvm_x 2") == "other")
        #expect(IOErrorReason.label(String(repeating: "a", count: 33)) == "other")
        let odd = DomainEvent.IOError(sourcePath: "", deviceAlias: "", actionCode: 42, reason: "x")
        #expect(odd.action == .unknown)
    }

    @Test func blockThresholdCountsAndKeepsTheLastExcess() throws {
        let store = store()
        for excess: UInt64 in [412, 4096] {
            store.applyDomainEvent(
                DomainEvent(
                    domain: ref, kind: .blockThreshold(.init(device: "vda", thresholdBytes: 100, excessBytes: excess)),
                    time: 100))
        }
        let record = try #require(store.snapshot().domains[ref.uuid]?.disk.thresholds["vda"])
        #expect(record.count == 2)
        #expect(record.lastExcessBytes == 4096)
    }

    @Test func completedJobsAreCountedAndEndTheRunningJob() throws {
        let store = store()
        store.applyDomainEvent(DomainEvent(domain: ref, kind: .migrationIteration(1), time: 100))
        #expect(store.snapshot().domains[ref.uuid]?.jobLikely == true, "a migration pass tells of a job")
        store.update { $0.applyJobPoll(ref.uuid, progress: JobProgress(type: .unbounded, operation: .save)) }
        // What libvirt sends: a save's event has no success field, a backup's has one.
        for values: [String: StatValue] in [
            ["operation": .int(2), "time_elapsed": .uint(62)], ["operation": .int(9), "success": .bool(true)],
            ["operation": .int(9), "success": .bool(false), "errmsg": .string("cancelled")],
        ] {
            store.applyDomainEvent(
                DomainEvent(domain: ref, kind: .jobCompleted(JobCompletion(values: values)), time: 101))
        }
        let entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.jobs.completed[JobCounterKey(operation: "save", result: "completed")] == 1)
        #expect(entry.jobs.completed[JobCounterKey(operation: "backup", result: "completed")] == 1)
        #expect(entry.jobs.completed[JobCounterKey(operation: "backup", result: "failed")] == 1)
        #expect(entry.jobs.current == nil)
        #expect(!entry.jobLikely)
    }

    @Test func aJobIsLikelyOnlyWhereEventsOrTheStateSaySo() {
        var entry = DomainEntry(ref: ref, state: .running, reason: "booted")
        #expect(!entry.jobLikely, "a running domain without events is not asked")
        for reason in ["dump", "save", "migration", "snapshot"] {
            entry.state = .paused
            entry.reason = reason
            #expect(entry.jobLikely, "paused for \(reason)")
        }
        entry.reason = "user"
        #expect(!entry.jobLikely)
        entry.jobs.expected = true
        entry.state = .shutoff
        #expect(!entry.jobLikely, "a stopped domain has no job")
    }

    @Test func jobFiguresAreReadFromLibvirtsFields() throws {
        // A live migration, as virDomainGetJobStats answers it.
        let migration = try #require(
            JobProgress(
                typeCode: 2,
                values: [
                    "operation": .int(5), "time_elapsed": .uint(1500), "data_total": .uint(1000),
                    "data_processed": .uint(400), "data_remaining": .uint(600), "memory_dirty_rate": .uint(10),
                    "memory_page_size": .uint(4096),
                ]))
        #expect(migration.operation == .migrationOut)
        #expect(migration.type == .unbounded)
        #expect(migration.elapsedSeconds == 1.5)
        #expect(migration.dataProcessedBytes == 400)
        #expect(migration.memoryDirtyRateBytesPerSecond == 40960)
        // A dump gives memory figures only; a backup disk figures.
        let dump = try #require(
            JobProgress(
                typeCode: 2, values: ["operation": .int(8), "memory_total": .uint(64), "memory_processed": .uint(2)]))
        #expect(dump.dataTotalBytes == 64)
        #expect(dump.dataProcessedBytes == 2)
        #expect(dump.dataRemainingBytes == nil)
        #expect(dump.memoryDirtyRateBytesPerSecond == nil)
        #expect(JobProgress(typeCode: 0, values: [:]) == nil, "type none: no job")
        #expect(JobProgress(typeCode: 3, values: ["operation": .int(2)]) == nil, "a finished job is not running")
        #expect(JobProgress(typeCode: 1, values: ["operation": .double(2.5)])?.operation == .unknown)
    }

    @Test func rendersEveryFamilyWithHelpAndBoundedLabels() throws {
        let store = store()
        store.applyDomainEvent(ioError(ref, path: source, alias: "virtio-disk0", reason: "enospc", at: 100))
        store.applyDomainEvent(
            DomainEvent(
                domain: ref, kind: .blockThreshold(.init(device: "vda[1]", thresholdBytes: 1, excessBytes: 411)),
                time: 100))
        store.applyDomainEvent(
            DomainEvent(domain: ref, kind: .jobCompleted(JobCompletion(operation: .save, result: .completed)), time: 1))
        var job = JobProgress(type: .unbounded, operation: .dump)
        job.dataTotalBytes = 64
        job.dataProcessedBytes = 2
        store.update { $0.applyJobPoll(ref.uuid, progress: job) }
        let parsed = ParsedExposition(InventoryRenderer().render(store.snapshot()).text)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        let name = ref.name
        #expect(
            parsed.value(
                "kvm_domain_io_errors_total",
                ["domain": name, "device": "vda", "reason": "enospc", "action": "pause"]) == "1")
        #expect(parsed.value("kvm_domain_block_threshold_exceeded_total", ["domain": name, "device": "vda[1]"]) == "1")
        #expect(parsed.value("kvm_domain_block_threshold_excess_bytes", ["domain": name, "device": "vda[1]"]) == "411")
        #expect(
            parsed.value("kvm_domain_job_info", ["domain": name, "type": "unbounded", "operation": "dump"]) == "1")
        #expect(parsed.value("kvm_domain_job_data_processed_bytes", ["domain": name]) == "2")
        #expect(
            parsed.family("kvm_domain_job_data_remaining_bytes") == nil, "absent, not 0, where libvirt says nothing")
        #expect(
            parsed.value("kvm_domain_jobs_total", ["domain": name, "operation": "save", "result": "completed"]) == "1")
        for family in [
            "kvm_domain_io_errors_total", "kvm_domain_block_threshold_exceeded_total",
            "kvm_domain_block_threshold_excess_bytes", "kvm_domain_job_info", "kvm_domain_jobs_total",
        ] {
            #expect(parsed.family(family)?.help.isEmpty == false, "\(family) has HELP")
        }
        // A stopped domain's job is not shown, its counters are.
        store.update { $0.domains[ref.uuid]?.state = .shutoff }
        let stopped = ParsedExposition(InventoryRenderer().render(store.snapshot()).text)
        #expect(stopped.family("kvm_domain_job_info") == nil)
        #expect(stopped.family("kvm_domain_io_errors_total") != nil)
    }

    @Test func aLostConnectionForgetsTheRunningJobNotTheCounters() throws {
        let store = store()
        store.applyDomainEvent(ioError(ref, path: source, alias: "virtio-disk0", reason: "enospc", at: 100))
        store.update { $0.applyJobPoll(ref.uuid, progress: JobProgress(type: .bounded, operation: .backup)) }
        store.disconnected()
        let entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.jobs.current == nil)
        #expect(entry.disk.ioErrorCount == 1)
    }
}
