import Testing

@testable import KVMCore

func event(_ ref: DomainRef, _ kind: LifecycleEvent.Kind, detail: Int = 0, at time: Double) -> LifecycleEvent {
    LifecycleEvent(domain: ref, kindCode: kind.rawValue, detailCode: detail, time: time)
}

func counter(_ event: String, _ detail: String) -> LifecycleCounterKey {
    LifecycleCounterKey(event: event, detail: detail)
}

@Suite struct InventoryEventTests {
    let ref = Fixtures.ref("web-01", 1)

    @Test func fullLifecycleSetsStateReasonTimeAndCounters() throws {
        let store = InventoryStore()
        store.applyLifecycle(event(ref, .defined, detail: 0, at: 100))
        var entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.state == .shutoff)
        #expect(entry.configStale)
        #expect(entry.stateChangedAt == nil, "a definition is not a state change")

        let steps: [(LifecycleEvent.Kind, Int, Double, DomainState, String)] = [
            (.started, 0, 110, .running, "booted"),
            (.suspended, 0, 120, .paused, "user"),
            (.resumed, 0, 130, .running, "unpaused"),
            (.stopped, 1, 140, .shutoff, "destroyed"),
        ]
        for (kind, detail, time, state, reason) in steps {
            store.applyLifecycle(event(ref, kind, detail: detail, at: time))
            entry = try #require(store.snapshot().domains[ref.uuid])
            #expect(entry.state == state, "after \(kind)")
            #expect(entry.reason == reason, "after \(kind)")
            #expect(entry.stateChangedAt == time, "after \(kind)")
            // The reason is one the listing would also report for that state.
            let codes = 0..<20
            #expect(codes.contains { state.reasonName(code: $0) == reason }, "\(reason) is a \(state) reason")
        }
        #expect(
            entry.lifecycleEvents == [
                counter("defined", "added"): 1, counter("started", "booted"): 1, counter("suspended", "paused"): 1,
                counter("resumed", "unpaused"): 1, counter("stopped", "destroyed"): 1,
            ])
    }

    @Test func stoppingDropsSampledFigures() throws {
        let store = InventoryStore()
        store.update { $0.domains[ref.uuid] = Fixtures.sampledEntry("web-01", 1) }
        store.update { $0.domains[ref.uuid]?.statsTimedOut = true }
        store.applyLifecycle(event(ref, .stopped, detail: 0, at: 200))
        let entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.state == .shutoff)
        #expect(entry.reason == "shutdown")
        #expect(entry.stats == nil)
        #expect(entry.vcpus.isEmpty)
        #expect(!entry.statsTimedOut)
    }

    @Test func crashAndRestartBetweenListingsShowInCounters() throws {
        let store = InventoryStore()
        store.applyListing([DomainSummary(ref: ref, state: .running, reasonCode: 1)], startedAt: 100)
        store.applyLifecycle(event(ref, .stopped, detail: 2, at: 110))
        store.applyLifecycle(event(ref, .started, detail: 0, at: 111))
        store.applyListing([DomainSummary(ref: ref, state: .running, reasonCode: 1)], startedAt: 120)
        let entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.state == .running)
        #expect(entry.reason == "booted")
        #expect(entry.stateChangedAt == 111, "the listing saw no change, the events did")
        #expect(entry.lifecycleEvents[counter("stopped", "crashed")] == 1)
        #expect(entry.lifecycleEvents[counter("started", "booted")] == 1)
        #expect(entry.lifecycleEvents.count == 2)
    }

    @Test func panicEventLeavesDomainCrashed() throws {
        let store = InventoryStore()
        store.applyListing([DomainSummary(ref: ref, state: .running, reasonCode: 1)], startedAt: 100)
        store.applyLifecycle(event(ref, .crashed, detail: 0, at: 105))
        let entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.state == .crashed)
        #expect(entry.reason == "panicked")
        #expect(entry.lifecycleEvents == [counter("crashed", "panicked"): 1])
    }

    @Test func repeatedEventsCount() throws {
        let store = InventoryStore()
        for time in [10.0, 20, 30] {
            store.applyLifecycle(event(ref, .started, detail: 0, at: time))
            store.applyLifecycle(event(ref, .stopped, detail: 0, at: time + 5))
        }
        let entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.lifecycleEvents[counter("started", "booted")] == 3)
        #expect(entry.lifecycleEvents[counter("stopped", "shutdown")] == 3)
        #expect(entry.stateChangedAt == 35)
    }

    @Test func undefiningAnInactiveDomainRemovesIt() {
        let store = InventoryStore()
        store.applyListing([DomainSummary(ref: ref, state: .shutoff, reasonCode: 1)], startedAt: 100)
        store.applyLifecycle(event(ref, .undefined, detail: 0, at: 110))
        #expect(store.snapshot().domains[ref.uuid] == nil)
    }

    @Test func undefiningARunningDomainKeepsItAsTransient() throws {
        let store = InventoryStore()
        store.update { $0.domains[ref.uuid] = Fixtures.sampledEntry("web-01", 1) }
        store.applyLifecycle(event(ref, .undefined, detail: 0, at: 110))
        let entry = try #require(store.snapshot().domains[ref.uuid])
        #expect(entry.state == .running)
        #expect(entry.config?.persistent == false)
        #expect(entry.stats != nil, "a running domain keeps its figures")
        #expect(entry.lifecycleEvents[counter("undefined", "removed")] == 1)
    }

    @Test func everyChangeBumpsTheGeneration() {
        let store = InventoryStore()
        let before = store.generation
        store.applyLifecycle(event(ref, .defined, at: 1))
        store.applyListing([], startedAt: 0)
        store.disconnected()
        #expect(store.generation == before + 3)
    }
}
