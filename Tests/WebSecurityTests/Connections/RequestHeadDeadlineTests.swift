import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Synchronization
import Testing

@testable import WebSecurity

@Suite struct RequestHeadDeadlineTests {
    static let head = HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: "a", path: "/metrics"))

    static func connected(
        timeout: TimeAmount = .seconds(10), behind: (any ChannelHandler)? = nil
    ) throws -> (EmbeddedChannel, Counter) {
        let timeouts = Counter()
        let channel = EmbeddedChannel(
            handlers: [RequestHeadDeadline(timeout: timeout, timedOut: { timeouts.add() })]
                + (behind.map { [$0] } ?? []))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, timeouts)
    }

    @Test func closesWhenNoHeadArrivesAfterAccept() throws {
        let (channel, timeouts) = try Self.connected()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(timeouts.value == 1)
    }

    @Test func aHeadInTimeStopsTheDeadline() throws {
        let (channel, timeouts) = try Self.connected()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try channel.writeInbound(Self.head)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        #expect(timeouts.value == 0)
        _ = try channel.finish()
    }

    @Test func betweenRequestsTheDeadlineWaitsForTheFirstByte() throws {
        let (channel, timeouts) = try Self.connected()
        try channel.writeInbound(Self.head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        // Idle: the idle timeout's business, not this handler's.
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(channel.isActive)
        // Bytes of the next request arrive (a read that decodes to nothing yet): the deadline starts.
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        // More bytes do not restart it.
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(timeouts.value == 1)
    }

    @Test func aPipelinedHeadIsNotTimedOutWhileEarlierOnesAreAnswered() throws {
        let (channel, timeouts) = try Self.connected()
        try channel.writeInbound(Self.head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeInbound(Self.head)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        #expect(channel.isActive)
        #expect(timeouts.value == 0)
        _ = try channel.finish()
    }
}

extension RequestHeadDeadlineTests {
    /// A graceful shutdown that begins between the accept and the request head: the request is answered first.
    @Test func aQuiesceBeforeTheHeadFollowsTheHead() throws {
        let seen = Seen()
        let (channel, timeouts) = try Self.connected(behind: seen)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(seen.order.isEmpty)
        try channel.writeInbound(Self.head)
        #expect(seen.order == ["head", "quiesce"])
        #expect(channel.isActive)
        #expect(timeouts.value == 0)
        _ = try channel.finish()
    }

    @Test func aQuiesceBetweenRequestsPassesAtOnce() throws {
        let seen = Seen()
        let (channel, _) = try Self.connected(behind: seen)
        try channel.writeInbound(Self.head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(seen.order == ["head", "end", "quiesce"])
        _ = try channel.finish()
    }

    @Test func aQuiesceDuringARequestPassesAtOnce() throws {
        let seen = Seen()
        let (channel, _) = try Self.connected(behind: seen)
        try channel.writeInbound(Self.head)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(seen.order == ["head", "quiesce"])
        _ = try channel.finish()
    }

    /// How long a held quiesce lasts for a client that connected and never sends.
    struct Hold: Sendable, CustomTestStringConvertible {
        let timeout: TimeAmount
        /// From the accept to the stop.
        let stopAfter: TimeAmount
        /// From the stop to the close.
        let closedAfter: TimeAmount
        let countedAsHeadTimeout: Int
        var testDescription: String { "head timeout \(timeout), stop after \(stopAfter)" }
    }

    /// Until its head deadline, if that comes first, counted as a head timeout; otherwise for the stop's grace
    /// (2 s), not for the whole head timeout, and not counted.
    @Test(arguments: [
        Hold(timeout: .seconds(1), stopAfter: .zero, closedAfter: .seconds(1), countedAsHeadTimeout: 1),
        Hold(timeout: .seconds(10), stopAfter: .seconds(1), closedAfter: .seconds(2), countedAsHeadTimeout: 0),
    ])
    func aHeldQuiesceEndsAtTheDeadlineOrTheGraceWhicheverIsSooner(_ hold: Hold) throws {
        let seen = Seen()
        let (channel, timeouts) = try Self.connected(timeout: hold.timeout, behind: seen)
        channel.embeddedEventLoop.advanceTime(by: hold.stopAfter)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.advanceTime(by: hold.closedAfter - .milliseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
        #expect(timeouts.value == hold.countedAsHeadTimeout)
        #expect(seen.order.isEmpty)
    }

    @Test func removingTheHandlerPassesAHeldQuiesceOn() throws {
        let seen = Seen()
        let (channel, _) = try Self.connected(behind: seen)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        let deadline = try channel.pipeline.syncOperations.handler(type: RequestHeadDeadline.self)
        try channel.pipeline.syncOperations.removeHandler(deadline).wait()
        #expect(seen.order == ["quiesce"])
        _ = try channel.finish()
    }
}

/// Records, in order, the request parts and quiesce events that reach it.
final class Seen: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    private let events = Mutex<[String]>([])
    var order: [String] { events.withLock { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let name =
            switch self.unwrapInboundIn(data) {
            case .head: "head"
            case .body: "body"
            case .end: "end"
            }
        events.withLock { $0.append(name) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { events.withLock { $0.append("quiesce") } }
        context.fireUserInboundEventTriggered(event)
    }
}

/// A count that a `@Sendable` callback can bump (EmbeddedChannel runs everything on the test's thread).
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
