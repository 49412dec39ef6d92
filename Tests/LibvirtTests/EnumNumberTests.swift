import CLibvirt
import KVMCore
import Libvirt
import Testing

/// KVMCore has no C imports, so it carries its own copies of libvirt's enum numbers: these pin every copy to
/// the C constant it mirrors. Two names KVMCore knows are newer than the oldest libvirt built against
/// (Debian 12's 9.0.0): the paused reason `api_error` (14) and the started detail `recreated` (5).
@Suite struct EnumNumberTests {
    static func number<T: RawRepresentable>(_ constant: T) -> Int where T.RawValue: BinaryInteger {
        Int(constant.rawValue)
    }

    @Test func domainStates() {
        let states: [(DomainState, virDomainState)] = [
            (.nostate, VIR_DOMAIN_NOSTATE), (.running, VIR_DOMAIN_RUNNING), (.blocked, VIR_DOMAIN_BLOCKED),
            (.paused, VIR_DOMAIN_PAUSED), (.shutdown, VIR_DOMAIN_SHUTDOWN), (.shutoff, VIR_DOMAIN_SHUTOFF),
            (.crashed, VIR_DOMAIN_CRASHED), (.pmsuspended, VIR_DOMAIN_PMSUSPENDED),
        ]
        for (state, constant) in states {
            #expect(state.rawValue == Self.number(constant), "\(state)")
            #expect(DomainState(code: Self.number(constant)) == state)
        }
        #expect(states.count == DomainState.allCases.count)
    }

