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
        let child = GatedChild()
        let (listening, port) = Self.listeningStream()
        let listeners = HTTPListeners(
            sources: [.address(ListenAddress(host: "127.0.0.1", port: 0))], childChannel: child, logger: Self.logger,
            onRunning: { port.yield($0) })
        let group = ServiceGroup(services: [listeners], logger: Self.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                try await Task.sleep(for: .seconds(60))
                Issue.record("the stop did not end within 60 s")
            }
            let listener = try #require(await Self.first(listening)?.first)
            let client = try await Client.connect(port: try #require(listener.localAddress?.port))
            let setUp = try #require(await child.nextSetUp(within: .seconds(10)), "the connection was not accepted")

            await group.triggerGracefulShutdown()
            // Stopped accepting (the drain), or closed (NIO's quiescing alone): either way the stop has begun.
            let begun = try await waitUntil(within: .seconds(10)) {
                let accepting = try? await listener.getOption(ChannelOptions.autoRead).get()
                return accepting != true
            }
            try #require(begun, "the listener kept accepting after the stop began")
            setUp.succeed()

            #expect(try await client.readAll(within: .seconds(10)) == "handled\n")
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// Each listener stops: with one quiescing helper for two, the second kept serving and the stop never ended.
    @Test func everyListenerStops() async throws {
        let (listening, port) = Self.listeningStream()
        let listeners = HTTPListeners(
            sources: [
                .address(ListenAddress(host: "127.0.0.1", port: 0)),
                .address(ListenAddress(host: "127.0.0.1", port: 0)),
            ],
            childChannel: GatedChild(), logger: Self.logger, onRunning: { port.yield($0) })
        let group = ServiceGroup(services: [listeners], logger: Self.logger)
        let stopped = try await group.runAndShutDown(
            once: { #expect(await Self.first(listening)?.count == 2) }, within: .seconds(20))
        #expect(stopped, "the listeners did not stop within 20 s")
    }

    static func listeningStream() -> (AsyncStream<[any Channel]>, AsyncStream<[any Channel]>.Continuation) {
        AsyncStream.makeStream(of: [any Channel].self)
    }

    static func first(_ stream: AsyncStream<[any Channel]>) async -> [any Channel]? {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }
}

/// Polls `condition` every 20 ms until it holds; false if `deadline` passes first.
func waitUntil(within deadline: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}

/// A child channel whose set-up ends only when the test says, and which then writes "handled" and closes.
struct GatedChild: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    /// A connection's set-up, for the test to end.
    struct SetUp: Sendable {
        let channel: any Channel
        let promise: EventLoopPromise<Value>

        func succeed() { promise.succeed(Value(channel: channel)) }
    }

    private let started = AsyncStream.makeStream(of: SetUp.self)

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let promise = channel.eventLoop.makePromise(of: Value.self)
        started.continuation.yield(SetUp(channel: channel, promise: promise))
        return promise.futureResult
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
}

/// A TCP client that collects everything the server sends until it closes.
struct Client {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(port: Int) async throws -> Client {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return Client(channel: channel)
    }

    /// What arrived before the server closed (a reset ends it as a close does), or nil after `deadline`.
    func readAll(within deadline: Duration) async throws -> String? {
        let channel = self.channel
        return try await withThrowingTaskGroup(of: String?.self) { tasks in
            tasks.addTask {
                try await channel.executeThenClose { inbound, _ in
                    var text = ""
                    do {
                        for try await buffer in inbound { text += String(buffer: buffer) }
                    } catch {}
                    return text
                }
            }
            tasks.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            let first = try await tasks.next() ?? nil
            tasks.cancelAll()
            return first
        }
    }
}
