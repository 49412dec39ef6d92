import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes the connection after a response that was sent before its request had been received in full (a 413,
/// or a 401 answered from the headers alone), and after any response that says `Connection: close`.
///
/// Written because Hummingbird would otherwise keep the connection: after the responder returns it reads and
/// discards the rest of the request body, however long the client keeps sending, and it looks for
/// `Connection: close` only on the request. Here such a response gets `Connection: close`; once it is flushed
/// the sending side is shut down, so the client sees the end at once, and the connection is closed after
/// `linger`, which leaves the client time to read the response before unread data would make the kernel answer
/// with a reset (Go's server does the same, for 500 ms). Two seconds, because 500 ms was seen to be too short
/// for curl on a loaded 2-core machine: it was still sending a 1 MiB body, got the reset and lost the 413.
/// The cost is a connection held two seconds longer, and those count against the connection caps.
final class CloseAfterUnreadBody: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var requestsEnded = 0
    private var responsesStarted = 0
    private var closeAfterResponse = false
    private let linger: TimeAmount

    init(linger: TimeAmount = .seconds(2)) {
        self.linger = linger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = self.unwrapInboundIn(data) { self.requestsEnded += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(var response) where response.status.kind != .informational:
            self.responsesStarted += 1
            let unread = self.requestsEnded < self.responsesStarted
            let asked = response.headerFields[.connection]?.lowercased() == "close"
            guard unread || asked else { break }
            self.closeAfterResponse = true
            response.headerFields[.connection] = "close"
            context.write(self.wrapOutboundOut(.head(response)), promise: promise)
            return
        case .end where self.closeAfterResponse:
            context.writeAndFlush(data, promise: promise)
            self.shutDown(context)
            return
        default:
            break
        }
        context.write(data, promise: promise)
    }

    private func shutDown(_ context: ChannelHandlerContext) {
        let channel = context.channel
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: outputClosed)
        // A transport without half-closure (EmbeddedChannel, some TLS setups) is closed at once instead.
        outputClosed.futureResult.whenFailure { _ in channel.close(promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: self.linger) {
            channel.close(promise: nil)
        }
    }
}