    @Test func stateReasons() {
        let reasons: [(DomainState, Int, String)] = [
            (.nostate, Self.number(VIR_DOMAIN_NOSTATE_UNKNOWN), "unknown"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_UNKNOWN), "unknown"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_BOOTED), "booted"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_MIGRATED), "migrated"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_RESTORED), "restored"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_FROM_SNAPSHOT), "from_snapshot"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_UNPAUSED), "unpaused"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_MIGRATION_CANCELED), "migration_canceled"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_SAVE_CANCELED), "save_canceled"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_WAKEUP), "wakeup"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_CRASHED), "crashed"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_POSTCOPY), "postcopy"),
            (.running, Self.number(VIR_DOMAIN_RUNNING_POSTCOPY_FAILED), "postcopy_failed"),
            (.blocked, Self.number(VIR_DOMAIN_BLOCKED_UNKNOWN), "unknown"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_UNKNOWN), "unknown"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_USER), "user"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_MIGRATION), "migration"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_SAVE), "save"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_DUMP), "dump"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_IOERROR), "ioerror"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_WATCHDOG), "watchdog"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_FROM_SNAPSHOT), "from_snapshot"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_SHUTTING_DOWN), "shutting_down"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_SNAPSHOT), "snapshot"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_CRASHED), "crashed"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_STARTING_UP), "starting_up"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_POSTCOPY), "postcopy"),
            (.paused, Self.number(VIR_DOMAIN_PAUSED_POSTCOPY_FAILED), "postcopy_failed"),
            (.shutdown, Self.number(VIR_DOMAIN_SHUTDOWN_UNKNOWN), "unknown"),
            (.shutdown, Self.number(VIR_DOMAIN_SHUTDOWN_USER), "user"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_UNKNOWN), "unknown"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_SHUTDOWN), "shutdown"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_DESTROYED), "destroyed"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_CRASHED), "crashed"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_MIGRATED), "migrated"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_SAVED), "saved"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_FAILED), "failed"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT), "from_snapshot"),
            (.shutoff, Self.number(VIR_DOMAIN_SHUTOFF_DAEMON), "daemon"),
            (.crashed, Self.number(VIR_DOMAIN_CRASHED_UNKNOWN), "unknown"),
            (.crashed, Self.number(VIR_DOMAIN_CRASHED_PANICKED), "panicked"),
            (.pmsuspended, Self.number(VIR_DOMAIN_PMSUSPENDED_UNKNOWN), "unknown"),
        ]
        for (state, code, name) in reasons {
            #expect(state.reasonName(code: code) == name, "\(state) reason \(code)")
        }
    }

    @Test func lifecycleEventKinds() {
        let kinds: [(LifecycleEvent.Kind, virDomainEventType)] = [
            (.defined, VIR_DOMAIN_EVENT_DEFINED), (.undefined, VIR_DOMAIN_EVENT_UNDEFINED),
            (.started, VIR_DOMAIN_EVENT_STARTED), (.suspended, VIR_DOMAIN_EVENT_SUSPENDED),
            (.resumed, VIR_DOMAIN_EVENT_RESUMED), (.stopped, VIR_DOMAIN_EVENT_STOPPED),
            (.shutdown, VIR_DOMAIN_EVENT_SHUTDOWN), (.pmsuspended, VIR_DOMAIN_EVENT_PMSUSPENDED),
            (.crashed, VIR_DOMAIN_EVENT_CRASHED),
        ]
        for (kind, constant) in kinds {
            #expect(kind.rawValue == Self.number(constant), "\(kind)")
        }
        #expect(kinds.count == LifecycleEvent.Kind.allCases.count)
    }

    @Test func lifecycleEventDetails() {
        let details: [(virDomainEventType, Int, String)] = [
            (VIR_DOMAIN_EVENT_DEFINED, Self.number(VIR_DOMAIN_EVENT_DEFINED_ADDED), "added"),
            (VIR_DOMAIN_EVENT_DEFINED, Self.number(VIR_DOMAIN_EVENT_DEFINED_UPDATED), "updated"),
            (VIR_DOMAIN_EVENT_DEFINED, Self.number(VIR_DOMAIN_EVENT_DEFINED_RENAMED), "renamed"),
            (VIR_DOMAIN_EVENT_DEFINED, Self.number(VIR_DOMAIN_EVENT_DEFINED_FROM_SNAPSHOT), "from_snapshot"),
            (VIR_DOMAIN_EVENT_UNDEFINED, Self.number(VIR_DOMAIN_EVENT_UNDEFINED_REMOVED), "removed"),
            (VIR_DOMAIN_EVENT_UNDEFINED, Self.number(VIR_DOMAIN_EVENT_UNDEFINED_RENAMED), "renamed"),
            (VIR_DOMAIN_EVENT_STARTED, Self.number(VIR_DOMAIN_EVENT_STARTED_BOOTED), "booted"),
            (VIR_DOMAIN_EVENT_STARTED, Self.number(VIR_DOMAIN_EVENT_STARTED_MIGRATED), "migrated"),
            (VIR_DOMAIN_EVENT_STARTED, Self.number(VIR_DOMAIN_EVENT_STARTED_RESTORED), "restored"),
            (VIR_DOMAIN_EVENT_STARTED, Self.number(VIR_DOMAIN_EVENT_STARTED_FROM_SNAPSHOT), "from_snapshot"),
            (VIR_DOMAIN_EVENT_STARTED, Self.number(VIR_DOMAIN_EVENT_STARTED_WAKEUP), "wakeup"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_PAUSED), "paused"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED), "migrated"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_IOERROR), "ioerror"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_WATCHDOG), "watchdog"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_RESTORED), "restored"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT), "from_snapshot"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_API_ERROR), "api_error"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY), "postcopy"),
            (VIR_DOMAIN_EVENT_SUSPENDED, Self.number(VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED), "postcopy_failed"),
            (VIR_DOMAIN_EVENT_RESUMED, Self.number(VIR_DOMAIN_EVENT_RESUMED_UNPAUSED), "unpaused"),
            (VIR_DOMAIN_EVENT_RESUMED, Self.number(VIR_DOMAIN_EVENT_RESUMED_MIGRATED), "migrated"),
            (VIR_DOMAIN_EVENT_RESUMED, Self.number(VIR_DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT), "from_snapshot"),
            (VIR_DOMAIN_EVENT_RESUMED, Self.number(VIR_DOMAIN_EVENT_RESUMED_POSTCOPY), "postcopy"),
            (VIR_DOMAIN_EVENT_RESUMED, Self.number(VIR_DOMAIN_EVENT_RESUMED_POSTCOPY_FAILED), "postcopy_failed"),
            (VIR_DOMAIN_EVENT_STOPPED, Self.number(VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN), "shutdown"),
            (VIR_DOMAIN_EVENT_STOPPED, Self.number(VIR_DOMAIN_EVENT_STOPPED_DESTROYED), "destroyed"),
            (VIR_DOMAIN_EVENT_STOPPED, Self.number(VIR_DOMAIN_EVENT_STOPPED_CRASHED), "crashed"),
            (VIR_DOMAIN_EVENT_STOPPED, Self.number(VIR_DOMAIN_EVENT_STOPPED_MIGRATED), "migrated"),
            (VIR_DOMAIN_EVENT_STOPPED, Self.number(VIR_DOMAIN_EVENT_STOPPED_SAVED), "saved"),
            (VIR_DOMAIN_EVENT_STOPPED, Self.number(VIR_DOMAIN_EVENT_STOPPED_FAILED), "failed"),
            (VIR_DOMAIN_EVENT_STOPPED, Self.number(VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT), "from_snapshot"),
            (VIR_DOMAIN_EVENT_SHUTDOWN, Self.number(VIR_DOMAIN_EVENT_SHUTDOWN_FINISHED), "finished"),
            (VIR_DOMAIN_EVENT_SHUTDOWN, Self.number(VIR_DOMAIN_EVENT_SHUTDOWN_GUEST), "guest"),
            (VIR_DOMAIN_EVENT_SHUTDOWN, Self.number(VIR_DOMAIN_EVENT_SHUTDOWN_HOST), "host"),
            (VIR_DOMAIN_EVENT_PMSUSPENDED, Self.number(VIR_DOMAIN_EVENT_PMSUSPENDED_MEMORY), "memory"),
            (VIR_DOMAIN_EVENT_PMSUSPENDED, Self.number(VIR_DOMAIN_EVENT_PMSUSPENDED_DISK), "disk"),
            (VIR_DOMAIN_EVENT_CRASHED, Self.number(VIR_DOMAIN_EVENT_CRASHED_PANICKED), "panicked"),
            (VIR_DOMAIN_EVENT_CRASHED, Self.number(VIR_DOMAIN_EVENT_CRASHED_CRASHLOADED), "crashloaded"),
        ]
        let ref = DomainRef(uuid: "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0001", name: "vm")
        for (kind, detail, name) in details {
            let event = LifecycleEvent(domain: ref, kindCode: Self.number(kind), detailCode: detail, time: 0)
            #expect(event.detailName == name, "\(event.eventName) detail \(detail)")
        }
    }

    @Test func vcpuStates() {
        #expect(VCPUInfo.State.offline.rawValue == Self.number(VIR_VCPU_OFFLINE))
        #expect(VCPUInfo.State.running.rawValue == Self.number(VIR_VCPU_RUNNING))
        #expect(VCPUInfo.State.blocked.rawValue == Self.number(VIR_VCPU_BLOCKED))
        #expect(VCPUInfo.State.allCases.count == 3)
    }

    /// The Libvirt layer's own copy, handed to close callbacks.
    @Test func closeReasons() {
        let reasons: [(CloseReason, virConnectCloseReason)] = [
            (.error, VIR_CONNECT_CLOSE_REASON_ERROR), (.eof, VIR_CONNECT_CLOSE_REASON_EOF),
            (.keepalive, VIR_CONNECT_CLOSE_REASON_KEEPALIVE), (.client, VIR_CONNECT_CLOSE_REASON_CLIENT),
        ]
        for (reason, constant) in reasons {
            #expect(reason.rawValue == Self.number(constant), "\(reason)")
        }
    }
}
