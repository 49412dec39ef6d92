import KVMCore
import LibvirtHypervisor
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

/// The supervisor on the test driver, run as the agent runs it: inside the pool's service.
@Suite struct ConnectionSupervisorTests {
    /// Keeps every record's level and message.
    struct RecordingLogHandler: LogHandler {
        final class Records: Sendable {
            let entries = Mutex<[(Logger.Level, String)]>([])
        }

        let records: Records
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            records.entries.withLock { $0.append((event.level, event.message.description)) }
        }
    }

    @Test func stoppingIsNotReportedAsALostConnection() async throws {
        let records = RecordingLogHandler.Records()
        let logger = Logger(label: "kvm-agent.test") { _ in RecordingLogHandler(records: records) }
        let pool = NIOThreadPool(numberOfThreads: 2)
        let store = InventoryStore()
        let (connected, connectedSink) = AsyncStream.makeStream(of: Void.self)
        let disconnects = Mutex(0)
        let supervisor = ConnectionSupervisor(
            uri: TestHosts.demoURI, hypervisor: LibvirtHypervisor(pool: pool), store: store,
            hooks: .init(
                lifecycleEvent: { _ in }, connected: { _ in connectedSink.yield() },
                disconnected: { _ in disconnects.withLock { $0 += 1 } }),
            logger: logger)
        let group = ServiceGroup(
            services: [ThreadPoolService(pool: pool, users: [supervisor], logger: logger)], logger: logger)

        let stopped = try await group.runAndShutDown(once: {
            for await _ in connected { break }
        })

        #expect(stopped, "connected and stopped within 30 s")
        let entries = records.entries.withLock { $0 }
        #expect(entries.contains { $0.1 == "connected to libvirt" })
        #expect(!entries.contains { $0.0 >= .warning }, "\(entries.filter { $0.0 >= .warning })")
        #expect(disconnects.withLock { $0 } == 0)
    }
}
