import Glibc
import TestSupport
import Testing

@testable import Systemd

/// Every test that reads or changes environment variables (NOTIFY_SOCKET, WATCHDOG_*, JOURNAL_STREAM) lives in
/// here: the environment is process-global, and `.serialized` applies to the nested suites too.
@Suite(.serialized) struct EnvironmentTests {}

extension EnvironmentTests {
    @Suite struct Notifier {
        @Test func absentWithoutNotifySocket() async {
            await withEnvironment(["NOTIFY_SOCKET": nil]) {
                #expect(ServiceNotifier.fromEnvironment() == nil)
            }
            await withEnvironment(["NOTIFY_SOCKET": ""]) {
                #expect(ServiceNotifier.fromEnvironment() == nil)
            }
        }

        @Test func sendsEachStateAsADatagram() async throws {
            let listener = try NotifyListener()
            try await withEnvironment(["NOTIFY_SOCKET": listener.path]) {
                let notifier = try #require(ServiceNotifier.fromEnvironment())
                #expect(notifier.socket == listener.path)
                try notifier.ready()
                try notifier.status("collecting 3 domains")
                try notifier.watchdog()
                try notifier.stopping()
                let received = await listener.collect(for: .seconds(5)) { $0 == "STOPPING=1" }
                #expect(received.messages == ["READY=1", "STATUS=collecting 3 domains", "WATCHDOG=1", "STOPPING=1"])
            }
        }

        @Test func statusIsOneLine() async throws {
            let listener = try NotifyListener()
            try await withEnvironment(["NOTIFY_SOCKET": listener.path]) {
                let notifier = try #require(ServiceNotifier.fromEnvironment())
                try notifier.status("  libvirt down\nREADY=1\r\n\tretrying  ")
                let message = await listener.receive(before: .now + .seconds(5))
                #expect(message == "STATUS=libvirt down READY=1 retrying")
            }
        }

        @Test func failuresCarryTheOperationAndErrno() async throws {
            let listener = try NotifyListener()
            try await withEnvironment(["NOTIFY_SOCKET": listener.directory + "/nobody-listens"]) {
                let notifier = try #require(ServiceNotifier.fromEnvironment())
                let missing = SystemdError.failed(
                    operation: "sd_notify", errno: ENOENT, message: "No such file or directory")
                #expect(throws: missing) { try notifier.ready() }
            }
            let notifier = ServiceNotifier(socket: listener.path)
            await withEnvironment(["NOTIFY_SOCKET": nil]) {
                #expect(throws: SystemdError.notAvailable(reason: "NOTIFY_SOCKET is no longer set")) {
                    try notifier.watchdog()
                }
            }
        }
    }

    @Suite struct Watchdog {
        @Test func intervalIsHalfTheTimeout() async {
            await withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(getpid())]) {
                #expect(ServiceNotifier.watchdogInterval() == .seconds(1))
            }
            await withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": nil]) {
                #expect(ServiceNotifier.watchdogInterval() == .seconds(1))
            }
        }

        @Test func absentWhenOffOrMeantForAnotherProcess() async {
            await withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                #expect(ServiceNotifier.watchdogInterval() == nil)
            }
            await withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(getpid() + 1)]) {
                #expect(ServiceNotifier.watchdogInterval() == nil)
            }
            await withEnvironment(["WATCHDOG_USEC": "soon", "WATCHDOG_PID": nil]) {
                #expect(ServiceNotifier.watchdogInterval() == nil)
            }
        }
    }

    @Suite struct JournalStream {
        @Test func falseWhenUnsetOrMalformed() async {
            for value in [nil, "", "12", "a:b", "1:2:3"] as [String?] {
                await withEnvironment(["JOURNAL_STREAM": value]) {
                    #expect(!JournalLogHandler.isJournalStream(), "JOURNAL_STREAM=\(value ?? "unset")")
                }
            }
        }

        @Test func matchesOnlyStderrsDeviceAndInode() async throws {
            var info = stat()
            try #require(fstat(STDERR_FILENO, &info) == 0)
            await withEnvironment(["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]) {
                #expect(JournalLogHandler.isJournalStream())
            }
            await withEnvironment(["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]) {
                #expect(!JournalLogHandler.isJournalStream())
            }
            await withEnvironment(["JOURNAL_STREAM": "\(info.st_dev + 1):\(info.st_ino)"]) {
                #expect(!JournalLogHandler.isJournalStream())
            }
        }
    }
}
