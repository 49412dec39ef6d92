import Testing

@testable import KVMCore

@Suite struct InventoryListingTests {
    let a = Fixtures.ref("alpha", 1)
    let b = Fixtures.ref("bravo", 2)
    let c = Fixtures.ref("charlie", 3)

    @Test func listingAddsNewAndDropsVanishedDomains() throws {
        let store = InventoryStore()
        store.applyListing(
            [
                DomainSummary(ref: a, state: .running, reasonCode: 1),
                DomainSummary(ref: b, state: .shutoff, reasonCode: 2),
            ],
            startedAt: 100)
        store.applyListing(
            [
                DomainSummary(ref: b, state: .shutoff, reasonCode: 2),
                DomainSummary(ref: c, state: .paused, reasonCode: 1),
            ],
            startedAt: 200)
        let domains = store.snapshot().domains
        #expect(Set(domains.keys) == [b.uuid, c.uuid])
        let added = try #require(domains[c.uuid])
        #expect(added.state == .paused)
        #expect(added.reason == "user")
        #expect(added.configStale, "a new domain's definition must be read")
        #expect(domains[b.uuid]?.reason == "destroyed")
    }

    @Test func listingCorrectsAStateNoEventReported() throws {
        let store = InventoryStore()
        store.applyListing([DomainSummary(ref: a, state: .running, reasonCode: 1)], startedAt: 100)
        store.update { $0.domains[a.uuid]?.stats = DomainStats() }
        store.applyListing([DomainSummary(ref: a, state: .shutoff, reasonCode: 1)], startedAt: 200)
        let entry = try #require(store.snapshot().domains[a.uuid])
        #expect(entry.state == .shutoff)
        #expect(entry.reason == "shutdown")
        #expect(entry.stateChangedAt == 200)
        #expect(entry.stats == nil)
    }

    @Test func listingStartedBeforeAnEventDoesNotOverrideIt() throws {
        let store = InventoryStore()
        store.applyListing([DomainSummary(ref: a, state: .running, reasonCode: 1)], startedAt: 100)
        // The listing is taken at 150, the domain is destroyed at 160, and the listing lands after.
        store.applyLifecycle(event(a, .stopped, detail: 1, at: 160))
        store.applyListing([DomainSummary(ref: a, state: .running, reasonCode: 1)], startedAt: 150)
        let entry = try #require(store.snapshot().domains[a.uuid])
        #expect(entry.state == .shutoff)
        #expect(entry.reason == "destroyed")
        #expect(entry.stateChangedAt == 160)
        // A listing begun after the event is believed again.
        store.applyListing([DomainSummary(ref: a, state: .running, reasonCode: 1)], startedAt: 170)
        #expect(store.snapshot().domains[a.uuid]?.state == .running)
        #expect(store.snapshot().domains[a.uuid]?.stateChangedAt == 170)
    }

    @Test func listingStartedBeforeADefinitionDoesNotDropTheNewDomain() {
        let store = InventoryStore()
        store.applyLifecycle(event(c, .defined, detail: 0, at: 160))
        store.applyLifecycle(event(c, .started, detail: 0, at: 161))
        store.applyListing([DomainSummary(ref: a, state: .running, reasonCode: 1)], startedAt: 150)
        let domains = store.snapshot().domains
        #expect(domains[c.uuid]?.state == .running)
        #expect(domains[a.uuid] != nil)
        store.applyListing([DomainSummary(ref: a, state: .running, reasonCode: 1)], startedAt: 170)
        #expect(store.snapshot().domains[c.uuid] == nil, "a later listing without it drops it")
    }

    @Test func aListingBegunBeforeAnAppliedOneIsRefused() throws {
        let store = InventoryStore()
        let older = store.beginListing(at: 100)
        let newer = store.beginListing(at: 101)
        #expect(store.applyListing([DomainSummary(ref: a, state: .paused, reasonCode: 1)], ticket: newer))
        let generation = store.generation
        #expect(!store.applyListing([DomainSummary(ref: b, state: .running, reasonCode: 1)], ticket: older))
        #expect(!store.applyListing([DomainSummary(ref: b, state: .running, reasonCode: 1)], ticket: newer))
        let domains = store.snapshot().domains
        #expect(Set(domains.keys) == [a.uuid])
        #expect(domains[a.uuid]?.state == .paused)
        #expect(store.generation == generation, "a refused listing changes nothing")
        #expect(store.applyListing([], ticket: store.beginListing(at: 99)), "order is by ticket, not by clock")
        #expect(store.snapshot().domains.isEmpty)
    }

    @Test func renamedDomainKeepsItsEntryUnderTheSameUUID() {
        let store = InventoryStore()
        store.applyListing([DomainSummary(ref: a, state: .running, reasonCode: 1)], startedAt: 100)
        let renamed = DomainRef(uuid: a.uuid.uppercased(), name: "alpha-renamed")
        store.applyListing([DomainSummary(ref: renamed, state: .running, reasonCode: 1)], startedAt: 200)
        let domains = store.snapshot().domains
        #expect(domains.count == 1)
        #expect(domains[a.uuid]?.ref.name == "alpha-renamed")
    }

    @Test func disconnectDropsFiguresAndDomainSeries() throws {
        let store = InventoryStore()
        store.connected(FakeHypervisor.identity)
        store.update { inventory in
            for (index, name) in ["alpha", "bravo"].enumerated() {
                var entry = Fixtures.sampledEntry(name, index + 1)
                entry.statsTimedOut = index == 1
                inventory.domains[entry.ref.uuid] = entry
            }
        }
        #expect(InventoryRenderer().render(store.snapshot()).text.contains("kvm_domain_cpu_time_seconds_total{"))

        store.disconnected()
        let inventory = store.snapshot()
        #expect(!inventory.libvirtUp)
        #expect(inventory.domains.count == 2, "kept so lifecycle counters carry on")
        for entry in inventory.domains.values {
            #expect(entry.stats == nil)
            #expect(entry.vcpus.isEmpty)
            #expect(!entry.statsTimedOut)
            #expect(!entry.lifecycleEvents.isEmpty)
        }
        let text = InventoryRenderer().render(inventory).text
        let parsed = ParsedExposition(text)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.value("kvm_libvirt_up") == "0")
        #expect(!text.contains("kvm_domain_"))
        #expect(!text.contains("kvm_libvirt_info"))
    }
}
