import Hummingbird
import HummingbirdTesting
import KVMCore
import Prometheus
import Testing

@testable import AgentHTTP

/// `/readyz`: 200 only when libvirt is connected and, with remediation on, its files can be written.
@Suite struct ReadinessTests {
    private func readyz(libvirtUp: Bool, remediationProblem: String?) async throws -> (HTTPResponse.Status, String) {
        let store = InventoryStore()
        store.update { $0.libvirtUp = libvirtUp }
        let routes = AgentRoutes(
            metrics: MetricsSource(store: store, registry: PrometheusCollectorRegistry(), process: { nil }),
            store: store, telemetryPath: "/metrics", version: "test", remediationProblem: { remediationProblem })
        let router = Router()
        routes.register(on: router)
        return try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { ($0.status, String(buffer: $0.body)) }
        }
    }

    @Test func readyWhenLibvirtIsUpAndRemediationCanWrite() async throws {
        let (status, body) = try await readyz(libvirtUp: true, remediationProblem: nil)
        #expect(status == .ok)
        #expect(body == "ready\n")
    }

    @Test func anUnwritableAuditLogMakesTheAgentNotReady() async throws {
        let problem = "cannot write the audit log /var/lib/kvm-agent/audit.jsonl: open: Permission denied"
        let (status, body) = try await readyz(libvirtUp: true, remediationProblem: problem)
        #expect(status == .serviceUnavailable)
        #expect(body == problem + "\n")
    }

    @Test func everyReasonIsGiven() async throws {
        let (status, body) = try await readyz(libvirtUp: false, remediationProblem: "cannot write the state file")
        #expect(status == .serviceUnavailable)
        #expect(body == "libvirt is not connected\ncannot write the state file\n")
    }
}
