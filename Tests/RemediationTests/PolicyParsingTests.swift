import Foundation
import Testing

@testable import Remediation

@Suite struct PolicyParsingTests {
    static let example = """
        # kvm-agent remediation policy
        dry_run: false
        host:
          label: instance
          names: ["kvm01:9760", "kvm01.example.net"]
        state_file: state/remediation.json
        audit_log: /var/log/kvm-agent/audit.jsonl
        tokens_file: tokens
        limits:
          cooldown: 5m
          max_actions: 4
          window: 1h
          quarantine_for: until_released
          concurrency: 3
          start_timeout: 90s
          force_timeout: 1m30s
        breaker:
          max_down_ratio: 0.25
          min_domains: 8
        domains:
          names: ["web-*", "db??"]
          uuids: ["6F3C0A0E-8D2B-4A57-9A56-000000000001"]
          metadata_opt_in: false
        api:
          dry_run: true
          allow_force: true
          allow_transient: true
          shutdown_timeout: 2m
        rules:
          - name: restart-not-running
            alertname: [KVMDomainCrashed, KVMDomainNotRunning]
            matchers:
              - severity="critical"
              - 'domain!~"test-.*"'
            action: start
            when_paused: resume
          - name: stop-hung
            alertname: KVMDomainHung
            action: shutdown
            shutdown_timeout: 500ms
            force_after_timeout: true
            dry_run: true
            allow_orchestrated: true
        """

    @Test func theExamplePolicyParses() throws {
        let policy = try Policy.parse(yaml: Self.example, relativeTo: "/etc/kvm-agent")
        #expect(policy.dryRun == false)
        #expect(policy.host.label == "instance")
        #expect(policy.host.names == ["kvm01:9760", "kvm01.example.net"])
        #expect(policy.stateFile == "/etc/kvm-agent/state/remediation.json")
        #expect(policy.auditLog == "/var/log/kvm-agent/audit.jsonl")
        #expect(policy.tokensFile == "/etc/kvm-agent/tokens")
        #expect(policy.limits.cooldown == .seconds(300))
        #expect(policy.limits.maxActions == 4)
        #expect(policy.limits.window == .seconds(3600))
        #expect(policy.limits.quarantineFor == nil)
        #expect(policy.limits.concurrency == 3)
        #expect(policy.limits.startTimeout == .seconds(90))
        #expect(policy.limits.forceTimeout == .seconds(90))
        #expect(policy.breaker.maxDownRatio == 0.25)
        #expect(policy.breaker.minDomains == 8)
        #expect(policy.domains.names == ["web-*", "db??"])
        #expect(policy.domains.uuids == ["6f3c0a0e-8d2b-4a57-9a56-000000000001"])
        #expect(policy.domains.metadataOptIn == false)
        #expect(policy.api.dryRun == true)
        #expect(policy.api.allowForce)
        #expect(policy.api.allowTransient)
        #expect(!policy.api.allowOrchestrated)
        #expect(policy.api.shutdownTimeout == .seconds(120))
        #expect(policy.rules.map(\.name) == ["restart-not-running", "stop-hung"])
        let start = policy.rules[0]
        #expect(start.alertnames == ["KVMDomainCrashed", "KVMDomainNotRunning"])
        #expect(start.matchers.map(\.description) == [#"severity="critical""#, #"domain!~"test-.*""#])
        #expect(start.action == .start)
        #expect(start.whenPaused == .resume)
        #expect(start.dryRun == nil)
        let stop = policy.rules[1]
        #expect(stop.action == .shutdown)
        #expect(stop.shutdownTimeout == .milliseconds(500))
        #expect(stop.forceAfterTimeout)
        #expect(stop.dryRun == true)
        #expect(stop.allowOrchestrated)
        #expect(!stop.allowTransient)
        #expect(stop.whenPaused == .leave)
    }

    @Test func defaultsAreSafe() throws {
        let policy = try Policy.parse(yaml: "tokens_file: /etc/kvm-agent/tokens\n", relativeTo: "/etc/kvm-agent")
        #expect(policy.dryRun)
        #expect(policy.rules.isEmpty)
        #expect(policy.limits.quarantineFor == .seconds(86_400))
        #expect(policy.domains.metadataOptIn)
        #expect(policy.domains.names.isEmpty)
        #expect(!policy.api.allowForce)
    }

