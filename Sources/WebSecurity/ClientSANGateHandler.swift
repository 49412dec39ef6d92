import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Holds back decrypted data until the TLS handshake has completed, then admits the connection only if the
/// (already chain-verified) client certificate carries an allowed SAN; otherwise closes it. Go rejects inside the
/// handshake; here the handshake completes first, but no request is ever read from a rejected connection.
final class ClientSANGateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        case handshaking
        case admitted
        case rejected
    }

    private var state = State.handshaking
    private let policy: ClientSANPolicy
    private let logger: Logger

    init(policy: ClientSANPolicy, logger: Logger) {
        self.policy = policy
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard self.state == .handshaking, let tlsEvent = event as? TLSUserEvent,
            case .handshakeCompleted = tlsEvent
        else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
        if let certificate, self.policy.permits(certificate) {
            self.state = .admitted
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.state = .rejected
        self.logger.warning(
            "Rejected a TLS client: its certificate has none of the SANs in client_allowed_sans",
            metadata: [
                "remote": "\(context.remoteAddress.map { "\($0)" } ?? "unknown")",
                "sans": "\(certificate.map(ClientSANPolicy.names(in:)) ?? [])",
            ])
        // NIOSSL then waits for the client's close_notify; in tests a rejected connection was seen to stay open
        // server-side until NIOSSL's 5 s shutdown timeout, though no request on it is ever read.
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Reads before the verdict cannot happen under TLS; after a rejection they are dropped, never parsed.
        guard self.state == .admitted else { return }
        context.fireChannelRead(data)
    }
}
