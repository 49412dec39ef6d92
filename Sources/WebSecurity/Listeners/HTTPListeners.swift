import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Serves one child channel (HTTP/1.1, plain or TLS, behind the connection guard) on several listening sockets:
/// each `--web.listen-address`, or the sockets systemd passed in. Hummingbird's own server binds one host and port
/// and cannot take an inherited socket, hence this.
///
/// Every listener is open before any serves: one that cannot be opened closes those already open and fails the
/// service with a ``ListenerError`` naming it. On graceful shutdown the listeners stop accepting, hand over what
/// they accepted (``ListenerDrain``) and close, and open connections finish their request in flight.
public struct HTTPListeners: Service {
    /// Where a listener comes from.
    public enum Source: Sendable, CustomStringConvertible {
        case address(ListenAddress)
        /// A listening socket inherited from systemd (`LISTEN_FDS`), with its name for messages.
        case descriptor(CInt, name: String)

        public var description: String {
            switch self {
            case .address(let address): "\(address)"
            case .descriptor(let fd, let name): "systemd socket \(name) (fd \(fd))"
            }
        }
    }

    let sources: [Source]
    let childChannel: any ServerChildChannel
    let eventLoopGroup: any EventLoopGroup
    let backlog: Int32
    /// How long a stop waits for connections being set up to reach the accept loop (``ListenerDrain``); set-up is
    /// adding handlers, so this bounds a stuck event loop, not normal work.
    let drainDeadline: TimeAmount
    let logger: Logger
    let onRunning: @Sendable ([any Channel]) async -> Void

    public init(
        sources: [Source], childChannel: any ServerChildChannel,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, backlog: Int32 = 256,
        drainDeadline: TimeAmount = .seconds(2), logger: Logger,
        onRunning: @escaping @Sendable ([any Channel]) async -> Void = { _ in }
    ) {
        self.sources = sources
        self.childChannel = childChannel
        self.eventLoopGroup = eventLoopGroup
        self.backlog = backlog
        self.drainDeadline = drainDeadline
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        try await self.serve(self.childChannel)
    }

    private func serve<Child: ServerChildChannel>(_ child: Child) async throws {
        let drain = ListenerDrain()
        var listeners: [Listener<Child.Value>] = []
        for source in self.sources {
            do {
                let listener = try await self.open(source, child: child, drain: drain)
                self.logger.info(
                    "listening on \(source)",
                    metadata: ["address": "\(listener.channel.localAddress.map { "\($0)" } ?? "unknown")"])
                listeners.append(listener)
            } catch {
                for listener in listeners { try? await listener.channel.close() }
                throw ListenerError(listener: "\(source)", underlying: error)
            }
        }
        await self.onRunning(listeners.map(\.channel))
        let logger = self.logger
        let (opened, drainDeadline) = (listeners, self.drainDeadline)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for listener in opened {
                    group.addTask {
                        await Self.accept(on: listener.server, child: child, drain: drain, logger: logger)
                    }
                }
            }
        } onGracefulShutdown: {
            drain.stop(opened.map(\.channel), deadline: drainDeadline) {
                for listener in opened { listener.quiescing.initiateShutdown(promise: nil) }
            }
        }
    }

    private static func accept<Child: ServerChildChannel>(
        on listener: NIOAsyncChannel<Child.Value, Never>, child: Child, drain: ListenerDrain,
        logger: Logger
    ) async {
        await withDiscardingTaskGroup { group in
            do {
                try await listener.executeThenClose { inbound in
                    for try await connection in inbound {
                        drain.handedOver(connection.channel)
                        group.addTask { await child.handle(value: connection, logger: logger) }
                    }
                }
            } catch {
                logger.error("listener failed: \(error)")
            }
        }
    }

    private func open<Child: ServerChildChannel>(
        _ source: Source, child: Child, drain: ListenerDrain
    ) async throws -> Listener<Child.Value> {
        let logger = self.logger
        let setup: @Sendable (any Channel) -> EventLoopFuture<Child.Value> = {
            child.setup(channel: $0, logger: logger)
        }
        switch source {
        case .descriptor(let fd, _):
            return try await self.listen(drain) { try await $0.bind(fd, childChannelInitializer: setup) }
        case .address(let address):
            guard let host = address.host else {
                return try await self.openEveryInterface(address.port, setup, drain)
            }
            let socketAddress = try SocketAddress.makeAddressResolvingHost(host, port: address.port)
            return try await self.listen(drain) { try await $0.bind(to: socketAddress, childChannelInitializer: setup) }
        }
    }

    /// `[::]` taking IPv4 too (IPV6_V6ONLY off, whatever net.ipv6.bindv6only says); `0.0.0.0` where the host
    /// has no IPv6.
    private func openEveryInterface<Value: Sendable>(
        _ port: Int, _ setup: @escaping @Sendable (any Channel) -> EventLoopFuture<Value>, _ drain: ListenerDrain
    ) async throws -> Listener<Value> {
        do {
            return try await self.listen(drain) {
                try await $0.serverChannelOption(
                    ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only), value: 0
                )
                .bind(to: try SocketAddress(ipAddress: "::", port: port), childChannelInitializer: setup)
            }
        } catch let error where Self.meansNoIPv6(error) {
            self.logger.info("no IPv6 on this host; listening on IPv4 only", metadata: ["error": "\(error)"])
            return try await self.listen(drain) {
                try await $0.bind(
                    to: try SocketAddress(ipAddress: "0.0.0.0", port: port), childChannelInitializer: setup)
            }
        }
    }

    /// The errors binding `[::]` fails with on a host without IPv6: the kernel has no IPv6 at all, or has it with
    /// no address configured (`ipv6.disable_ipv6=1`).
    static func meansNoIPv6(_ error: any Error) -> Bool {
        guard let error = error as? IOError else { return false }
        return error.errnoCode == EAFNOSUPPORT || error.errnoCode == EADDRNOTAVAIL
    }

    /// Opens one listening channel with `bind`, on a bootstrap of its own with a quiescing helper of its own: a
    /// helper quiesces only the first channel it is given, even one whose bind then failed.
    private func listen<Value: Sendable>(
        _ drain: ListenerDrain, _ bind: (ServerBootstrap) async throws -> NIOAsyncChannel<Value, Never>
    ) async throws -> Listener<Value> {
        let quiescing = ServerQuiescingHelper(group: self.eventLoopGroup)
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: self.backlog)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    try handlers.addHandler(AcceptPause(), position: .first)
                    try handlers.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    try handlers.addHandler(drain.acceptedChannelsHandler())
                }
            }
        return Listener(server: try await bind(bootstrap), quiescing: quiescing)
    }
}

/// A listening channel and the helper that quiesces it and the connections it accepted.
struct Listener<Value: Sendable>: Sendable {
    let server: NIOAsyncChannel<Value, Never>
    let quiescing: ServerQuiescingHelper

    var channel: any Channel { server.channel }
}