    @Test func rulesMatchOnAlertnameAndEveryMatcher() throws {
        let policy = try Policy.parse(yaml: Self.example, relativeTo: "/etc/kvm-agent")
        let rule = policy.rules[0]
        #expect(rule.matches(["alertname": "KVMDomainCrashed", "severity": "critical", "domain": "web-1"]))
        #expect(rule.matches(["alertname": "KVMDomainNotRunning", "severity": "critical"]))
        #expect(!rule.matches(["alertname": "KVMDomainCrashed", "severity": "warning", "domain": "web-1"]))
        #expect(!rule.matches(["alertname": "KVMDomainCrashed", "severity": "critical", "domain": "test-1"]))
        #expect(!rule.matches(["alertname": "KVMDomainHung", "severity": "critical"]))
        #expect(!rule.matches(["severity": "critical"]))
    }

    /// Lines 1 to 5: a start rule, to which a test appends.
    static let startRule = "tokens_file: t\nrules:\n  - name: r\n    alertname: A\n    action: start\n"

    static let errors: [(yaml: String, line: Int, fragment: String)] = [
        ("tokens_file: t\nlimits:\n  cooldwn: 5m\n", 3, "unknown key"),
        ("tokens_file: t\nfrobnicate: true\n", 2, "unknown key"),
        (
            "tokens_file: t\nrules:\n  - name: r\n    alertname: A\n    action: restart\n", 5,
            "must be start, shutdown, reset or reboot"
        ),
        ("tokens_file: t\nlimits:\n  cooldown: 5 minutes\n", 3, "\"5 minutes\" needs a unit"),
        ("tokens_file: t\nlimits:\n  window: 10\n", 3, "needs a unit"),
        ("tokens_file: t\nlimits:\n  start_timeout: 0s\n", 3, "at least 1ms"),
        ("tokens_file: t\nlimits:\n  max_actions: 0\n", 3, "whole number"),
        ("tokens_file: t\nbreaker:\n  max_down_ratio: 1.5\n", 3, "number from"),
        ("tokens_file: t\nlimits:\n  window: 2h\n  quarantine_for: 1h\n", 4, "must be at least window"),
        (
            Self.startRule + "    matchers:\n      - 'domain~\"x\"'\n",
            7, "expected name="
        ),
        (
            Self.startRule + "    matchers:\n      - '9x=\"y\"'\n",
            7, "is not a label name"
        ),
        (
            Self.startRule + "    matchers:\n      - 'domain=~\"(vm\"'\n",
            7, "not a valid regular expression"
        ),
        (
            "tokens_file: t\nrules:\n  - name: r\n    alertname: A\n    action: start\n  - name: r\n    alertname: B\n"
                + "    action: start\n",
            6, "another rule is named \"r\""
        ),
        ("dry_run: false\nrules: []\n", 1, "tokens_file is required"),
        (
            "tokens_file: t\nrules:\n  - name: r\n    alertname: A\n    action: shutdown\n    when_paused: resume\n",
            6, "applies to start rules only"
        ),
        (
            "tokens_file: t\nrules:\n  - name: r\n    alertname: A\n    action: start\n    shutdown_timeout: 1m\n",
            6, "applies to shutdown and reboot rules only"
        ),
        ("tokens_file: t\nrules:\n  - name: r\n    action: start\n", 3, "needs an alertname"),
        ("tokens_file: t\ndomains:\n  names: [\"vm[ab\"]\n", 3, "unclosed ["),
        ("tokens_file: t\ndomains:\n  uuids: [not-a-uuid]\n", 3, "is not a UUID"),
        ("tokens_file: t\ndry_run: maybe\n", 2, "must be true or false"),
        ("tokens_file: t\ndry_run: true\ndry_run: false\n", 2, "not valid YAML: duplicate key \"dry_run\""),
        ("tokens_file: t\nhost:\n  label: 'bad-label'\n", 3, "is not a label name"),
        ("tokens_file: t\nlimits: [1, 2]\n", 2, "must be a mapping"),
        ("tokens_file: t\nrules:\n  - name: [r\n", 4, "not valid YAML"),
        // Crashed check-config and the agent: Double to Int64 milliseconds.
        ("tokens_file: t\nlimits:\n  start_timeout: 9999999999999999s\n", 3, "longer than the longest duration"),
        ("tokens_file: t\nlimits:\n  cooldown: " + String(repeating: "9", count: 400) + "h\n", 3, "longer than"),
        ("tokens_file: t\nlimits:\n  start_timeout: 2h\n", 3, "must be from 1ms to 1h"),
        ("tokens_file: t\nlimits:\n  window: 9000h\n", 3, "must be from 1ms to 8784h"),
        (
            "tokens_file: t\nrules:\n  - name: r\n    alertname: A\n    action: shutdown\n    shutdown_timeout: 25h\n",
            6,
            "must be from 1ms to 24h"
        ),
        ("tokens_file: t\napi:\n  max_body_bytes: 99999999999999999999\n", 3, "whole number from 1024"),
        ("tokens_file: t\nbreaker:\n  max_down_ratio: .nan\n", 3, "number from 0.0 to 1.0"),
        ("tokens_file: t\nbreaker:\n  min_domains: -4\n", 3, "whole number"),
        // Nulls are errors wherever they are, rather than a default or a file named "~".
        ("tokens_file: t\nstate_file: ~\n", 2, "has no value (null)"),
        ("tokens_file: t\naudit_log: null\n", 2, "has no value (null)"),
        ("tokens_file: t\nlimits:\n  cooldown: ~\n", 3, "has no value (null)"),
        ("tokens_file: t\nrules:\n  - ~\n", 3, "must not be null"),
        ("tokens_file: t\ndomains:\n  names: [a, ~]\n", 3, "must not be null"),
        // Booleans are true or false, nothing YAML 1.1 also reads as one.
        ("tokens_file: t\ndry_run: yes\n", 2, "must be true or false"),
        ("tokens_file: t\ndry_run: \"false\"\n", 2, "must be true or false"),
        ("tokens_file: t\ndry_run: True\n", 2, "must be true or false"),
    ]

