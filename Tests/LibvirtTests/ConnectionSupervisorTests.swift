import Glibc
import KVMCore
import Libvirt
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import LibvirtHypervisor

/// The supervisor on the test driver, run as the agent runs it: inside the pool's service.
@Suite struct ConnectionSupervisorTests {
    /// Keeps every record's level and message.
    struct RecordingLogHandler: LogHandler {
        final class Records: Sendable {
            let entries = Mutex<[(Logger.Level, String)]>([])
            let metadata = Mutex<[String: Logger.Metadata]>([:])
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
            records.metadata.withLock { $0[event.message.description] = event.metadata ?? [:] }
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

    static let refusal = LibvirtError(
        code: .authUnavailable, domain: LibvirtError.Origin.polkit,
        message: "authentication unavailable: no polkit agent available to authenticate action "
            + "'org.libvirt.unix.manage'",
        operation: "virConnectOpen")

    static func unreachable(_ detail: String) -> LibvirtError {
        LibvirtError(
            code: .systemError, domain: LibvirtError.Origin.rpc,
            message: "Failed to connect socket to '/run/libvirt/libvirt-sock': \(detail)", operation: "virConnectOpen",
            systemErrno: ECONNREFUSED)
    }

    /// Runs a supervisor on the demo host whose first attempts fail with `failures`, one each, until it has
    /// connected once; returns the log and the state the store showed before each attempt and once connected.
    static func connect(
        after failures: [LibvirtError]
    ) async throws -> (
        entries: [(Logger.Level, String)], metadata: [String: Logger.Metadata], seen: [LibvirtConnectionState],
        failed: [ConnectionFailure.Kind]
    ) {
        let records = RecordingLogHandler.Records()
        let logger = Logger(label: "kvm-agent.test") { _ in RecordingLogHandler(records: records) }
        let pool = NIOThreadPool(numberOfThreads: 2)
        let store = InventoryStore()
        let attempts = Mutex(0)
        let seen = Mutex<[LibvirtConnectionState]>([])
        let failed = Mutex<[ConnectionFailure.Kind]>([])
        let (connected, connectedSink) = AsyncStream.makeStream(of: Void.self)
        let supervisor = ConnectionSupervisor(
            uri: TestHosts.demoURI, hypervisor: LibvirtHypervisor(pool: pool), store: store,
            hooks: .init(
                lifecycleEvent: { _ in },
                connected: { _ in
                    seen.withLock { $0.append(store.snapshot().connectionState) }
                    connectedSink.yield()
                }, disconnected: { _ in }, connectFailed: { kind in failed.withLock { $0.append(kind) } }),
            logger: logger, firstRetry: .milliseconds(1), maximumRetry: .milliseconds(5), connectTimeout: .seconds(30),
            user: "kvm-agent",
            attempt: { supervisor, closed in
                seen.withLock { $0.append(store.snapshot().connectionState) }
                let attempt = attempts.withLock { attempt in
                    defer { attempt += 1 }
                    return attempt
                }
                if attempt < failures.count { throw failures[attempt] }
                return try await supervisor.open(closed: closed)
            })
        let group = ServiceGroup(
            services: [ThreadPoolService(pool: pool, users: [supervisor], logger: logger)], logger: logger)
        let stopped = try await group.runAndShutDown(once: {
            for await _ in connected { break }
        })
        #expect(stopped, "connected and stopped within 30 s")
        return (
            records.entries.withLock { $0 }, records.metadata.withLock { $0 }, seen.withLock { $0 },
            failed.withLock { $0 }
        )
    }

    /// Issue 15: a refusal is logged once, saying what to do, however often the agent retries and however
    /// libvirt words it; the connection that follows access being granted says it ends a refusal.
    @Test func aRefusalIsOneWarningThatSaysWhatToDo() async throws {
        let socketMode = LibvirtError(
            code: .systemError, domain: LibvirtError.Origin.rpc,
            message: "Failed to connect socket to '/run/libvirt/libvirt-sock': Permission denied",
            operation: "virConnectOpen", systemErrno: EACCES)
        var later = Self.refusal
        later.message += " (pid 4242)"
        let (entries, metadata, seen, failed) = try await Self.connect(after: [
            Self.refusal, later, socketMode, Self.refusal,
        ])
        #expect(failed == Array(repeating: .permissionDenied, count: 4), "every attempt counted, logged or not")

        let warnings = entries.filter { $0.0 >= .warning }
        #expect(warnings.count == 1, "\(warnings)")
        let warning = try #require(warnings.first?.1)
        #expect(warning.hasPrefix("libvirt refuses user kvm-agent"), "\(warning)")
        #expect(warning.contains("/usr/share/polkit-1/rules.d/60-kvm-agent.rules"), "\(warning)")
        #expect(warning.contains("org.libvirt.unix.manage"), "\(warning)")
        #expect(warning.contains("`adduser kvm-agent libvirt`"), "\(warning)")
        #expect(!warning.contains("\n"))
        #expect(metadata[warning]?["error"]?.description.contains("no polkit agent available") == true)
        #expect(metadata["connected to libvirt"]?["after"] == "permission denied")
        // Before each attempt: nothing tried, then the refusal, in libvirt's latest words; then connected, with
        // no collector pass yet.
        #expect(seen.count == 6)
        #expect(seen.first == .connecting)
        #expect(seen.last == .collecting)
        guard case .permissionDenied(let failure) = seen.dropLast().last else {
            Issue.record("not refused before access was granted: \(seen)")
            return
        }
        #expect(failure.reason == Self.refusal.message)
    }

    /// A change of kind is worth a warning each time; a change of wording is not.
    @Test func eachChangeOfKindIsOneWarning() async throws {
        let (entries, metadata, _, _) = try await Self.connect(after: [
            Self.unreachable("Connection refused"), Self.unreachable("No such file or directory"), Self.refusal,
            Self.refusal, Self.unreachable("Connection refused"),
        ])
        let warnings = entries.filter { $0.0 >= .warning }.map(\.1)
        #expect(warnings.count == 3, "\(warnings)")
        #expect(warnings.first == "cannot connect to libvirt, retrying with backoff")
        #expect(warnings.dropFirst().first?.hasPrefix("libvirt refuses user kvm-agent") == true)
        #expect(warnings.last == "cannot connect to libvirt, retrying with backoff")
        #expect(metadata["connected to libvirt"]?["after"] == nil, "the last failure was no refusal")
    }
}
