import NIOCore
import NIOPosix

/// A thread of its own for the collector loop's tasks. Scrapes and API requests run on Swift's cooperative
/// pool, as many at once as clients send; sharing that pool, the collector waited behind them at every
/// `await`, and under 50 concurrent scrapers it made 13 of its 30 passes a minute (the scrape load test).
/// On its own thread the kernel's scheduler gives it its share whatever the request rate. Its libvirt
/// calls still run on the libvirt thread pool; only the collector's own work runs here.
final class CollectorExecutor: TaskExecutor {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let loop: any EventLoop

    init() {
        loop = group.next()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Once nothing runs on it any more.
    func shutdown() {
        group.shutdownGracefully { _ in }
    }
}
