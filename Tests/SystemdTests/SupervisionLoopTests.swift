import Glibc
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import TestSupport
import Testing

@testable import Systemd

extension EnvironmentTests {
    /// Runs the loop against a real notify socket with a 200 ms watchdog (100 ms ping period). Absence is
    /// asserted over a window of several periods; presence with generous deadlines, so a slow machine only
    /// makes the tests slower.
    @Suite struct Supervision {
        static let watchdog: [String: String?] = ["WATCHDOG_USEC": "200000", "WATCHDOG_PID": String(getpid())]
        static let period: Duration = .milliseconds(100)
        static let patience: Duration = .seconds(10)

        @Test func readyThenPingsWhileHealthyThenStopping() async throws {
            let listener = try NotifyListener()
            try await withEnvironment(Self.watchdog.merging(["NOTIFY_SOCKET": listener.path]) { _, new in new }) {
                let gate = ReadinessSignal()
                let readyReturned = Shared(false)
                let healthy = Shared(true)
                let status = Shared("starting")
                let loop = SupervisionLoop(
                    notifier: try #require(ServiceNotifier.fromEnvironment()),
                    ready: {
                        await gate.wait()
                        readyReturned.set(true)
                    },
                    status: { status.get() }, isHealthy: { healthy.get() }, logger: Logger(label: "test"))
                #expect(loop.period == Self.period)

                try await testGracefulShutdown { trigger in
                    try await withThrowingTaskGroup { group in
                        group.addTask { await loop.run() }

                        let early = await listener.collect(for: Self.period * 3)
                        #expect(early.messages.isEmpty, "nothing may be sent before ready returns")

                        gate.signal()
                        let first = await listener.receive(before: .now + Self.patience)
                        #expect(first == "READY=1")
                        #expect(readyReturned.get(), "READY=1 only after the ready closure returned")

                        var pings = 0
                        let running = await listener.collect(for: Self.patience) { message in
                            if message == "WATCHDOG=1" { pings += 1 }
                            return pings == 3
                        }
                        #expect(running.stopped, "three pings while healthy; got \(running.messages)")
                        #expect(running.messages.filter { $0.hasPrefix("STATUS=") } == ["STATUS=starting"])

                        // Health flips before the status text, and the loop reads status before health: a tick
                        // that sends the new text also sees the flip, so once that text arrived no ping may follow.
                        healthy.set(false)
                        status.set("libvirt wedged")
                        let flipped = await listener.collect(for: Self.patience) { $0 == "STATUS=libvirt wedged" }
                        try #require(flipped.stopped)
                        let withheld = await listener.collect(for: Self.period * 5)
                        #expect(withheld.messages.isEmpty, "no pings while unhealthy: \(withheld.messages)")

                        status.set("libvirt still wedged")
                        let stillRunning = await listener.collect(for: Self.patience) {
                            $0 == "STATUS=libvirt still wedged"
                        }
                        #expect(stillRunning.stopped, "status keeps flowing while unhealthy")
                        #expect(!stillRunning.messages.contains("WATCHDOG=1"))

                        healthy.set(true)
                        let resumed = await listener.collect(for: Self.patience) { $0 == "WATCHDOG=1" }
                        #expect(resumed.stopped, "pings resume once healthy")

                        trigger.triggerGracefulShutdown()
                        let stopping = await listener.collect(for: Self.patience) { $0 == "STOPPING=1" }
                        #expect(stopping.stopped, "STOPPING=1 on graceful shutdown; got \(stopping.messages)")
                        try await group.waitForAll()
                    }
                }
            }
        }

        @Test func shutdownBeforeReadyOnlySaysStopping() async throws {
            let listener = try NotifyListener()
            try await withEnvironment(Self.watchdog.merging(["NOTIFY_SOCKET": listener.path]) { _, new in new }) {
                let loop = SupervisionLoop(
                    notifier: try #require(ServiceNotifier.fromEnvironment()),
                    ready: { await ReadinessSignal().wait() },
                    status: { "never" }, isHealthy: { true }, logger: Logger(label: "test"))
                try await testGracefulShutdown { trigger in
                    try await withThrowingTaskGroup { group in
                        group.addTask { await loop.run() }
                        trigger.triggerGracefulShutdown()
                        let received = await listener.collect(for: Self.patience) { $0 == "STOPPING=1" }
                        #expect(received.messages == ["STOPPING=1"])
                        try await group.waitForAll()
                    }
                }
            }
        }

        /// A new status line goes out within the status period, not at the next watchdog ping: with the unit's
        /// WatchdogSec=30s a started guest would otherwise show in `systemctl status` 15 s late.
        @Test func statusFollowsChangesBetweenPings() async throws {
            let listener = try NotifyListener()
            let slowWatchdog: [String: String?] = ["WATCHDOG_USEC": "60000000", "WATCHDOG_PID": String(getpid())]
            try await withEnvironment(slowWatchdog.merging(["NOTIFY_SOCKET": listener.path]) { _, new in new }) {
                let status = Shared("0 of 0 domains running")
                let loop = SupervisionLoop(
                    notifier: try #require(ServiceNotifier.fromEnvironment()), statusPeriod: Self.period,
                    ready: {}, status: { status.get() }, isHealthy: { true }, logger: Logger(label: "test"))
                #expect(loop.period == .seconds(30))
                try await testGracefulShutdown { trigger in
                    try await withThrowingTaskGroup { group in
                        group.addTask { await loop.run() }
                        let first = await listener.collect(for: Self.patience) { $0 == "WATCHDOG=1" }
                        try #require(first.stopped, "the first ping comes at once; got \(first.messages)")
                        status.set("1 of 1 domains running")
                        let changed = await listener.collect(for: Self.patience) {
                            $0 == "STATUS=1 of 1 domains running"
                        }
                        #expect(changed.stopped, "the new line within the status period; got \(changed.messages)")
                        #expect(!changed.messages.contains("WATCHDOG=1"), "no ping before the 30 s period")
                        trigger.triggerGracefulShutdown()
                        try await group.waitForAll()
                    }
                }
            }
        }

        @Test func periodWithoutWatchdogIsTheDefault() async throws {
            await withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                let loop = SupervisionLoop(
                    notifier: ServiceNotifier(socket: "/nonexistent"), ready: {}, status: { "" }, isHealthy: { true },
                    logger: Logger(label: "test"))
                #expect(loop.period == .seconds(10))
                let explicit = SupervisionLoop(
                    notifier: ServiceNotifier(socket: "/nonexistent"), period: .seconds(3), ready: {}, status: { "" },
                    isHealthy: { true }, logger: Logger(label: "test"))
                #expect(explicit.period == .seconds(3))
            }
        }
    }
}

@Suite struct ReadinessSignalTests {
    @Test func waitersWakeOnSignal() async {
        let signal = ReadinessSignal()
        #expect(!signal.isSignalled)
        await withTaskGroup { group in
            for _ in 0..<3 { group.addTask { await signal.wait() } }
            signal.signal()
            await group.waitForAll()
        }
        #expect(signal.isSignalled)
        await signal.wait()  // Already signalled: returns at once rather than hanging the test.
    }

    @Test func cancellationEndsTheWait() async {
        let signal = ReadinessSignal()
        let waiter = Task { await signal.wait() }
        waiter.cancel()
        await waiter.value
        #expect(!signal.isSignalled)
    }
}
