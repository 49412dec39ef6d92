import KVMCore
import ServiceLifecycle

/// Runs the guest agent rounds beside the collector loop, on a thread of their own like the loop's (see
/// `CollectorExecutor`), so that a burst of scrapes on Swift's cooperative pool does not hold them up.
struct GuestAgentService: Service {
    let collector: GuestAgentCollector
    func run() async throws {
        let executor = CollectorExecutor()
        defer { executor.shutdown() }
        await withTaskExecutorPreference(executor) {
            await cancelWhenGracefulShutdown { await collector.run() }
        }
    }
}
