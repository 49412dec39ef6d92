import Foundation
import Testing

@testable import KVMCore

@Suite struct MemoryRenderingTests {
    /// A kvm guest that reports (period 5), a TCG guest that does not (period 0), a stopped one.
    static func inventory() -> Inventory {
        var kvm = Fixtures.sampledEntry("kvm-guest", 1)
        kvm.config?.domainType = "kvm"
        kvm.config?.memoryStatsPeriodSeconds = 5
        var record = MemoryRecords.kvmGuest.merging(MemoryRecords.reportingGuest) { kvmValue, _ in kvmValue }
        record["vcpu.0.halted"] = .bool(true)
        kvm.stats = BulkStatsDecoder().decode(record)
        var tcg = Fixtures.sampledEntry("tcg-guest", 2)
        tcg.config?.domainType = "qemu"
        tcg.config?.memoryStatsPeriodSeconds = 0
        tcg.stats = BulkStatsDecoder().decode(MemoryRecords.silentGuest)
        var stopped = Fixtures.shutOffEntry("stopped", 3)
        stopped.config?.memoryStatsPeriodSeconds = 0
        return Fixtures.inventory([kvm, tcg, stopped])
    }

    let parsed = ParsedExposition(InventoryRenderer().render(Self.inventory()).text)

    @Test func newFamiliesAreWellFormed() throws {
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        let names = [
            "kvm_domain_memory_stats_period_seconds", "kvm_domain_balloon_last_update_timestamp_seconds",
            "kvm_domain_balloon_swap_in_bytes_total", "kvm_domain_balloon_swap_out_bytes_total",
            "kvm_domain_balloon_major_faults_total", "kvm_domain_balloon_minor_faults_total",
            "kvm_domain_balloon_disk_caches_bytes", "kvm_domain_balloon_hugetlb_allocations_total",
            "kvm_domain_balloon_hugetlb_allocation_failures_total", "kvm_domain_cpu_haltpoll_success_seconds_total",
            "kvm_domain_cpu_haltpoll_fail_seconds_total", "kvm_domain_vcpu_halted", "kvm_domain_kvm_exits_total",
            "kvm_domain_kvm_halt_exits_total", "kvm_domain_kvm_io_exits_total", "kvm_domain_kvm_mmio_exits_total",
            "kvm_domain_kvm_halt_poll_attempts_total", "kvm_domain_kvm_halt_poll_successes_total",
            "kvm_domain_kvm_halt_wait_seconds_total", "kvm_domain_kvm_tlb_flushes_total",
            "kvm_domain_kvm_remote_tlb_flushes_total", "kvm_domain_kvm_remote_tlb_flush_requests_total",
            "kvm_domain_kvm_mapped_bytes",
        ]
        for name in names {
            let family = try #require(parsed.family(name), "\(name) missing")
            #expect(!family.help.isEmpty)
            #expect((family.type == "counter") == name.hasSuffix("_total"), "\(name) is a \(family.type ?? "?")")
        }
    }

    @Test func guestFiguresAreInBaseUnitsAndOnlyWhereReported() {
        #expect(parsed.value("kvm_domain_balloon_disk_caches_bytes", ["domain": "kvm-guest"]) == "2355200")
        #expect(parsed.value("kvm_domain_balloon_minor_faults_total", ["domain": "kvm-guest"]) == "965")
        #expect(
            parsed.value("kvm_domain_balloon_last_update_timestamp_seconds", ["domain": "kvm-guest"]) == "1795949535")
        #expect(parsed.samples("kvm_domain_balloon_minor_faults_total").map { $0.labels["domain"] } == ["kvm-guest"])
        #expect(parsed.samples("kvm_domain_balloon_last_update_timestamp_seconds").count == 1)
    }

    @Test func periodIsShownForRunningDomainsWithABalloon() {
        #expect(parsed.value("kvm_domain_memory_stats_period_seconds", ["domain": "kvm-guest"]) == "5")
        #expect(parsed.value("kvm_domain_memory_stats_period_seconds", ["domain": "tcg-guest"]) == "0")
        #expect(parsed.value("kvm_domain_memory_stats_period_seconds", ["domain": "stopped"]) == nil)
        #expect(parsed.family("kvm_domain_memory_stats_period_seconds")?.help.contains("never move") == true)
    }

    @Test func kvmCountersOnlyForTheKVMGuest() {
        #expect(parsed.value("kvm_domain_kvm_exits_total", ["domain": "kvm-guest"]) == "2500")
        #expect(parsed.value("kvm_domain_kvm_halt_wait_seconds_total", ["domain": "kvm-guest"]) == "2.5")
        #expect(
            parsed.value("kvm_domain_kvm_mapped_bytes", ["domain": "kvm-guest", "page_size": "2MiB"]) == "6291456")
        #expect(parsed.value("kvm_domain_vcpu_halted", ["domain": "kvm-guest", "vcpu": "0"]) == "1")
        for family in parsed.families where family.name.hasPrefix("kvm_domain_kvm_") {
            #expect(family.samples.allSatisfy { $0.labels["domain"] == "kvm-guest" }, "\(family.name)")
        }
    }
}
