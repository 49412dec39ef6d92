import Foundation
import HTTPTypes
import Testing

/// The shipped Alertmanager example (deploy/alertmanager/kvm-agent.yml) loaded by a real Alertmanager.
@Suite(.enabled(if: AlertingStack.available))
struct AlertmanagerExampleTests {
    /// A refused agent pages once: KVMAgentLibvirtPermissionDenied holds back KVMLibvirtDown on the same host,
    /// and only there.
    @Test func permissionDeniedInhibitsLibvirtDownOnItsHost() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "kvm-agent-am-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let example = try String(
            contentsOf: Repo.root.appending(path: "deploy/alertmanager/kvm-agent.yml"), encoding: .utf8)
        let stack = try AlertingStack(
            ruleFiles: [], scrapeConfigs: "  []", alertmanagerConfig: example, directory: directory)
        defer { stack.stop() }
        let api = "http://127.0.0.1:\(stack.alertmanagerPort)/api/v2/alerts"
        let alerts = """
            [{"labels": {"alertname": "KVMAgentLibvirtPermissionDenied", "instance": "kvm09:9760"}},
             {"labels": {"alertname": "KVMLibvirtDown", "instance": "kvm09:9760"}},
             {"labels": {"alertname": "KVMLibvirtDown", "instance": "kvm08:9760"}}]
            """
        let posted = try await stack.alertmanager.wait(for: "Alertmanager to take alerts", within: .seconds(30)) {
            try curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", alerts, api]).status
                == .ok
        }
        try #require(posted)
        let answer = try curl([api])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [[String: Any]])
        func inhibited(_ name: String, _ instance: String) -> Bool? {
            guard
                let alert = listed.first(where: {
                    let labels = $0["labels"] as? [String: String]
                    return labels?["alertname"] == name && labels?["instance"] == instance
                })
            else { return nil }
            return !((alert["status"] as? [String: Any])?["inhibitedBy"] as? [String] ?? []).isEmpty
        }
        #expect(inhibited("KVMLibvirtDown", "kvm09:9760") == true, "\(answer.text)")
        #expect(inhibited("KVMLibvirtDown", "kvm08:9760") == false, "another host's outage must still page")
        #expect(inhibited("KVMAgentLibvirtPermissionDenied", "kvm09:9760") == false)
    }
}
