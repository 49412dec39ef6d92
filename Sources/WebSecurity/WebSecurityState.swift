import HTTPTypes
import HummingbirdTLS
import NIOCore
import NIOSSL
import Synchronization

/// The web configuration in force, replaceable while the agent runs (SIGHUP): basic-auth users, response
/// headers and the TLS context new connections are set up with. Requests and connections already under way
/// keep what they started with.
public final class WebSecurityState: Sendable {
    /// Everything a request or a new connection reads, swapped as one.
    struct Snapshot: Sendable {
        let verifier: BasicAuthVerifier?
        let headers: HTTPFields
        let tls: TLSContext?
    }

    /// A built TLS context with what goes with it on each connection.
    struct TLSContext: Sendable {
        let context: NIOSSLContext
        let verification: TLSChannelConfigurationCallback?
        let clientSANs: ClientSANPolicy?
    }

    typealias TLSChannelConfigurationCallback =
        @Sendable (
            [NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>
        ) -> Void

    /// Whether the server speaks TLS; fixed at start, since its listeners serve one or the other.
    public let servesTLS: Bool
    private let current: Mutex<Snapshot>

    /// Builds the TLS context too, so that a configuration BoringSSL refuses fails here.
    public init(_ configuration: WebConfiguration) throws {
        let snapshot = try Self.snapshot(configuration)
        self.servesTLS = snapshot.tls != nil
        self.current = Mutex(snapshot)
    }

    /// Puts `configuration` in force for requests and connections from now on; throws, changing nothing, when it
    /// cannot be used (TLS switched on or off needs a restart).
    public func replace(with configuration: WebConfiguration) throws {
        guard (configuration.tls != nil) == self.servesTLS else {
            throw ReloadRefused(
                reason: self.servesTLS
                    ? "tls_server_config was removed; switching TLS off needs a restart"
                    : "tls_server_config was added; switching TLS on needs a restart")
        }
        let snapshot = try Self.snapshot(configuration)
        self.current.withLock { $0 = snapshot }
    }

    var snapshot: Snapshot { self.current.withLock { $0 } }

    public struct ReloadRefused: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { self.reason }
    }

    private static func snapshot(_ configuration: WebConfiguration) throws -> Snapshot {
        var headers = HTTPFields()
        for header in configuration.headers {
            // Parsed files only contain the toolkit's allowed names; a bad one can only come from code.
            guard let name = HTTPField.Name(header.name) else {
                preconditionFailure("invalid HTTP header name in WebConfiguration.headers: \(header.name)")
            }
            headers[name] = header.value
        }
        let tls = try configuration.tls.map { settings in
            let channel = settings.makeChannelConfiguration()
            return TLSContext(
                context: try NIOSSLContext(configuration: channel.tlsConfiguration),
                verification: channel.customVerificationCallback,
                clientSANs: settings.clientAllowedSANs.isEmpty
                    ? nil : ClientSANPolicy(allowed: settings.clientAllowedSANs))
        }
        return Snapshot(
            verifier: BasicAuthVerifier(users: configuration.basicAuthUsers), headers: headers, tls: tls)
    }
}
