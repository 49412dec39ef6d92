import NIOSSL

/// `tls_server_config`, validated and with its files already loaded, so a bad certificate stops the agent at start
/// rather than at the first connection.
public struct TLSSettings: Sendable {
    /// `client_auth_type`, with the exporter-toolkit's (Go `crypto/tls`) names as raw values.
    public enum ClientAuth: String, Sendable, CaseIterable {
        case noClientCert = "NoClientCert"
        /// Asks for a certificate but neither requires nor verifies it.
        case requestClientCert = "RequestClientCert"
        /// Requires a certificate but does not verify it.
        case requireAnyClientCert = "RequireAnyClientCert"
        /// Verifies a certificate against `client_ca_file` if the client sends one.
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        /// Requires a certificate that verifies against `client_ca_file`.
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

        /// Whether the chain is checked against `client_ca_file`, which therefore must be configured.
        public var verifiesChain: Bool {
            self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert
        }
    }

    /// The server certificate followed by any intermediates from `cert_file` (or inline `cert`).
    public var certificateChain: [NIOSSLCertificate]
    public var privateKey: NIOSSLPrivateKey
    public var clientAuth: ClientAuth
    /// Trust roots for client certificates (`client_ca_file`); empty when not configured.
    public var clientCAs: [NIOSSLCertificate]
    /// `client_allowed_sans`: a verified client certificate must carry one of these as a DNS, email, IP or URI SAN.
    public var clientAllowedSANs: [String]
    public var minimumVersion: TLSVersion
    public var maximumVersion: TLSVersion
    /// TLS 1.2-and-below suites to offer; empty keeps BoringSSL's defaults. TLS 1.3 suites are not configurable.
    public var cipherSuites: [NIOTLSCipher]
    /// Key-exchange groups in preference order; empty keeps BoringSSL's defaults.
    public var curves: [NIOTLSCurve]
    /// The files the settings were read from (`cert_file`, `key_file`, `client_ca_file`), as opened: a change to
    /// one (a renewed certificate) is a change of the web configuration.
    public var files: [String] = []

    public init(
        certificateChain: [NIOSSLCertificate],
        privateKey: NIOSSLPrivateKey,
        clientAuth: ClientAuth = .noClientCert,
        clientCAs: [NIOSSLCertificate] = [],
        clientAllowedSANs: [String] = [],
        minimumVersion: TLSVersion = .tlsv12,
        maximumVersion: TLSVersion = .tlsv13,
        cipherSuites: [NIOTLSCipher] = [],
        curves: [NIOTLSCurve] = []
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientAuth = clientAuth
        self.clientCAs = clientCAs
        self.clientAllowedSANs = clientAllowedSANs
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.cipherSuites = cipherSuites
        self.curves = curves
    }
}
