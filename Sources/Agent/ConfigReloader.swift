import Foundation
import Logging
import Remediation
import ServiceLifecycle
import Synchronization
import UnixSignals
import WebSecurity

/// Re-reads the configuration files on SIGHUP (`systemctl reload kvm-agent`) and when one of them changes on disk
/// (`--config.auto-reload-interval`): the web configuration and the certificate, key and client CA files it names,
/// the remediation policy and its tokens file. Each file is taken only whole and valid: one that does not validate
/// is refused with the reason logged and counted in ``ReloadMetrics``, and the one in force stays. Connections, the
/// safety state and actions under way are kept.
struct ConfigReloader: Service {
    struct Web {
        let path: String
        let state: WebSecurityState
        /// The TLS files the web configuration in force was read from.
        let tlsFiles: CurrentValue<[String]>
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
    /// How often the files are looked at for changes; nil: only on SIGHUP.
    var autoReloadInterval: Duration?

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                let hangups = await UnixSignalsSequence(trapping: .sighup)
                for await _ in hangups.cancelOnGracefulShutdown() {
                    self.reload(because: "SIGHUP")
                }
            }
            if let interval = self.autoReloadInterval {
                group.addTask { await cancelWhenGracefulShutdown { await self.reloadOnChange(every: interval) } }
            }
        }
    }

    /// Polls `stat` rather than using inotify: it sees a file replaced by rename or through a symlink that was
    /// swapped (as Kubernetes secrets and cert-manager do), and a look every few seconds at a handful of files
    /// costs nothing. A file refused once is not read again until it changes again.
    private func reloadOnChange(every interval: Duration) async {
        var seen = FileStamps(self.watchedPaths())
        while (try? await Task.sleep(for: interval)) != nil {
            let now = FileStamps(self.watchedPaths())
            guard now != seen else { continue }
            self.reload(because: "a configuration file changed")
            seen = FileStamps(self.watchedPaths())
        }
    }

    /// Every file the configuration in force was read from.
    func watchedPaths() -> [String] {
        var paths: [String] = []
        if let web = self.web { paths += [web.path] + web.tlsFiles.get() }
        if let remediation = self.remediation { paths += [remediation.policyPath, remediation.tokensPath.get()] }
        return paths
    }

    func reload(because trigger: String) {
        self.logger.info("\(trigger): reloading the configuration files")
        if let web = self.web {
            self.attempt("web", path: web.path) {
                let configuration = try WebConfiguration.load(path: web.path)
                try web.state.replace(with: configuration)
                web.tlsFiles.set(configuration.tls?.files ?? [])
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
