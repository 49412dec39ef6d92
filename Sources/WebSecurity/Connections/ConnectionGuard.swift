import HummingbirdCore
import Logging
import NIOCore

/// The server's defences against clients that hold connections: the caps on open connections, the request head
/// deadline, the idle timeout and closing after an unread body. `ServerConfiguration.availableConnectionsDelegate`
/// is not used for the caps: it stops accepting, so connections queue in the kernel's backlog and a well-behaved
/// scraper waits behind the flood. Here every connection is accepted and one over a cap is closed at once,
/// before any handler is set up for it.
public struct ConnectionGuard: Sendable {
    public let limits: ConnectionLimits
    public let table: ConnectionTable
    let rejected: @Sendable (ConnectionTable.Rejection) -> Void
    let headerTimedOut: @Sendable () -> Void
    let drained: @Sendable () -> Void

    /// - Parameters:
    ///   - rejected: Called for each connection closed for a cap (on an event loop: keep it cheap).
    ///   - headerTimedOut: Called for each connection closed because its request head came too slowly.
    ///   - drained: Called when a burst of connections has closed (see ``ConnectionTable/release(client:)``).
    public init(
        limits: ConnectionLimits, rejected: @escaping @Sendable (ConnectionTable.Rejection) -> Void = { _ in },
        headerTimedOut: @escaping @Sendable () -> Void = {}, drained: @escaping @Sendable () -> Void = {}
    ) {
        self.limits = limits
        self.table = ConnectionTable(
            maxConnections: limits.maxConnections, maxConnectionsPerClient: limits.maxConnectionsPerClient)
        self.rejected = rejected
        self.headerTimedOut = headerTimedOut
        self.drained = drained
    }

    /// `configuration` with the idle timeout set and this guard's HTTP handlers added.
    public func configuring(_ configuration: HTTP1Channel.Configuration) -> HTTP1Channel.Configuration {
        var configuration = configuration
        let others = configuration.additionalChannelHandlers
        let headerTimeout = TimeAmount(limits.readHeaderTimeout)
        let headerTimedOut = self.headerTimedOut
        configuration.additionalChannelHandlers = {
            others() + [RequestHeadDeadline(timeout: headerTimeout, timedOut: headerTimedOut), CloseAfterUnreadBody()]
        }
        configuration.idleTimeout = TimeAmount(limits.idleTimeout)
        return configuration
    }

    /// `base` behind the connection caps.
    public func guarding<Base: ServerChildChannel>(_ base: Base) -> any ServerChildChannel {
        CappedChannel(base: base, table: table, rejected: rejected, drained: drained)
    }
}

/// Admits a connection under the caps of `table` before `base` sets it up, and counts it out when it closes.
struct CappedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    struct Rejected: Error {
        let reason: ConnectionTable.Rejection
    }

    let base: Base
    let table: ConnectionTable
    let rejected: @Sendable (ConnectionTable.Rejection) -> Void
    let drained: @Sendable () -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // Unix-socket peers have no address; they count as one client.
        let client = channel.remoteAddress?.ipAddress ?? "local"
        if let reason = table.admit(client: client) {
            rejected(reason)
            channel.close(promise: nil)
            // A failed setup hands nothing to the server: no handler is added and no task started.
            return channel.eventLoop.makeFailedFuture(Rejected(reason: reason))
        }
        let table = self.table
        let drained = self.drained
        channel.closeFuture.whenComplete { _ in
            if table.release(client: client) { drained() }
        }
        return base.setup(channel: channel, logger: logger).flatMapErrorThrowing { error in
            channel.close(promise: nil)
            throw error
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
