import Logging
import NIOPosix
import ServiceLifecycle

/// Runs the libvirt thread pool together with the services that call into it, so that the pool outlives
/// every one of them. A service group stops its services last-listed first: with the pool as a sibling of
/// its users, one order stops it under them and their last calls fail. Here the users run in a group of
/// their own, inside this service, and the pool shuts down only once that group has returned.
public struct ThreadPoolService: Service {
    let pool: NIOThreadPool
    let users: [any Service]
    let logger: Logger

    /// `pool` must not have been started: it starts when this service runs and shuts down when it ends.
    public init(pool: NIOThreadPool, users: [any Service], logger: Logger) {
        self.pool = pool
        self.users = users
        self.logger = logger
    }

    public func run() async throws {
        pool.start()
        // Threads stuck in a libvirt call are not waited for: a hung qemu must not hold up the agent's exit.
        defer { pool.shutdownGracefully { _ in } }
        // The group follows this service's graceful shutdown and stops the users last-listed first.
        try await ServiceGroup(services: users, logger: logger).run()
    }
}
