import NIOCore
import Synchronization

/// Stops the listeners on a graceful shutdown without dropping a connection they accepted.
///
/// An accepted connection reaches the accept loop only once its handlers are set up, on its own event loop. NIO's
/// async server channel drops (and so closes, with the request unread: a reset) every connection still being set
/// up when the listening channel closes, and closing it is the first thing `ServerQuiescingHelper` does. Behind a
/// systemd socket, where the kernel keeps queueing connections through a restart, this was the one scrape in
/// several hundred that a restart lost. So the drain first stops accepting, waits until every connection accepted
/// so far has been handed to the accept loop or has closed (bounded by a deadline), and only then quiesces.
final class ListenerDrain: Sendable {
    private struct State {
        var settling: Set<ObjectIdentifier> = []
        var whenSettled: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// For the listening channel's pipeline, ahead of NIO's accept handler: notes each connection as it is
    /// accepted, and stops accepting when told.
    func acceptedChannelsHandler() -> some ChannelHandler { AcceptedChannels(drain: self) }

    fileprivate func accepted(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { _ = $0.settling.insert(id) }
        // One that closes before it is handed over (refused by a cap, failed set-up) needs no waiting for.
        channel.closeFuture.whenComplete { _ in self.settled(id) }
    }

    /// The accept loop has the connection on `channel`.
    func handedOver(_ channel: any Channel) {
        settled(ObjectIdentifier(channel))
    }

    private func settled(_ id: ObjectIdentifier) {
        let run = state.withLock { state -> (@Sendable () -> Void)? in
            state.settling.remove(id)
            guard state.settling.isEmpty, let run = state.whenSettled else { return nil }
            state.whenSettled = nil
            return run
        }
        run?()
    }

    /// Stops `listeners` accepting, then calls `quiesce` once every connection already accepted is handed over, or
    /// after `deadline` if one never is.
    func stop(
        _ listeners: [any Channel], deadline: TimeAmount, then quiesce: @escaping @Sendable () -> Void
    ) {
        guard let loop = listeners.first?.eventLoop else { return quiesce() }
        // Whichever comes first, the last hand-over or the deadline, takes it: it runs once.
        let pending = Mutex<(@Sendable () -> Void)?>(quiesce)
        let deadlineTask = loop.scheduleTask(in: deadline) { pending.withLock { $0.take() }?() }
        let run: @Sendable () -> Void = {
            deadlineTask.cancel()
            pending.withLock { $0.take() }?()
        }
        let stopped = listeners.map { $0.triggerUserOutboundEvent(StopAccepting()) }
        EventLoopFuture.whenAllComplete(stopped, on: loop).whenComplete { _ in
            let now = self.state.withLock { state -> Bool in
                if state.settling.isEmpty { return true }
                state.whenSettled = run
                return false
            }
            if now { run() }
        }
    }
}

/// Tells a listening channel's ``AcceptedChannels`` to accept no more.
struct StopAccepting {}

/// Records accepted connections for the drain and, once stopped, accepts no more. Turning `autoRead` off is not
/// enough: a read asked for later by a handler behind this one (NIO's back-pressure on the accept loop, its accept
/// back-off) would start accepting again, so no read passes here once stopped; and ``AcceptPause``, ahead of it,
/// switches `autoRead` back on after its pause, which reads without passing here, so it is removed (which cancels
/// its pending resume).
private final class AcceptedChannels: ChannelDuplexHandler {
    typealias InboundIn = any Channel
    typealias OutboundIn = Never

    let drain: ListenerDrain
    private var stopped = false

    init(drain: ListenerDrain) {
        self.drain = drain
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        drain.accepted(self.unwrapInboundIn(data))
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if !stopped { context.read() }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is StopAccepting else { return context.triggerUserOutboundEvent(event, promise: promise) }
        stopped = true
        let pipeline = context.pipeline.syncOperations
        if let pause = try? pipeline.handler(type: AcceptPause.self) { pipeline.removeHandler(pause, promise: nil) }
        // Also drops the read that is pending, so the socket is no longer watched for connections.
        context.channel.setOption(ChannelOptions.autoRead, value: false).cascade(to: promise)
    }
}
