import Foundation
import HTTPTypes
import Testing

/// The status page at `/` as a browser shows it: headless Chromium renders the demo host's page, and the
/// rendered document lists every demo domain with its state. The screenshot goes to
/// `$KVM_AGENT_SCREENSHOT` when set (that is how docs/status-page.png is made).
@Suite struct StatusPageBrowserTests {
    static var chromium: String? { which("chromium") ?? which("chromium-browser") }

    @Test(.enabled(if: chromium != nil))
    func demoHostPageRendersInChromium() async throws {
        let chromium = try #require(Self.chromium)
        let fixture = try RemediationFixture(
            domains: ["web01"],
            rules: "  - name: r\n    alertname: Rehearsal\n    action: shutdown\n    dry_run: true\n")
        defer { fixture.remove() }
        let agent = try await AgentProcess(policy: fixture.policyPath, uri: Repo.demoURI)
        defer { agent.kill() }
        try await agent.waitUntilReady(domain: "vm_centos7")
        let decided = try agent.post(
            "/api/v1/alertmanager", RemediationFixture.notification(alert: "Rehearsal", domain: "web01"))
        #expect(decided.status == .ok)

        let url = "\(agent.base)/"
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]
        let dumped = try await runOffPool(chromium, flags + ["--dump-dom", url])
        let start = try #require(dumped.output.range(of: "<html"), "no document from chromium:\n\(dumped.output)")
        let document = String(dumped.output[start.lowerBound...])
        for (domain, state) in [
            ("vm_centos7", "running"), ("web01", "running"), ("db01", "running"), ("build01", "paused"),
            ("backup01", "shutoff"), ("win2019<br><small>nova: ad-dc-2 (infra, w1.large)</small>", "shutoff"),
            ("legacy01", "crashed"),
        ] {
            #expect(
                document.contains("<td>\(domain)</td><td><span class=\"state \(state)\">\(state)</span>"),
                "\(domain) is not shown \(state)")
        }
        #expect(document.contains("3 of 7 running"))
        // The demo's backups pool has 5 of 100 GiB available.
        #expect(document.contains("2 pools, <span class=\"bad\">1 nearly full</span>"), "no nearly full pool shown")
        #expect(document.contains("dry_run: rule_matched"), "the remediation decision is not listed")

        let screenshot = fixture.directory.appending(path: "status-page.png").path
        let shot = try await runOffPool(
            chromium, flags + ["--window-size=1280,1000", "--screenshot=\(screenshot)", url])
        let png = try Data(contentsOf: URL(filePath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG: \(shot.output)")
        #expect(png.count > 10_000, "a \(png.count)-byte screenshot is too small to show the page")
        if let keep = ProcessInfo.processInfo.environment["KVM_AGENT_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: screenshot, toPath: keep)
        }
    }
}
