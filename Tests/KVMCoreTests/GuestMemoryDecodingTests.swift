import Foundation
import Testing

@testable import KVMCore

/// Records as libvirt 9.0 gave them on this project's machine (`virsh domstats`), field names verbatim.
enum MemoryRecords {
    /// A TCG Linux guest with virtio_balloon loaded and `<stats period='2'/>` (`--balloon --cpu-total --vcpu`).
    static let reportingGuest: [String: StatValue] = [
        "cpu.time": .uint(3_219_303_000), "cpu.haltpoll.success.time": .uint(0), "cpu.haltpoll.fail.time": .uint(0),
        "balloon.current": .uint(131_072), "balloon.maximum": .uint(131_072), "balloon.swap_in": .uint(0),
        "balloon.swap_out": .uint(0), "balloon.major_fault": .uint(0), "balloon.minor_fault": .uint(965),
        "balloon.unused": .uint(67080), "balloon.available": .uint(94800), "balloon.usable": .uint(73216),
        "balloon.last-update": .uint(1_795_949_535), "balloon.disk_caches": .uint(2300),
        "balloon.hugetlb_pgalloc": .uint(0), "balloon.hugetlb_pgfail": .uint(0), "balloon.rss": .uint(219_036),
        "vcpu.current": .uint(1), "vcpu.maximum": .uint(1), "vcpu.0.state": .int(1),
        "vcpu.0.time": .uint(2_780_000_000), "vcpu.0.wait": .uint(0), "vcpu.0.delay": .uint(4_978_844_178),
    ]

    /// A guest without a balloon driver (or with period 0): libvirt has only the host's figures.
    static let silentGuest: [String: StatValue] = [
        "balloon.current": .uint(65536), "balloon.maximum": .uint(65536), "balloon.last-update": .uint(0),
        "balloon.rss": .uint(38788),
    ]

    /// A halted guest of type kvm (`--cpu-total --vcpu --vm`), with a second vCPU made up to show the sums.
    static let kvmGuest: [String: StatValue] = [
        "cpu.time": .uint(1_016_056_000), "cpu.haltpoll.success.time": .uint(1_500_000_000),
        "cpu.haltpoll.fail.time": .uint(250_000_000),
        "vcpu.current": .uint(2), "vcpu.maximum": .uint(2),
        "vcpu.0.state": .int(1), "vcpu.0.time": .uint(750_000_000), "vcpu.0.exits.sum": .uint(2443),
        "vcpu.0.halt_exits.sum": .uint(10), "vcpu.0.io_exits.sum": .uint(7), "vcpu.0.mmio_exits.sum": .uint(3),
        "vcpu.0.halt_attempted_poll.sum": .uint(40), "vcpu.0.halt_successful_poll.sum": .uint(30),
        "vcpu.0.halt_wait_ns.sum": .uint(2_000_000_000), "vcpu.0.tlb_flush.sum": .uint(2),
        "vcpu.0.blocking.cur": .bool(false), "vcpu.0.insn_emulation.sum": .uint(1_175_336),
        "vcpu.1.state": .int(1), "vcpu.1.exits.sum": .uint(57), "vcpu.1.halt_exits.sum": .uint(5),
        "vcpu.1.halt_wait_ns.sum": .uint(500_000_000),
        "vm.remote_tlb_flush.sum": .uint(4), "vm.remote_tlb_flush_requests.sum": .uint(2),
        "vm.pages_4k.cur": .uint(1000), "vm.pages_2m.cur": .uint(3), "vm.pages_1g.cur": .uint(0),
        "vm.mmu_cache_miss.sum": .uint(12), "vm.max_mmu_rmap_size.max": .uint(0),
    ]
}

@Suite struct GuestMemoryDecodingTests {
    let decoder = BulkStatsDecoder()

    @Test func guestFiguresAreInBytesAndCounts() throws {
        let balloon = decoder.decode(MemoryRecords.reportingGuest).balloon
        #expect(balloon.swapInBytes == 0)
        #expect(balloon.swapOutBytes == 0)
        #expect(balloon.majorFaults == 0)
        #expect(balloon.minorFaults == 965)
        #expect(balloon.diskCachesBytes == 2300.0 * 1024)
        #expect(balloon.hugetlbAllocations == 0)
        #expect(balloon.hugetlbFailures == 0)
        #expect(balloon.lastUpdateTimestamp == 1_795_949_535)
        #expect(balloon.usableBytes == 73216.0 * 1024)
    }

    @Test func swapIsKiBTurnedIntoBytes() {
        var record = MemoryRecords.reportingGuest
        record["balloon.swap_in"] = .uint(3)
        record["balloon.swap_out"] = .uint(5)
        let balloon = decoder.decode(record).balloon
        #expect(balloon.swapInBytes == 3072)
        #expect(balloon.swapOutBytes == 5120)
    }

