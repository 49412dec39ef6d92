import KVMCore
import Logging
import Synchronization
import Testing

@testable import Agent

/// A guest retrying against a full disk sends an I/O error event per failed request: the journal gets the
/// 1st, 10th, 100th, … as warnings, not every one.
@Suite struct DomainEventLogTests {
    final class Levels: LogHandler, @unchecked Sendable {
        // Mutated only through `seen`, a Mutex; the other fields are LogHandler's settings, unused here.
        let seen = Mutex<[(Logger.Level, String)]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            seen.withLock { $0.append((event.level, event.metadata?["count"]?.description ?? "")) }
        }
    }

    @Test func aStormOfIOErrorsWarnsOnPowersOfTen() {
        let handler = Levels()
        let logger = Logger(label: "test") { _ in handler }
        let store = InventoryStore()
        let ref = DomainRef(uuid: "00000000-0000-4000-8000-000000000001", name: "db")
        for _ in 0..<150 {
            let event = DomainEvent(
                domain: ref,
                kind: .ioError(
                    .init(sourcePath: "/srv/db.img", deviceAlias: "virtio-disk1", actionCode: 2, reason: "")),
                time: 1)
            DomainEventLog.log(event, count: store.applyDomainEvent(event), to: logger)
        }
        let warnings = handler.seen.withLock { $0.filter { $0.0 == .warning }.map(\.1) }
        #expect(warnings == ["1", "10", "100"])
        #expect(handler.seen.withLock { $0.count } == 150, "the rest at debug level")
        #expect(
            DomainEventLog.isPowerOfTen(1000) && !DomainEventLog.isPowerOfTen(0) && !DomainEventLog.isPowerOfTen(11))
    }
}
