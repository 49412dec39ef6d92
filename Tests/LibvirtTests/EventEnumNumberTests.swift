import CLibvirt
import KVMCore
import Testing

@testable import Libvirt

/// Pins KVMCore's copies of the enums the disk and job events carry to libvirt's C constants.
@Suite struct EventEnumNumberTests {
    static func number<T: RawRepresentable>(_ constant: T) -> Int where T.RawValue: BinaryInteger {
        Int(constant.rawValue)
    }

    @Test func ioErrorActions() {
        let actions: [(IOErrorAction, virDomainEventIOErrorAction)] = [
            (.none, VIR_DOMAIN_EVENT_IO_ERROR_NONE), (.pause, VIR_DOMAIN_EVENT_IO_ERROR_PAUSE),
            (.report, VIR_DOMAIN_EVENT_IO_ERROR_REPORT),
        ]
        for (action, constant) in actions { #expect(action.rawValue == Self.number(constant), "\(action)") }
    }

    @Test func watchdogActions() {
        let actions: [(WatchdogAction, virDomainEventWatchdogAction)] = [
            (.none, VIR_DOMAIN_EVENT_WATCHDOG_NONE), (.pause, VIR_DOMAIN_EVENT_WATCHDOG_PAUSE),
            (.reset, VIR_DOMAIN_EVENT_WATCHDOG_RESET), (.poweroff, VIR_DOMAIN_EVENT_WATCHDOG_POWEROFF),
            (.shutdown, VIR_DOMAIN_EVENT_WATCHDOG_SHUTDOWN), (.debug, VIR_DOMAIN_EVENT_WATCHDOG_DEBUG),
            (.injectNMI, VIR_DOMAIN_EVENT_WATCHDOG_INJECTNMI),
        ]
        for (action, constant) in actions { #expect(action.rawValue == Self.number(constant), "\(action)") }
        #expect(actions.count == WatchdogAction.allCases.count - 1, "every action but unknown")
    }

    @Test func jobOperationsAndTypes() {
        let operations: [(JobOperation, virDomainJobOperation)] = [
            (.unknown, VIR_DOMAIN_JOB_OPERATION_UNKNOWN), (.start, VIR_DOMAIN_JOB_OPERATION_START),
            (.save, VIR_DOMAIN_JOB_OPERATION_SAVE), (.restore, VIR_DOMAIN_JOB_OPERATION_RESTORE),
            (.migrationIn, VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN),
            (.migrationOut, VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT), (.snapshot, VIR_DOMAIN_JOB_OPERATION_SNAPSHOT),
            (.snapshotRevert, VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_REVERT), (.dump, VIR_DOMAIN_JOB_OPERATION_DUMP),
            (.backup, VIR_DOMAIN_JOB_OPERATION_BACKUP), (.snapshotDelete, VIR_DOMAIN_JOB_OPERATION_SNAPSHOT_DELETE),
        ]
        for (operation, constant) in operations {
            #expect(operation.rawValue == Self.number(constant), "\(operation)")
        }
        #expect(operations.count == JobOperation.allCases.count)
        #expect(JobProgress.JobType.bounded.rawValue == Self.number(VIR_DOMAIN_JOB_BOUNDED))
        #expect(JobProgress.JobType.unbounded.rawValue == Self.number(VIR_DOMAIN_JOB_UNBOUNDED))
    }

    /// The test driver accepts the registrations (it fires none of these events): connecting still works
    /// with them, and they go when the connection does.
    @Test func theEventsRegisterOnEveryDriver() throws {
        try LibvirtEventLoop.start()
        let connection = try Connection(uri: "test:///default")
        #expect(connection.onDomainEvents { _ in }.isEmpty, "the test driver knows every one")
        #expect(
            Connection.domainEventCallbacks.map(\.0)
                == [
                    VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD,
                    VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
                    VIR_DOMAIN_EVENT_ID_WATCHDOG, VIR_DOMAIN_EVENT_ID_REBOOT, VIR_DOMAIN_EVENT_ID_TUNABLE,
                    VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
                ].map { Int32($0.rawValue) })
    }
}
