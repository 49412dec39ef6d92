import Testing

@testable import KVMCore

/// What the operator is told about libvirt (issue 15): five states, each worded for the status line and
/// /readyz, each a series of `kvm_agent_libvirt_connection_state`, all derived from the one inventory.
@Suite struct LibvirtConnectionStateTests {
    static let refused = ConnectionFailure(
        kind: .permissionDenied,
        reason: "authentication unavailable: no polkit agent available to authenticate action "
            + "'org.libvirt.unix.manage'", user: "kvm-agent")
    static let down = ConnectionFailure(
        kind: .unreachable, reason: "Failed to connect socket to '/run/libvirt/libvirt-sock': Connection refused",
        user: "kvm-agent")
    static let every: [LibvirtConnectionState] = [
        .connecting, .permissionDenied(refused), .unreachable(down), .collecting, .connected(running: 2, total: 3),
    ]

    @Test func statusLines() {
        let lines = Self.every.map { $0.statusLine(uri: "qemu:///system") }
        #expect(
            lines == [
                "qemu:///system: connecting to libvirt",
                "qemu:///system: libvirt refuses access (permission), retrying: see the journal",
                "qemu:///system: libvirt unreachable, retrying",
                "qemu:///system: connected, collecting",
                "qemu:///system: connected, 2 of 3 domains running",
            ])
        #expect(
            LibvirtConnectionState.connected(running: 0, total: 0).statusLine(uri: "qemu:///system")
                == "qemu:///system: connected, 0 of 0 domains running")
        // systemd cuts long status lines: every one stays well short of a terminal's width with the URI.
        #expect(lines.allSatisfy { $0.count <= 90 }, "\(lines)")
    }

    @Test func readinessProblems() throws {
        let problems = Self.every.map(\.readinessProblem)
        #expect(problems.last == .some(nil), "connected and collected is ready")
        let refused = try #require(problems[1])
        #expect(refused.hasPrefix("libvirt refuses access (permission): authentication unavailable: no polkit agent"))
        #expect(refused.contains("/usr/share/polkit-1/rules.d/60-kvm-agent.rules"))
        #expect(refused.contains("org.libvirt.unix.manage"))
        #expect(refused.contains("needs polkitd running"))
        #expect(refused.contains("auth_unix_rw = \"none\""))
        #expect(refused.contains("`adduser kvm-agent libvirt` and restart the agent"))
        #expect(problems[2] == "libvirt unreachable, retrying: " + Self.down.reason)
        #expect(problems[3]?.hasPrefix("libvirt connected, collecting") == true)
        #expect(problems[0]?.hasPrefix("libvirt: not connected yet") == true)
        #expect(problems.allSatisfy { !($0 ?? "").contains("\n") }, "one line each")
    }

    @Test func theAdviceNamesTheUserLibvirtRefused() {
        let advice = ConnectionFailure(kind: .permissionDenied, reason: "r", user: "monitor").advice
        #expect(advice.hasPrefix("libvirt refuses user monitor:"))
        #expect(advice.contains("`adduser monitor libvirt`"))
        #expect(advice.contains("grants user kvm-agent access"), "the packaged rule is for kvm-agent only")
    }

    @Test func theInventorySaysWhereTheAgentStands() {
        let store = InventoryStore()
        #expect(store.snapshot().connectionState == .connecting)
        store.disconnected(Self.refused)
        #expect(store.snapshot().connectionState == .permissionDenied(Self.refused))
        store.disconnected(Self.down)
        #expect(store.snapshot().connectionState == .unreachable(Self.down))

        // A pass that began before the connection knows nothing of it.
        let before = store.beginListing(at: 1)
        store.connected(FakeHypervisor.identity)
        #expect(store.snapshot().connectionState == .collecting)
        store.applyListing([], ticket: before)
        store.passFinished(before)
        #expect(store.snapshot().connectionState == .collecting)

        // Zero domains is a finished pass: a new host has none.
        let first = store.beginListing(at: 2)
        store.applyListing([], ticket: first)
        #expect(store.snapshot().connectionState == .collecting, "listed, the pass not finished yet")
        store.passFinished(first)
        #expect(store.snapshot().connectionState == .connected(running: 0, total: 0))

        store.applyListing(
            [
                DomainSummary(ref: Fixtures.ref("web", 1), state: .running, reasonCode: 1),
                DomainSummary(ref: Fixtures.ref("db", 2), state: .shutoff, reasonCode: 1),
            ], startedAt: 3)
        #expect(store.snapshot().connectionState == .connected(running: 1, total: 2))

        // Lost, then back: collecting again until a pass on the new connection ends.
        store.disconnected(Self.down)
        #expect(store.snapshot().connectionState == .unreachable(Self.down))
        store.connected(FakeHypervisor.identity)
        #expect(store.snapshot().connectionState == .collecting)
        #expect(store.snapshot().connectionFailure == nil)
    }

    @Test func aPassEndsCollectingAndAFailedListingDoesNot() async throws {
        let h = CollectorHarness([Fixtures.running("web", 1)])
        h.fake.setListingFails(true)
        #expect(await h.collectOnce() == .error)
        #expect(h.store.snapshot().connectionState == .collecting)
        // /readyz says why it stays collecting.
        let problem = try #require(h.store.snapshot().readinessProblem)
        #expect(problem.contains("the last domain listing failed: "), "\(problem)")
        h.fake.setListingFails(false)
        #expect(await h.collectOnce() == .success)
        #expect(h.store.snapshot().listingFailure == nil)
        #expect(h.store.snapshot().readinessProblem == nil)
        #expect(h.store.snapshot().connectionState == .connected(running: 1, total: 1))
    }

    @Test func theMetricHasOneSeriesPerStateAndOneIsSet() throws {
        let inventories: [(Inventory, String)] = [
            (Inventory(), "connecting"),
            (
                {
                    var i = Inventory()
                    i.connectionFailure = Self.refused
                    return i
                }(), "permission_denied"
            ),
            (
                {
                    var i = Inventory()
                    i.connectionFailure = Self.down
                    return i
                }(), "unreachable"
            ),
            (
                {
                    var i = Fixtures.inventory([])
                    i.collectedSinceConnecting = false
                    return i
                }(), "collecting"
            ),
            (Fixtures.inventory([Fixtures.sampledEntry("web", 1)]), "connected"),
        ]
        for (inventory, current) in inventories {
            let parsed = ParsedExposition(InventoryRenderer().render(inventory).text)
            #expect(parsed.problems.isEmpty, "\(parsed.problems)")
            let family = try #require(parsed.family("kvm_agent_libvirt_connection_state"))
            #expect(family.type == "gauge")
            #expect(family.help.contains("permission_denied"))
            let values = Dictionary(uniqueKeysWithValues: family.samples.map { ($0.labels["state"] ?? "", $0.value) })
            #expect(
                values
                    == Dictionary(
                        uniqueKeysWithValues: LibvirtConnectionState.names.map { ($0, $0 == current ? "1" : "0") }),
                "\(current)")
        }
        #expect(LibvirtConnectionState.names == Self.every.map(\.name))
    }
}
