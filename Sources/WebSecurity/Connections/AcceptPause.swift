import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Stops accepting for `pause` after accept() failed for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM), instead of retrying at once.
///
/// Written because NIO's own AcceptBackoffHandler, which its ServerBootstrap installs, does not take effect when
/// the very first accept of a read fails: the server channel then still counts its read as pending, keeps the
/// listening socket registered for readability and never asks the pipeline for the next read, which is where that
/// handler waits. The agent was seen calling accept4 in a loop, half a core, at its descriptor limit (swift-nio
/// 2.101.3; AcceptBackoffTests). Switching autoRead off unregisters the socket; switching it on again reads.
/// Added first in the server channel's pipeline, so it sees accept errors before anything else.
public final class AcceptPause: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = Channel

    private let pause: TimeAmount
    private var resume: Scheduled<Void>?

    public init(pause: TimeAmount = .seconds(1)) {
        self.pause = pause
    }

    /// Puts a new handler first in `channel`'s pipeline (a listening server channel).
    public static func install(on channel: any Channel, pause: TimeAmount = .seconds(1)) async throws {
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(AcceptPause(pause: pause), position: .first)
        }.get()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode),
            self.resume == nil
        {
            let channel = context.channel
            channel.setOption(ChannelOptions.autoRead, value: false).whenSuccess {}
            self.resume = context.eventLoop.assumeIsolated().scheduleTask(in: self.pause) {
                self.resume = nil
                channel.setOption(ChannelOptions.autoRead, value: true).whenSuccess {}
            }
        }
        context.fireErrorCaught(error)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.resume?.cancel()
        self.resume = nil
    }
}
