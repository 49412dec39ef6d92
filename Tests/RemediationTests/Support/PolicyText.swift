/// Policy YAML for engine tests: short timeouts, the default allow-list and three rules. Any setting can be
/// overridden per test.
enum PolicyText {
    static let defaultLimits = [
        "cooldown": "60s", "max_actions": "3", "window": "1h", "quarantine_for": "24h", "concurrency": "2",
        "start_timeout": "2s", "force_timeout": "1s",
    ]

    static let defaultRules = """
        rules:
          - name: start-not-running
            alertname: KVMDomainNotRunning
            action: start
            when_paused: resume
          - name: start-unless-paused
            alertname: KVMDomainPaused
            action: start
          - name: stop-hung
            alertname: KVMDomainHung
            action: shutdown
            shutdown_timeout: 200ms
        """

    static func yaml(
        dryRun: Bool = false, limits: [String: String] = [:], breaker: [String: String] = [:],
        api: [String: String] = [:], allowMissingHostLabel: Bool = false,
        domains: String = "names: [\"vm_*\", \"db*\"]", rules: String = defaultRules
    ) -> String {
        var text = """
            dry_run: \(dryRun)
            state_file: state/remediation-state.json
            audit_log: audit.jsonl
            tokens_file: tokens
            host:
              label: instance
              allow_missing_label: \(allowMissingHostLabel)
            domains:
              \(domains)

            """
        text += section("limits", defaultLimits.merging(limits) { $1 })
        if !breaker.isEmpty { text += section("breaker", breaker) }
        if !api.isEmpty { text += section("api", api) }
        return text + rules + "\n"
    }

    private static func section(_ name: String, _ settings: [String: String]) -> String {
        "\(name):\n" + settings.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)\n" }.joined()
    }
}
