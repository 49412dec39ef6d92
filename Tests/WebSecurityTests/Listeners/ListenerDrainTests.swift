import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import WebSecurity

/// What `HTTPListeners` does with connections when a graceful shutdown begins, on real sockets.
@Suite struct ListenerDrainTests {
    static let logger = Logger(label: "ListenerDrainTests")

    /// A connection accepted but still being set up when the stop begins is served, not dropped: NIO's async
    /// server channel drops such a connection if the listening channel closes first.
    @Test func aConnectionStillBeingSetUpWhenTheStopBeginsIsServed() async throws {
        try await Self.stopWhileSettingUp { _, setUp, client async throws in
            setUp.succeed()
            #expect(try await client.readAll(within: .seconds(10)) == "handled\n")
        }
    }

    /// While the drain waits, nothing starts accepting again: ``AcceptPause`` reacts to an accept error (here one
    /// for want of descriptors) by switching `autoRead` back on a second later, which accepts without passing the
    /// drain's handler. (Reads that NIO's back-pressure or accept back-off ask for are dropped by that handler;
    /// they are not provoked here.)
    @Test func anAcceptErrorDuringTheDrainDoesNotResumeAccepting() async throws {
        try await Self.stopWhileSettingUp { listener, setUp, first async throws in
            listener.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
            let second = try await Client.connect(port: try #require(listener.localAddress?.port))
            defer { second.close() }
            // The pause ends after 1 s; a second connection set up means accepting resumed.
            let extra = await setUp.child.nextSetUp(within: .seconds(3))
            #expect(extra == nil, "a connection was accepted during the drain")
            extra?.promise.fail(CancellationError())

            setUp.succeed()
            #expect(try await first.readAll(within: .seconds(10)) == "handled\n")
            // Still in the queue when the listener closed: refused (reset), as without the drain.
            #expect(try await second.readAll(within: .seconds(10)) == "")
        }
    }

    /// Serves one loopback listener, connects, and once that connection's set-up has begun starts the stop; runs
    /// `body` when the listener has stopped accepting (or closed, as it did before the drain), then waits up to
    /// 60 s for the stop to end.
    static func stopWhileSettingUp(
        _ body: (_ listener: any Channel, _ setUp: GatedChild.SetUp, _ client: Client) async throws -> Void
    ) async throws {
        let child = GatedChild()
        defer { child.release() }
        let (group, listening) = Self.serving(child, drainDeadline: .seconds(30))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                try await Task.sleep(for: .seconds(60))
                Issue.record("the stop did not end within 60 s")
            }
            let listener = try #require(await Self.first(listening)?.first)
            let client = try await Client.connect(port: try #require(listener.localAddress?.port))
            defer { client.close() }
            let setUp = try #require(await child.nextSetUp(within: .seconds(10)), "the connection was not accepted")

            await group.triggerGracefulShutdown()
            let begun = await eventually(within: .seconds(10)) {
                let accepting = try? await listener.getOption(ChannelOptions.autoRead).get()
                return accepting != true
            }
            try #require(begun, "the listener kept accepting after the stop began")
            try await body(listener, setUp, client)
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// A connection whose set-up never ends delays the stop only until the drain's deadline.
    @Test func aSetUpThatNeverEndsHoldsTheStopOnlyUntilTheDeadline() async throws {
        let child = GatedChild()
        defer { child.release() }
        let (group, listening) = Self.serving(child, drainDeadline: .seconds(1))
        // Kept open through the stop: a client that went away would end the wait as well.
        let client = Mutex<Client?>(nil)
        defer { client.withLock { $0?.close() } }
        let stopped = try await group.runAndShutDown(
            once: {
                guard let listener = await Self.first(listening)?.first, let port = listener.localAddress?.port,
                    let connected = try? await Client.connect(port: port)
                else {
                    Issue.record("no connection")
                    return
                }
                client.withLock { $0 = connected }
                #expect(await child.nextSetUp(within: .seconds(10)) != nil, "the connection was not accepted")
            }, within: .seconds(20))
        #expect(stopped, "the stop did not end within 20 s")
    }

    /// Each listener stops: with one quiescing helper for two, the second kept serving and the stop never ended.
    @Test func everyListenerStops() async throws {
        let (group, listening) = Self.serving(GatedChild(), listeners: 2)
        let stopped = try await group.runAndShutDown(
            once: { #expect(await Self.first(listening)?.count == 2) }, within: .seconds(20))
        #expect(stopped, "the listeners did not stop within 20 s")
    }

    /// `HTTPListeners` for `child` on `listeners` loopback ports, in a group to run, and where its listening
    /// channels are announced once it serves.
    static func serving(
        _ child: GatedChild, listeners: Int = 1, drainDeadline: TimeAmount = .seconds(2)
    ) -> (ServiceGroup, AsyncStream<[any Channel]>) {
        let (listening, announce) = AsyncStream.makeStream(of: [any Channel].self)
        let service = HTTPListeners(
            sources: Array(repeating: .address(ListenAddress(host: "127.0.0.1", port: 0)), count: listeners),
            childChannel: child, drainDeadline: drainDeadline, logger: Self.logger,
            onRunning: { announce.yield($0) })
        return (ServiceGroup(services: [service], logger: Self.logger), listening)
    }

    static func first(_ stream: AsyncStream<[any Channel]>) async -> [any Channel]? {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }
}

/// A child channel whose set-up ends only when the test says, and which then writes "handled" and closes.
struct GatedChild: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    /// A connection's set-up, for the test to end.
    struct SetUp: Sendable {
        let child: GatedChild
        let channel: any Channel
        let promise: EventLoopPromise<Value>

        func succeed() { promise.succeed(Value(channel: channel)) }
    }

    private let started = AsyncStream.makeStream(of: SetUp.self)
    private let unended = Unended()

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let setUp = SetUp(child: self, channel: channel, promise: channel.eventLoop.makePromise(of: Value.self))
        unended.add(setUp.promise)
        started.continuation.yield(setUp)
        return setUp.promise.futureResult
    }

    func handle(value: Value, logger: Logger) async {
        try? await value.channel.writeAndFlush(value.channel.allocator.buffer(string: "handled\n"))
        try? await value.channel.close()
    }

    /// The next connection whose set-up began, or nil after `deadline`.
    func nextSetUp(within deadline: Duration) async -> SetUp? {
        let stream = started.stream
        return await withTaskGroup(of: SetUp?.self) { tasks in
            tasks.addTask {
                var iterator = stream.makeAsyncIterator()
                return await iterator.next()
            }
            tasks.addTask {
                try? await Task.sleep(for: deadline)
                return nil
            }
            let first = await tasks.next() ?? nil
            tasks.cancelAll()
            return first
        }
    }

    /// Fails every set-up the test left unended (NIO stops a debug build on a promise never completed).
    func release() { unended.failAll() }

    private final class Unended: Sendable {
        private let promises = Mutex<[EventLoopPromise<Value>]>([])
        func add(_ promise: EventLoopPromise<Value>) { promises.withLock { $0.append(promise) } }
        func failAll() {
            for promise in promises.withLock({ $0 }) { promise.fail(CancellationError()) }
        }
    }
}

/// A TCP client that collects everything the server sends until the connection ends.
struct Client: Sendable {
    let channel: any Channel
    let received: EventLoopFuture<String>

    static func connect(port: Int) async throws -> Client {
        let group = MultiThreadedEventLoopGroup.singleton
        let done = group.next().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collect(done)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return Client(channel: channel, received: done.futureResult)
    }

    /// What arrived before the connection ended (a reset ends it as a close does), or nil after `deadline`, when
    /// the connection is closed: waiting on a future cannot be cancelled, and the group waits for it.
    func readAll(within deadline: Duration) async throws -> String? {
        let (received, channel) = (self.received, self.channel)
        return try await withThrowingTaskGroup(of: String?.self) { tasks in
            tasks.addTask { try await received.get() }
            tasks.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            let first = try await tasks.next() ?? nil
            if first == nil { channel.close(promise: nil) }
            tasks.cancelAll()
            return first
        }
    }

    func close() { channel.close(promise: nil) }

    private final class Collect: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var text = ""
        private let done: EventLoopPromise<String>

        init(_ done: EventLoopPromise<String>) { self.done = done }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            text += String(buffer: self.unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.succeed(text)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
