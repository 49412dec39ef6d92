import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// TLS in front of `base`, with the TLS context in force when each connection arrives (``WebSecurityState``): a
/// certificate rotated and reloaded serves every new connection, as the Go toolkit does by re-reading its files
/// per connection. With `client_allowed_sans`, a ``ClientSANGateHandler`` sits right behind the TLS handler, so
/// nothing reaches HTTP before the SAN check passes. (HummingbirdTLS's channel fixes its context when built.)
struct ReloadingTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let state: WebSecurityState

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // `WebSecurityState.replace` keeps TLS on once it is on, so this holds for every connection.
            guard let tls = self.state.snapshot.tls else { throw TLSNotConfigured() }
            let handlers = channel.pipeline.syncOperations
            try handlers.addHandler(
                NIOSSLServerHandler(
                    context: tls.context, customVerificationCallback: tls.verification, configuration: .init()))
            if let policy = tls.clientSANs {
                try handlers.addHandler(ClientSANGateHandler(policy: policy, logger: logger))
            }
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}

struct TLSNotConfigured: Error {}
