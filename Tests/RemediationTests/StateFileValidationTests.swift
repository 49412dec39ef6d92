import Foundation
import Testing

@testable import Remediation

/// A state file that parses is still refused when a value in it is one the agent could not go on from.
@Suite struct StateFileValidationTests {
    /// A state as the agent writes it: one pending action, one domain with history, one dedupe key.
    static func valid() -> SafetyState {
        var state = SafetyState()
        state.nextActionNumber = 8
        state.domains["6f3c0a0e-8d2b-4a57-9a56-000000000001"] = .init(
            name: "vm1", actionTimes: [1_764_000_000, 1_764_000_060], quarantinedAt: 1_764_000_060,
            quarantineUntil: nil)
        state.seen["f1|2026-11-26T11:00:00Z|start"] = 1_764_000_000
        state.pending["7"] = ActionPlan(
            id: "7", domainUUID: "6f3c0a0e-8d2b-4a57-9a56-000000000001", domainName: "vm1", action: .shutdown,
            operation: .shutdown, shutdownTimeoutSeconds: 120, forceAfterTimeout: false, rule: "r", alertKey: nil,
            source: "alertmanager", principal: "am")
        return state
    }

    private func load(_ state: SafetyState) throws -> SafetyState {
        let directory = try TemporaryDirectory()
        let file = StateFile(path: directory.file("state.json"))
        try file.save(state)
        return try file.load()
    }

    private func loadError(_ state: SafetyState) throws -> StateFileError {
        try #require(throws: StateFileError.self) { try self.load(state) }
    }

    @Test func aValidStateLoads() throws {
        #expect(try load(Self.valid()) == Self.valid())
        #expect(try load(SafetyState()) == SafetyState())
    }

    /// Loaded, the first webhook trapped on `nextActionNumber + 1` and took the agent down.
    @Test func nextActionNumberAtInt64MaxIsRefused() throws {
        var state = Self.valid()
        state.nextActionNumber = Int.max
        let error = try loadError(state)
        #expect(error.field == "nextActionNumber")
        #expect(error.description.contains("state.json: nextActionNumber: 9223372036854775807"))
    }

    @Test(arguments: [0, -1, Int.min, (1 << 53) + 1])
    func nextActionNumberOutOfRangeIsRefused(number: Int) throws {
        var state = SafetyState()
        state.nextActionNumber = number
        #expect(try loadError(state).field == "nextActionNumber")
    }

    @Test func unknownVersionIsRefused() throws {
        var state = Self.valid()
        state.version = 2
        let error = try loadError(state)
        #expect(error.field == "version")
        #expect(error.message.contains("2 is not a state file version"))
    }

    @Test(arguments: ["-7", "+7", "07x", "8", "9", "", " 7", "٧"])
    func pendingIdsThatTheAgentCouldNotHaveIssuedAreRefused(id: String) throws {
        var state = Self.valid()
        let removed = state.pending.removeValue(forKey: "7")
        var plan = try #require(removed)
        plan.id = id
        state.pending[id] = plan
        let error = try loadError(state)
        #expect(error.field == "pending.\(id).id")
    }

    @Test func aPendingIdDifferentFromItsKeyIsRefused() throws {
        var state = Self.valid()
        state.pending["7"]?.id = "6"
        #expect(try loadError(state).field == "pending.7.id")
    }

    @Test(arguments: [-1, 1e300, 9e15])
    func timesOutOfRangeAreRefused(time: Double) throws {
        var actions = Self.valid()
        actions.domains["6f3c0a0e-8d2b-4a57-9a56-000000000001"]?.actionTimes[1] = time
        #expect(try loadError(actions).field == "domains.6f3c0a0e-8d2b-4a57-9a56-000000000001.actionTimes[1]")
        var until = Self.valid()
        until.domains["6f3c0a0e-8d2b-4a57-9a56-000000000001"]?.quarantineUntil = time
        #expect(try loadError(until).field == "domains.6f3c0a0e-8d2b-4a57-9a56-000000000001.quarantineUntil")
        var seen = Self.valid()
        seen.seen["f1|2026-11-26T11:00:00Z|start"] = time
        #expect(try loadError(seen).field == "seen.f1|2026-11-26T11:00:00Z|start")
        var timeout = Self.valid()
        timeout.pending["7"]?.shutdownTimeoutSeconds = time
        #expect(try loadError(timeout).field == "pending.7.shutdownTimeoutSeconds")
    }

    /// JSON cannot spell NaN or the infinities, but the check must not rely on that.
    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteTimesAreRefused(time: Double) throws {
        var state = Self.valid()
        state.domains["6f3c0a0e-8d2b-4a57-9a56-000000000001"]?.quarantinedAt = time
        #expect(throws: SafetyStateProblem.self) { try state.validate() }
        var timeout = Self.valid()
        timeout.pending["7"]?.shutdownTimeoutSeconds = time
        #expect(throws: SafetyStateProblem.self) { try timeout.validate() }
    }

    /// The engine refuses to start on such a file, so the agent stops with the reason instead of trapping later.
    @Test func theEngineRefusesToStartOnAnInvalidStateFile() throws {
        let directory = try TemporaryDirectory()
        var state = SafetyState()
        state.nextActionNumber = Int.max
        try EngineHarness.seed(directory, with: state)
        let error = try #require(throws: StateFileError.self) {
            try EngineHarness(domains: [TestDomain("vm_centos7", 1)], directory: directory)
        }
        #expect(error.field == "nextActionNumber")
    }
}
