import Testing
import WebSecurity

@Suite struct ConnectionTableTests {
    @Test func perClientCapTurnsAwayOnlyThatClient() {
        let table = ConnectionTable(maxConnections: 10, maxConnectionsPerClient: 2)
        #expect(table.admit(client: "10.0.0.1") == nil)
        #expect(table.admit(client: "10.0.0.1") == nil)
        #expect(table.admit(client: "10.0.0.1") == .clientLimit)
        #expect(table.admit(client: "10.0.0.2") == nil)
        #expect(table.openConnections == 3)
        #expect(table.openConnections(client: "10.0.0.1") == 2)
    }

    @Test func totalCapTurnsAwayEveryone() {
        let table = ConnectionTable(maxConnections: 3, maxConnectionsPerClient: 2)
        for client in ["a", "a", "b"] { #expect(table.admit(client: client) == nil) }
        #expect(table.admit(client: "c") == .totalLimit)
        #expect(table.admit(client: "a") == .clientLimit)
        #expect(table.openConnections == 3)
    }

    @Test func releaseFreesThePlaceAndForgetsIdleClients() {
        let table = ConnectionTable(maxConnections: 2, maxConnectionsPerClient: 1)
        #expect(table.admit(client: "a") == nil)
        #expect(table.admit(client: "b") == nil)
        table.release(client: "a")
        #expect(table.openConnections(client: "a") == 0)
        #expect(table.admit(client: "c") == nil)
        // A release without an admission (never happens) must not drive the counts below zero.
        table.release(client: "never-admitted")
        #expect(table.openConnections == 2)
    }
}

extension ConnectionTableTests {
    @Test func releaseReportsTheEndOfABurstOnce() {
        let table = ConnectionTable(maxConnections: 1000, maxConnectionsPerClient: 1000)
        for _ in 0..<100 { _ = table.admit(client: "a") }
        // 100 down to 25 is a quarter of the peak, and a fall of 75 (at least 64).
        let reports = (0..<90).map { _ in table.release(client: "a") }
        #expect(reports.firstIndex(of: true) == 74)
        #expect(reports.filter { $0 }.count == 1)
        // A few connections coming and going after that report nothing.
        for _ in 0..<10 { _ = table.admit(client: "a") }
        #expect((0..<10).allSatisfy { _ in !table.release(client: "a") })
    }
}
