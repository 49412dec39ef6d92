import LibvirtHypervisor
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// The libvirt thread pool must outlive every service that calls into it: a service group stops services
/// last-listed first, and a pool stopped before its users fails their last calls.
@Suite struct ThreadPoolServiceTests {
    /// A pool user that makes one more call once asked to shut down, as the collector's last pass and the
    /// connection supervisor's close do.
    final class LastCallOnShutdown: Service {
        let pool: NIOThreadPool
        let running: AsyncStream<Void>.Continuation
        private let outcome = Mutex<Result<Int, any Error>?>(nil)

        init(pool: NIOThreadPool, running: AsyncStream<Void>.Continuation) {
            self.pool = pool
            self.running = running
        }

        var lastCall: Result<Int, any Error>? { outcome.withLock { $0 } }

        func run() async throws {
            running.yield()
            try? await gracefulShutdown()
            let result: Result<Int, any Error>
            do {
                result = .success(try await pool.runIfActive { 42 })
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
        }
    }

    /// Like the HTTP server, which Hummingbird lists after the application's own services.
    struct UntilShutdown: Service {
        func run() async throws { try? await gracefulShutdown() }
    }

    @Test func usersMakeTheirLastCallsBeforeThePoolStops() async throws {
        var logger = Logger(label: "kvm-agent.test")
        logger.logLevel = .critical
        let pool = NIOThreadPool(numberOfThreads: 1)
        let (running, runningSink) = AsyncStream.makeStream(of: Void.self)
        let users = [
            LastCallOnShutdown(pool: pool, running: runningSink), LastCallOnShutdown(pool: pool, running: runningSink),
        ]
        let group = ServiceGroup(
            services: [ThreadPoolService(pool: pool, users: users, logger: logger), UntilShutdown()], logger: logger)

        let finished = try await group.runAndShutDown(once: {
            var started = 0
            for await _ in running {
                started += 1
                if started == users.count { break }
            }
        })

        #expect(finished, "the group started and shut down within 30 s")
        for user in users {
            switch user.lastCall {
            case .success(let value)?: #expect(value == 42)
            case .failure(let error)?: Issue.record("the last call failed, the pool had stopped: \(error)")
            case nil: Issue.record("no last call was made")
            }
        }
    }
}
