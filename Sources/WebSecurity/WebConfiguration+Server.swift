import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL

extension WebConfiguration {
    /// The Hummingbird server for this configuration: plain HTTP/1.1 without `tls_server_config`, otherwise
    /// HTTP/1.1 over TLS with the configured versions, suites, curves and client-certificate policy.
    ///
    /// - Parameters:
    ///   - http1: Settings for the HTTP/1.1 channel (idle timeout, decoder limits).
    ///   - connections: Caps and timeouts for connections; they override `http1`'s idle timeout.
    public func serverBuilder(
        http1: HTTP1Channel.Configuration = .init(), connections: ConnectionGuard? = nil
    ) throws -> HTTPServerBuilder {
        HTTPServerBuilder(try self.childChannelFactory(http1: http1, connections: connections))
    }

    /// What ``serverBuilder(http1:connections:)`` builds servers from, for servers Hummingbird does not build
    /// (``HTTPListeners``). With `state`, TLS connections use the context in force when they arrive (see
    /// ``WebSecurityState/replace(with:)``); without, this configuration's.
    public func childChannelFactory(
        http1: HTTP1Channel.Configuration = .init(), connections: ConnectionGuard? = nil,
        state: WebSecurityState? = nil
    ) throws -> @Sendable (@escaping HTTPChannelHandler.Responder) throws -> any ServerChildChannel {
        let http1 = connections?.configuring(http1) ?? http1
        // Fail here, where the caller expects configuration errors, rather than when the server starts.
        let state = try state ?? WebSecurityState(self)
        let servesTLS = state.servesTLS
        return { responder in
            let plain = HTTP1Channel(responder: responder, configuration: http1)
            let base: any ServerChildChannel = servesTLS ? ReloadingTLSChannel(base: plain, state: state) : plain
            return connections?.guarding(base) ?? base
        }
    }
}

extension TLSSettings {
    func makeTLSConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: self.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(self.privateKey))
        configuration.minimumTLSVersion = self.minimumVersion
        configuration.maximumTLSVersion = self.maximumVersion
        if !self.cipherSuites.isEmpty { configuration.cipherSuiteValues = self.cipherSuites }
        if !self.curves.isEmpty { configuration.curves = self.curves }
        // Never fall back to the system store: only the configured CAs may vouch for clients.
        configuration.trustRoots = .certificates(self.clientCAs)
        configuration.sendCANameList = !self.clientCAs.isEmpty
        switch self.clientAuth {
        case .noClientCert:
            configuration.certificateVerification = .none
        case .requestClientCert, .verifyClientCertIfGiven:
            configuration.certificateVerification = .optionalVerification
        case .requireAnyClientCert, .requireAndVerifyClientCert:
            configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }

    func makeChannelConfiguration() -> TLSChannelConfiguration {
        let configuration = self.makeTLSConfiguration()
        switch self.clientAuth {
        case .requestClientCert, .requireAnyClientCert:
            // These modes ask for (or demand) a certificate without judging it; NIOSSL's only way to take a
            // certificate unverified is a callback that accepts whatever is presented.
            return TLSChannelConfiguration(
                tlsConfiguration: configuration,
                customVerificationCallback: { _, promise in promise.succeed(.certificateVerified) })
        case .noClientCert, .verifyClientCertIfGiven, .requireAndVerifyClientCert:
            return TLSChannelConfiguration(tlsConfiguration: configuration)
        }
    }
}