    /// Before the guest's first report libvirt says last-update 0 and nothing else: absent, not 1970 or zeros.
    @Test func aGuestThatNeverReportedHasNoGuestFigures() {
        let balloon = decoder.decode(MemoryRecords.silentGuest).balloon
        #expect(balloon.lastUpdateTimestamp == nil)
        #expect(balloon.swapInBytes == nil && balloon.majorFaults == nil && balloon.diskCachesBytes == nil)
        #expect(balloon.rssBytes == 38788.0 * 1024)
    }

    @Test func kvmCountersAreSummedOverVCPUsAndInBaseUnits() throws {
        let stats = decoder.decode(MemoryRecords.kvmGuest)
        let kvm = try #require(stats.kvm)
        #expect(kvm[.exits] == 2500)
        #expect(kvm[.haltExits] == 15)
        #expect(kvm[.ioExits] == 7)
        #expect(kvm[.haltPollAttempts] == 40)
        #expect(kvm[.haltPollSuccesses] == 30)
        #expect(kvm[.haltWaitSeconds] == 2.5)
        #expect(kvm[.remoteTLBFlushes] == 4)
        #expect(kvm[.mapped4KiBBytes] == 4_096_000)
        #expect(kvm[.mapped2MiBBytes] == 6_291_456)
        #expect(kvm[.mapped1GiBBytes] == 0)
        #expect(stats.haltPollSuccessSeconds == 1.5)
        #expect(stats.haltPollFailSeconds == 0.25)
    }

    /// Without the vm group only the per-vCPU counters come; the per-VM ones are absent, not zero.
    @Test func absentGroupsLeaveTheirCountersAbsent() throws {
        let perVCPUOnly = MemoryRecords.kvmGuest.filter { !$0.key.hasPrefix("vm.") }
        let kvm = try #require(decoder.decode(perVCPUOnly).kvm)
        #expect(kvm[.exits] == 2500)
        #expect(kvm[.remoteTLBFlushes] == nil && kvm[.mapped2MiBBytes] == nil)
        #expect(decoder.decode(MemoryRecords.reportingGuest).kvm == nil)
    }

    @Test func haltedIsReadFromBooleansAndWords() {
        var record = MemoryRecords.kvmGuest
        record["vcpu.0.halted"] = .bool(true)
        record["vcpu.1.halted"] = .string("no")
        let stats = decoder.decode(record)
        #expect(stats.vcpus[0]?.halted == true)
        #expect(stats.vcpus[1]?.halted == false)
        #expect(decoder.decode(MemoryRecords.reportingGuest).vcpus[0]?.halted == nil)
    }

    /// Counts come from outside: absurd ones must neither trap nor loop for long.
    @Test(arguments: [StatValue.double(.nan), .double(.infinity), .double(-3), .double(1e300), .uint(.max)])
    func absurdCountsAreBounded(count: StatValue) {
        let record: [String: StatValue] = [
            "vcpu.maximum": count, "block.count": count, "net.count": count, "vcpu.0.exits.sum": .uint(1),
        ]
        let stats = decoder.decode(record)
        #expect(stats.blocks.isEmpty && stats.interfaces.isEmpty)
        #expect(stats.kvm == nil || stats.kvm?[.exits] == 1)
    }
}

@Suite struct BalloonDefinitionTests {
    func config(_ devices: String, type: String = "kvm") throws -> DomainConfig {
        try DomainConfig(
            xml: "<domain type='\(type)'><name>g</name><devices>\(devices)</devices></domain>", persistent: true,
            autostart: false)
    }

    @Test func statsPeriodIsReadFromTheBalloon() throws {
        let withPeriod = try config("<memballoon model='virtio'><stats period='10'/></memballoon>")
        #expect(withPeriod.memoryStatsPeriodSeconds == 10)
        #expect(withPeriod.domainType == "kvm")
        #expect(try config("<memballoon model='virtio'/>").memoryStatsPeriodSeconds == 0)
        #expect(try config("<memballoon model='none'/>").memoryStatsPeriodSeconds == nil)
        #expect(try config("").memoryStatsPeriodSeconds == nil)
        #expect(try config("", type: "qemu").domainType == "qemu")
    }

    @Test(arguments: ["-5", "ten", "", "nan"])
    func aPeriodThatIsNoPeriodCountsAsNone(period: String) throws {
        let config = try config("<memballoon model='virtio'><stats period='\(period)'/></memballoon>")
        #expect(config.memoryStatsPeriodSeconds == 0)
    }
}
