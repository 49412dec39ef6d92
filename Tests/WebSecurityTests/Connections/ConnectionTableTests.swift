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
