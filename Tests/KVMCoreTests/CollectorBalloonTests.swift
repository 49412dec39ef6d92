import Foundation
import TestSupport
import Testing

@testable import KVMCore

/// The `balloon` group costs libvirtd two monitor commands per running domain and pass: it is read when a
/// domain has no reading, every `balloonInterval`, every pass for a guest that reports memory figures, and
/// after a balloon event; in between the last reading stands and a held job is told by another figure.
@Suite struct CollectorBalloonTests {
    let alpha = Fixtures.running("alpha", 1)

    /// Bytes of `count` KiB, as libvirt's balloon figures are given.
    func kib(_ count: Double) -> Double { count * 1024 }

    /// `alpha` with its resident memory (KiB) and CPU time changed, as the next pass would find them.
    func moved(_ h: CollectorHarness, rssKiB: UInt64, cpuSeconds: Double = 30) {
        h.fake.modify(alpha.ref) {
            $0.record = Fixtures.fullRecord(cpuSeconds: cpuSeconds)
            $0.record["balloon.rss"] = .uint(rssKiB)
        }
    }

    /// Two passes with the resident memory moved between them: the second one reads the group and shows it.
    func expectReadOnEachOfTwoPasses(_ h: CollectorHarness) async {
        #expect(await h.collectOnce() == .success)
        moved(h, rssKiB: 2_000_000)
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, true])
        #expect(h.entry(alpha.ref)?.stats?.balloon.rssBytes == kib(2_000_000))
    }

    @Test func readOncePerIntervalWhileTheLastReadingStands() async throws {
        let h = CollectorHarness([alpha]) { $0.balloonInterval = .seconds(3600) }
        #expect(await h.collectOnce() == .success)
        let first = try #require(h.entry(alpha.ref))
        let readAt = try #require(first.balloonSampledAt)

        moved(h, rssKiB: 2_000_000)
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, false])
        let entry = try #require(h.entry(alpha.ref))
        #expect(entry.stats?.cpuTimeSeconds == 30, "every other group is read every pass")
        #expect(entry.stats?.balloon.rssBytes == kib(1_048_576), "the last reading stands")
        #expect(entry.stats?.memoryBytes == kib(2_097_152))
        #expect(entry.stats?.balloon.usableBytes == first.stats?.balloon.usableBytes)
        #expect(entry.balloonSampledAt == readAt)
        #expect(h.fake.calls(.basicInfo) == 0, "a group left out on purpose is not fetched per domain")

        let parsed = ParsedExposition(InventoryRenderer().render(h.store.snapshot()).text)
        #expect(parsed.value("kvm_domain_balloon_rss_bytes", ["domain": "alpha"]) == "1073741824")
        #expect(
            parsed.value("kvm_domain_balloon_timestamp_seconds", ["domain": "alpha"]).flatMap(Double.init) == readAt)
    }

    @Test func zeroIntervalReadsEveryPass() async throws {
        await expectReadOnEachOfTwoPasses(CollectorHarness([alpha]) { $0.balloonInterval = .zero })
    }

    @Test func guestThatReportsMemoryIsReadEveryPass() async throws {
        var reporting = alpha
        reporting.config.memoryStatsPeriodSeconds = 10
        await expectReadOnEachOfTwoPasses(CollectorHarness([reporting]) { $0.balloonInterval = .seconds(3600) })
    }

    /// Readings are stamped with the pass's start, so that they fall an interval of passes apart, not an
    /// interval and the time a pass takes.
    @Test func readingsAreStampedWithThePassesStart() async throws {
        let h = CollectorHarness([alpha]) { $0.balloonInterval = .seconds(3600) }
        // A slow vcpuinfo call, as on a loaded host: the pass publishes 50 ms after it began.
        h.fake.beforeVCPUInfo { Thread.sleep(forTimeInterval: 0.05) }
        #expect(await h.collectOnce() == .success)
        let entry = try #require(h.entry(alpha.ref))
        let read = try #require(entry.balloonSampledAt)
        let published = try #require(entry.statsSampledAt)
        #expect(published - read >= 0.05)
        #expect(entry.vcpusSampledAt == read)
    }

    /// Without a disk there is no figure to tell a held job by but the balloon group's own.
    @Test func domainWithoutAJobMarkerIsReadEveryPass() async throws {
        var diskless = alpha
        diskless.record = diskless.record.filter { !$0.key.hasPrefix("block.") }
        diskless.config.disks = []
        let h = CollectorHarness([diskless]) { $0.balloonInterval = .seconds(3600) }
        #expect(await h.collectOnce() == .success)
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, true])
        #expect(h.entry(alpha.ref)?.jobMarker == nil)
    }

    /// Between readings a domain whose job is held answers without its disks' I/O: it is asked on its own,
    /// and marked timed out when that hangs, as when the balloon group tells it.
    @Test func heldJobIsToldWithoutTheBalloonGroup() async throws {
        let bravo = Fixtures.running("bravo", 2)
        let h = CollectorHarness([alpha, bravo]) { $0.balloonInterval = .seconds(3600) }
        h.fake.setBulkWhenHung(.answersWithoutJobFigures)
        #expect(await h.collectOnce() == .success)
        #expect(h.entry(alpha.ref)?.jobMarker == "block.0.rd.reqs")

        h.fake.hang(alpha.ref)
        #expect(await h.collectOnce() == .partial)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, false])
        #expect(h.fake.calls(.domainStats, for: alpha.ref) == 1, "asked on its own")
        let stuck = try #require(h.entry(alpha.ref))
        #expect(stuck.statsTimedOut)
        #expect(stuck.stats == nil)
        #expect(h.entry(bravo.ref)?.statsTimedOut == false)

        h.fake.release(alpha.ref)
        #expect(await h.settled())
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.domainStats, for: alpha.ref) == 2, "asked on its own again")
        #expect(h.entry(alpha.ref)?.stats?.balloon.rssBytes == kib(1_048_576))
    }

    /// A started event with no stop before it (missed, or a restart between listings): a new qemu process,
    /// whose resident memory is not the last reading's.
    @Test func aStartedEventMakesItDue() async throws {
        let h = CollectorHarness([alpha]) { $0.balloonInterval = .seconds(3600) }
        #expect(await h.collectOnce() == .success)
        h.store.applyLifecycle(
            LifecycleEvent(
                domain: alpha.ref, kindCode: LifecycleEvent.Kind.started.rawValue, detailCode: 0,
                time: Date().timeIntervalSince1970))
        moved(h, rssKiB: 300_000)
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, true])
        #expect(h.entry(alpha.ref)?.stats?.balloon.rssBytes == kib(300_000))
    }

    /// A balloon event told while a pass is under way is newer than what the pass read: it stands, and the
    /// next pass reads the group again.
    @Test func balloonEventDuringAPassIsNotOverwritten() async throws {
        let h = CollectorHarness([alpha]) {
            $0.balloonInterval = .seconds(3600)
            $0.vcpuinfoInterval = .zero
        }
        #expect(await h.collectOnce() == .success)
        h.store.applyDomainEvent(
            DomainEvent(
                domain: alpha.ref, kind: .balloonChange(bytes: kib(1_500_000)), time: Date().timeIntervalSince1970))
        // The next pass reads the group (the event made it due) and, after the bulk call, meets another event.
        h.fake.beforeVCPUInfo {
            h.store.applyDomainEvent(
                DomainEvent(
                    domain: alpha.ref, kind: .balloonChange(bytes: kib(1_048_576)), time: Date().timeIntervalSince1970))
        }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, true])
        #expect(h.entry(alpha.ref)?.stats?.memoryBytes == kib(1_048_576), "the event, not the bulk call's 2 GiB")
        h.fake.beforeVCPUInfo {}
        h.fake.modify(alpha.ref) { $0.record["balloon.current"] = .uint(1_048_576) }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, true, true], "read again after the event")
        #expect(h.entry(alpha.ref)?.stats?.memoryBytes == kib(1_048_576))
    }

    @Test func balloonEventSetsTheMemoryAtOnceAndTheNextPassReadsTheGroup() async throws {
        let h = CollectorHarness([alpha]) { $0.balloonInterval = .seconds(3600) }
        #expect(await h.collectOnce() == .success)

        let event = DomainEvent(
            domain: alpha.ref, kind: .balloonChange(bytes: kib(1_048_576)), time: Date().timeIntervalSince1970)
        h.store.applyDomainEvent(event)
        #expect(h.entry(alpha.ref)?.stats?.memoryBytes == kib(1_048_576), "shown before any pass")

        h.fake.modify(alpha.ref) {
            $0.record["balloon.current"] = .uint(1_048_576)
            $0.record["balloon.rss"] = .uint(900_000)
        }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, true])
        let entry = try #require(h.entry(alpha.ref))
        #expect(entry.stats?.memoryBytes == kib(1_048_576))
        #expect(entry.stats?.balloon.rssBytes == kib(900_000))

        #expect(await h.collectOnce() == .success)
        #expect(h.fake.balloonAsked(alpha.ref) == [true, true, false], "the change is seen: back to the interval")
        #expect(h.entry(alpha.ref)?.stats?.memoryBytes == kib(1_048_576))
    }
}
