import Foundation
import Testing
import WebSecurity

/// deploy/kvm-agent.service's LimitNOFILE is the default connection cap plus a fixed headroom, so that clients
/// held at the cap can never make accept() fail for want of descriptors; the two must move together.
@Suite struct ConnectionLimitsUnitTests {
    /// Descriptors besides HTTP connections, as the unit's comment counts them.
    static let headroom = 1536

    @Test func unitLimitNOFILEIsTheDefaultCapPlusHeadroom() throws {
        let unit = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appending(path: "deploy/kvm-agent.service")
        let lines = try String(contentsOf: unit, encoding: .utf8).split(separator: "\n")
        let values = lines.filter { $0.hasPrefix("LimitNOFILE=") }.map { $0.dropFirst("LimitNOFILE=".count) }
        #expect(values.count == 1, "exactly one LimitNOFILE= line in \(unit.path)")
        let limit = try #require(values.first.flatMap { Int($0) }, "LimitNOFILE must be a single number")
        let defaults = ConnectionLimits()
        #expect(limit == defaults.maxConnections + Self.headroom)
        #expect(defaults.maxConnectionsPerClient < defaults.maxConnections)
    }
}