    @Test(arguments: errors)
    func errorsNameTheLine(yaml: String, line: Int, fragment: String) {
        do {
            _ = try Policy.parse(yaml: yaml, relativeTo: "/etc/kvm-agent")
            Issue.record("parsed without an error")
        } catch let error as ConfigError {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
            #expect(error.description.hasPrefix("line \(line): "), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func errorsNameTheKeyPath() throws {
        let error = try #require(throws: ConfigError.self) {
            try Policy.parse(
                yaml: "tokens_file: t\nrules:\n  - name: r\n    alertname: A\n    action: restart\n", relativeTo: "/")
        }
        #expect(error.path == "rules[0].action")
    }

    /// `state_file: ~` passed check-config and named a file `~` beside the policy.
    @Test func aNullStateFileIsAnErrorNotAFileNamedTilde() throws {
        let error = try #require(throws: ConfigError.self) {
            try Policy.parse(yaml: "tokens_file: t\nstate_file: ~\n", relativeTo: "/etc/kvm-agent")
        }
        #expect(error.path == "state_file")
        #expect(error.line == 2)
        // Quoted, "~" is a name the operator chose.
        let quoted = try Policy.parse(yaml: "tokens_file: t\nstate_file: \"~\"\n", relativeTo: "/etc/kvm-agent")
        #expect(quoted.stateFile == "/etc/kvm-agent/~")
    }

    @Test func theLongestDurationsAreAccepted() throws {
        let policy = try Policy.parse(
            yaml: "tokens_file: t\nlimits:\n  start_timeout: 1h\n  window: 8784h\n  quarantine_for: 8784h\n",
            relativeTo: "/")
        #expect(policy.limits.startTimeout == .seconds(3600))
        #expect(policy.limits.quarantineFor == .seconds(366 * 86_400))
    }

    @Test func anEmptyFileIsAnError() {
        #expect(throws: ConfigError(line: 0, path: "", message: "the file is empty")) {
            try Policy.parse(yaml: "", relativeTo: "/")
        }
    }

    @Test func relativePathsResolveAgainstThePolicyDirectory() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "policy.yml", "tokens_file: tokens\nstate_file: sub/state.json\naudit_log: /var/log/audit.jsonl\n")
        let policy = try Policy.load(path: directory.file("policy.yml"))
        #expect(policy.tokensFile == directory.file("tokens"))
        #expect(policy.stateFile == directory.file("sub/state.json"))
        #expect(policy.auditLog == "/var/log/audit.jsonl")
    }

    @Test func aMissingPolicyFileIsAnError() throws {
        let directory = try TemporaryDirectory()
        let error = try #require(throws: ConfigError.self) { try Policy.load(path: directory.file("absent.yml")) }
        #expect(error.message.contains("absent.yml"))
    }
}
