import Foundation
import Logging
import Remediation
import ServiceLifecycle
import Synchronization
import UnixSignals
import WebSecurity

/// Re-reads the configuration files on SIGHUP (`systemctl reload kvm-agent`): the web configuration (certificates,
/// client CAs, basic-auth users, headers), the remediation policy and its tokens file. Each file is taken only
/// whole and valid: one that does not validate is refused with the reason logged and counted in
/// ``ReloadMetrics``, and the one in force stays. Connections, the safety state and actions under way are kept.
struct ConfigReloader: Service {
    struct Web {
        let path: String
        let state: WebSecurityState
    }

    struct RemediationFiles {
        let policyPath: String
        let engine: RemediationEngine
        let tokens: CurrentValue<AccessTokens>
        /// The tokens file the policy in force names.
        let tokensPath: CurrentValue<String>
    }

    let web: Web?
    let remediation: RemediationFiles?
    let metrics: ReloadMetrics
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            self.reload()
        }
    }

    func reload() {
        self.logger.info("SIGHUP: reloading the configuration files")
        if let web = self.web {
            self.attempt("web", path: web.path) {
                try web.state.replace(with: try WebConfiguration.load(path: web.path))
            }
        }
        if let remediation = self.remediation {
            self.attempt("policy", path: remediation.policyPath) {
                let policy = try Policy.load(path: remediation.policyPath)
                try remediation.engine.replacePolicy(policy)
                remediation.tokensPath.set(policy.tokensFile)
            }
            let tokensPath = remediation.tokensPath.get()
            self.attempt("tokens", path: tokensPath) {
                remediation.tokens.set(try AccessTokens.load(path: tokensPath))
            }
        }
    }

    private func attempt(_ file: String, path: String, _ body: () throws -> Void) {
        do {
            try body()
            self.metrics.succeeded(file, at: Date().timeIntervalSince1970)
            self.logger.info("reloaded \(file) configuration", metadata: ["file": "\(path)"])
        } catch {
            self.metrics.failed(file)
            self.logger.error(
                "reload refused, the previous \(file) configuration stays in force: \(error)",
                metadata: ["file": "\(path)"])
        }
    }
}

/// A value read by requests and replaced on reload.
final class CurrentValue<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func get() -> Value { self.value.withLock { $0 } }
    func set(_ new: Value) { self.value.withLock { $0 = new } }
}
