import Glibc
import Testing

@testable import Systemd

@Suite struct UnitStatesTests {
    @Test func reportsUnitsOrSaysSystemdIsAbsent() throws {
        let units = ["systemd-journald.service", "kvm-agent-no-such-unit.service"]
        if access("/run/systemd/system", F_OK) == 0 {
            let states: [String: UnitState]
            do {
                states = try unitStates(units)
            } catch .notAvailable {
                return  // Booted with systemd, but this process (a container, say) cannot reach the system bus.
            }
            #expect(Set(states.keys) == Set(units))
            #expect(states["kvm-agent-no-such-unit.service"]?.active == false)
            #expect(states["kvm-agent-no-such-unit.service"]?.exists == false)
            #expect(states["systemd-journald.service"]?.exists == true)
        } else {
            #expect {
                try unitStates(units)
            } throws: { error in
                guard case .notAvailable(let reason) = error as? SystemdError else { return false }
                return reason.contains("/run/systemd/system")
            }
        }
    }

    @Test func enabledCountsRuntimeEnablement() {
        #expect(UnitState(activeState: "active", unitFileState: "enabled").enabled)
        #expect(UnitState(activeState: "active", unitFileState: "enabled-runtime").enabled)
        #expect(!UnitState(activeState: "active", unitFileState: "static").enabled)
        #expect(!UnitState(activeState: "activating", unitFileState: "").active)
        #expect(UnitState(activeState: "active", unitFileState: "masked").active)
        #expect(UnitState(activeState: "inactive", unitFileState: "masked", loadState: "masked").exists)
        #expect(!UnitState(activeState: "inactive", unitFileState: "", loadState: "not-found").exists)
    }

    @Test func errorsDescribeTheOperation() {
        let error = SystemdError.errno(-ENOENT, "sd_bus_open_system")
        #expect(error == .failed(operation: "sd_bus_open_system", errno: ENOENT, message: "No such file or directory"))
        #expect("\(error)" == "sd_bus_open_system: No such file or directory (errno 2)")
    }
}
