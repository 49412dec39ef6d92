import TestSupport
import Testing

@testable import KVMCore

/// One pass at a time, and listings applied in the order they were taken: a listing that started before
/// another one was applied knows less, whenever it finishes.
@Suite struct CollectorOrderTests {
    let alpha = Fixtures.running("alpha", 1)

    /// Deadlines long enough that a held listing is released, not abandoned.
    func harness() -> CollectorHarness { CollectorHarness([alpha], timeout: .seconds(30)) }

    @Test func anOlderListingThatFinishesLastIsNotApplied() async throws {
        let h = harness()
        #expect(await h.collectOnce() == .success)
        let held = h.fake.holdNextListing()
        let collector = h.collector
        let older = Task { await collector.collectOnce() }
        #expect(await eventually(within: .seconds(30)) { h.fake.listingsHeld == 1 }, "its listing saw alpha running")
        h.fake.modify(alpha.ref) {
            $0.state = .paused
            $0.reasonCode = 1
        }
        #expect(await h.collectOnce() == .success)
        #expect(h.entry(alpha.ref)?.state == .paused)

        held.open()
        #expect(await within(.seconds(10)) { await older.value } == .success)
        #expect(h.entry(alpha.ref)?.state == .paused, "the older listing said running")
        #expect(h.entry(alpha.ref)?.reason == "user")
    }

    @Test func aRefreshAskedForDuringAPassWaitsForIt() async throws {
        let h = harness()
        let held = h.fake.holdNextListing()
        let collector = h.collector
        let loop = Task { await collector.run() }
        defer { loop.cancel() }
        #expect(await eventually(within: .seconds(30)) { h.fake.listingsHeld == 1 }, "the first pass is listing")
        h.fake.modify(alpha.ref) {
            $0.state = .paused
            $0.reasonCode = 1
        }
        collector.requestRefresh()
        // No event tells of a listing that does not start: an overlapping one gets half a second to show.
        let overlapped = await eventually(within: .milliseconds(500)) { h.fake.calls(.listDomains) > 1 }
        #expect(!overlapped, "a second listing started while the first pass was still listing")

        held.open()
        #expect(
            await eventually(within: .seconds(30)) {
                h.fake.calls(.listDomains) == 2 && h.entry(alpha.ref)?.state == .paused
            }, "the refresh ran once the pass had finished")
        #expect(h.fake.mostListingsInFlight == 1)
        loop.cancel()
        #expect(await within(.seconds(10)) { await loop.value } != nil, "the loop ends on cancellation")
    }

    @Test func aFullPassAnswersTheRefreshesAskedForBeforeIt() async throws {
        let h = harness()
        h.collector.requestRefresh()
        h.collector.requestCollection()
        let collector = h.collector
        let loop = Task { await collector.run() }
        defer { loop.cancel() }
        #expect(await eventually(within: .seconds(30)) { h.telemetry.reports.count == 1 })
        #expect(h.fake.calls(.listDomains) == 1, "one listing for the pass and both requests")
        #expect(h.entry(alpha.ref)?.stats != nil)
    }
}
