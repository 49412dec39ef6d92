import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request head is not complete within `timeout` of the accept, or of the first bytes
/// that follow the previous response (Go's `ReadHeaderTimeout`).
///
/// Written because Hummingbird has one timer for both waits: `HTTP1Channel.Configuration.idleTimeout` restarts
/// whenever a whole HTTP part is decoded, so a head trickled a byte at a time is bounded only by the idle
/// timeout, which must be long for keep-alive scrapers. Sits behind the HTTP decoder: it sees decoded heads, and
/// `channelReadComplete` (which the decoder forwards for every socket read, decoded or not) tells it that bytes
/// of the next request have begun to arrive.
///
/// It also holds back a graceful shutdown's `ChannelShouldQuiesceEvent` while a head is awaited. Hummingbird closes
/// a connection with no request in progress at once on that event, and a connection accepted a moment before the
/// shutdown, whose request is still in the socket buffer, counts as one: its client got a reset instead of an
/// answer. With systemd holding the listening socket through a restart, that was the one refused scrape. Held, the
/// event follows the head, so the request is answered and the connection closed after it. A request already sent
/// arrives within milliseconds, so the hold lasts at most `shutdownGrace` (or the deadline, if sooner): a client
/// that connects and says nothing cannot hold a stop for the whole head timeout. A keep-alive connection between
/// requests is closed at once, as before: a client reusing it retries on a new one.
final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// Since accept or since bytes of a new request arrived: the timer runs.
        case awaitingHead
        /// Heads received outnumber responses finished.
        case inRequest
        /// Every request answered; the idle timeout governs until bytes arrive.
        case betweenRequests
    }

    private var state = State.awaitingHead
    private var headsReceived = 0
    private var responsesEnded = 0
    private var timer: Scheduled<Void>?
    /// When the timer fires; nil while none runs.
    private var deadline: NIODeadline?
    private var quiesceHeld = false
    private let timeout: TimeAmount
    private let shutdownGrace: TimeAmount
    private let timedOut: @Sendable () -> Void

    init(
        timeout: TimeAmount, shutdownGrace: TimeAmount = .seconds(2), timedOut: @escaping @Sendable () -> Void = {}
    ) {
        self.timeout = timeout
        self.shutdownGrace = shutdownGrace
        self.timedOut = timedOut
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.disarm()
        self.passHeldQuiesce(context)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.disarm()
        self.quiesceHeld = false
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = self.unwrapInboundIn(data) {
            self.headsReceived += 1
            self.state = .inRequest
            self.disarm()
            context.fireChannelRead(data)
            self.passHeldQuiesce(context)
            return
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, self.state == .awaitingHead {
            self.quiesceHeld = true
            let grace = context.eventLoop.now + self.shutdownGrace
            if (self.deadline ?? .distantFuture) > grace {
                self.disarm()
                self.schedule(context, at: grace, counted: false)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.state == .betweenRequests {
            self.state = .awaitingHead
            self.arm(context)
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) {
            self.responsesEnded += 1
            if self.responsesEnded >= self.headsReceived { self.state = .betweenRequests }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard self.state == .awaitingHead, self.timer == nil else { return }
        self.schedule(context, at: context.eventLoop.now + self.timeout, counted: true)
    }

    /// Closes the connection at `deadline` if no head has come by then; `counted` as a head timeout, or not (the
    /// end of a stop's grace).
    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline, counted: Bool) {
        self.deadline = deadline
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            self.deadline = nil
            guard self.state == .awaitingHead else { return }
            if counted { self.timedOut() }
            context.close(promise: nil)
        }
    }

    private func disarm() {
        self.timer?.cancel()
        self.timer = nil
        self.deadline = nil
    }

    /// A quiesce event held back while a head was awaited goes on to Hummingbird's handler.
    private func passHeldQuiesce(_ context: ChannelHandlerContext) {
        guard self.quiesceHeld else { return }
        self.quiesceHeld = false
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
