import Foundation
import StrictYAML

extension Policy {
    /// Reads and validates a policy file. Relative paths in it are taken from the file's directory.
    public static func load(path: String) throws -> Policy {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(line: 0, path: "", message: "cannot read \(path): \(error.localizedDescription)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, relativeTo: directory)
    }

    public static func parse(yaml: String, relativeTo directory: String) throws -> Policy {
        do {
            guard let root = try YAMLValue.document(yaml) else {
                throw ConfigError(line: 0, path: "", message: "the file is empty")
            }
            return try parse(root, relativeTo: directory)
        } catch let problem as YAMLProblem {
            throw ConfigError(problem)
        }
    }

    private static func parse(_ root: YAMLValue, relativeTo directory: String) throws -> Policy {
        let keys = try root.fields([
            "dry_run", "host", "state_file", "audit_log", "tokens_file", "limits", "breaker", "domains", "api", "rules",
        ])
        var policy = Policy()
        func path(_ node: YAMLValue) throws -> String {
            let value = try node.nonEmptyString()
            return value.hasPrefix("/") ? value : URL(fileURLWithPath: directory).appendingPathComponent(value).path
        }
        if let node = keys["dry_run"] { policy.dryRun = try node.bool() }
        if let node = keys["state_file"] { policy.stateFile = try path(node) }
        if let node = keys["audit_log"] { policy.auditLog = try path(node) }
        guard let tokens = keys["tokens_file"] else {
            throw root.problem("tokens_file is required: every action request needs a bearer token")
        }
        policy.tokensFile = try path(tokens)
        if let node = keys["host"] { policy.host = try HostSettings(node) }
        if let node = keys["limits"] { policy.limits = try SafetyLimits(node) }
        if let node = keys["breaker"] { policy.breaker = try BreakerSettings(node) }
        if let node = keys["domains"] { policy.domains = try DomainAllowList(node) }
        if let node = keys["api"] { policy.api = try ManualAPISettings(node) }
        var names: Set<String> = []
        for node in try keys["rules"]?.list() ?? [] {
            let rule = try Rule(node)
            guard names.insert(rule.name).inserted else { throw node.problem("another rule is named \"\(rule.name)\"") }
            policy.rules.append(rule)
        }
        return policy
    }
}

/// The bounds of the policy's durations: long enough for any sensible setting, short enough that a typo is caught and
/// that arithmetic on epoch seconds stays exact.
enum DurationBounds {
    /// Cooldown, window and quarantine: up to a year.
    static let history: ClosedRange<Duration> = .milliseconds(1)...(.seconds(366 * 86_400))
    /// Waiting for libvirt to confirm a start or a forced power-off.
    static let confirmation: ClosedRange<Duration> = .milliseconds(1)...(.seconds(3600))
    /// A graceful shutdown: a large guest may take a long time to stop cleanly.
    static let shutdown: ClosedRange<Duration> = .milliseconds(1)...(.seconds(86_400))
}

extension HostSettings {
    init(_ node: YAMLValue) throws {
        let keys = try node.fields(["label", "names", "allow_missing_label"])
        if let label = keys["label"] {
            self.label = try label.nonEmptyString()
            guard LabelMatcher.isLabelName(self.label) else { throw label.problem("is not a label name") }
        }
        if let names = keys["names"] { self.names = try names.stringList() }
        if let value = keys["allow_missing_label"] { allowMissingLabel = try value.bool() }
    }
}

extension SafetyLimits {
    init(_ node: YAMLValue) throws {
        let keys = try node.fields([
            "cooldown", "max_actions", "window", "quarantine_for", "concurrency", "start_timeout", "force_timeout",
            "max_restarts", "stable_for",
        ])
        if let value = keys["cooldown"] { cooldown = try value.duration(in: DurationBounds.history) }
        if let value = keys["max_actions"] { maxActions = try value.int(in: 1...1000) }
        if let value = keys["window"] { window = try value.duration(in: DurationBounds.history) }
        if let value = keys["quarantine_for"] {
            quarantineFor =
                try value.string() == "until_released" ? nil : try value.duration(in: DurationBounds.history)
        }
        if let value = keys["concurrency"] { concurrency = try value.int(in: 1...64) }
        if let value = keys["start_timeout"] { startTimeout = try value.duration(in: DurationBounds.confirmation) }
        if let value = keys["force_timeout"] { forceTimeout = try value.duration(in: DurationBounds.confirmation) }
        if let value = keys["max_restarts"] { maxRestarts = try value.int(in: 1...1000) }
        if let value = keys["stable_for"] { stableFor = try value.duration(in: DurationBounds.history) }
        // A shorter quarantine would end while the actions that caused it are still in the window, and the
        // next alert would quarantine the domain again at once.
        if let quarantine = quarantineFor, quarantine < window {
            throw (keys["quarantine_for"] ?? keys["window"] ?? node).problem(
                "quarantine_for (\(quarantine)) must be at least window (\(window)), or until_released")
        }
    }
}

extension BreakerSettings {
    init(_ node: YAMLValue) throws {
        let keys = try node.fields(["max_down_ratio", "min_domains"])
        if let value = keys["max_down_ratio"] { maxDownRatio = try value.double(in: 0...1) }
        if let value = keys["min_domains"] { minDomains = try value.int(in: 1...100_000) }
    }
}

extension DomainAllowList {
    init(_ node: YAMLValue) throws {
        let keys = try node.fields(["names", "uuids", "metadata_opt_in"])
        if let value = keys["names"] {
            for item in try value.list() {
                let glob = try item.nonEmptyString()
                do {
                    nameGlobs.append(try AnchoredPattern(glob: glob))
                } catch {
                    throw item.problem("\(error)")
                }
                names.append(glob)
            }
        }
        if let value = keys["uuids"] {
            for item in try value.list() {
                let uuid = try item.nonEmptyString().lowercased()
                guard UUID(uuidString: uuid) != nil else { throw item.problem("\"\(uuid)\" is not a UUID") }
                uuids.insert(uuid)
            }
        }
        if let value = keys["metadata_opt_in"] { metadataOptIn = try value.bool() }
    }
}

extension ManualAPISettings {
    init(_ node: YAMLValue) throws {
        let keys = try node.fields([
            "dry_run", "allow_force", "allow_orchestrated", "allow_transient", "shutdown_timeout", "max_body_bytes",
        ])
        if let value = keys["max_body_bytes"] { maxBodyBytes = try value.int(in: 1024...(64 << 20)) }
        if let value = keys["dry_run"] { dryRun = try value.bool() }
        if let value = keys["allow_force"] { allowForce = try value.bool() }
        if let value = keys["allow_orchestrated"] { allowOrchestrated = try value.bool() }
        if let value = keys["allow_transient"] { allowTransient = try value.bool() }
        if let value = keys["shutdown_timeout"] { shutdownTimeout = try value.duration(in: DurationBounds.shutdown) }
    }
}

extension Rule {
    init(_ node: YAMLValue) throws {
        let keys = try node.fields([
            "name", "alertname", "matchers", "action", "when_paused", "shutdown_timeout", "force_after_timeout",
            "dry_run", "allow_orchestrated", "allow_transient", "recover_crashed",
        ])
        guard let name = keys["name"] else { throw node.problem("a rule needs a name") }
        guard let alertname = keys["alertname"] else { throw node.problem("a rule needs an alertname") }
        guard let action = keys["action"] else {
            throw node.problem("a rule needs an action (start, shutdown, reset or reboot)")
        }
        let alertnames = alertname.isList ? try alertname.stringList() : [try alertname.nonEmptyString()]
        guard let kind = RemediationAction(rawValue: try action.string()) else {
            throw action.problem("must be start, shutdown, reset or reboot")
        }
        self.init(name: try name.nonEmptyString(), alertnames: alertnames, action: kind)
        for item in try keys["matchers"]?.list() ?? [] {
            do {
                matchers.append(try LabelMatcher(parsing: try item.string()))
            } catch let error as MatcherError {
                throw item.problem(error.description)
            }
        }
        if let value = keys["when_paused"] {
            guard kind == .start else { throw value.problem("applies to start rules only") }
            guard let mode = WhenPaused(rawValue: try value.string()) else {
                throw value.problem("must be resume or leave")
            }
            whenPaused = mode
        }
        if let value = keys["recover_crashed"] {
            guard kind == .start else { throw value.problem("applies to start rules only") }
            guard let mode = RecoverCrashed(rawValue: try value.string()) else {
                throw value.problem("must be leave or destroy_then_start")
            }
            recoverCrashed = mode
        }
        if let value = keys["shutdown_timeout"] {
            guard kind == .shutdown || kind == .reboot else {
                throw value.problem("applies to shutdown and reboot rules only")
            }
            shutdownTimeout = try value.duration(in: DurationBounds.shutdown)
        }
        if let value = keys["force_after_timeout"] {
            guard kind == .shutdown || kind == .reboot else {
                throw value.problem("applies to shutdown and reboot rules only")
            }
            forceAfterTimeout = try value.bool()
        }
        if let value = keys["dry_run"] { dryRun = try value.bool() }
        if let value = keys["allow_orchestrated"] { allowOrchestrated = try value.bool() }
        if let value = keys["allow_transient"] { allowTransient = try value.bool() }
    }
}
