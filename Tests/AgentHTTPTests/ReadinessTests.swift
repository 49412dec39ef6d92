import Hummingbird
import HummingbirdTesting
import KVMCore
import Prometheus
import Testing

@testable import AgentHTTP

/// `/readyz` means "ready to serve true figures": 200 only when libvirt is connected and a collector pass has
/// finished since, and, with remediation on, its files can be written; otherwise one line per problem.
@Suite struct ReadinessTests {
    static let refused = ConnectionFailure(
        kind: .permissionDenied,
        reason: "authentication unavailable: no polkit agent available to authenticate action "
            + "'org.libvirt.unix.manage'", user: "kvm-agent")
    static let down = ConnectionFailure(
        kind: .unreachable, reason: "Failed to connect socket to '/run/libvirt/libvirt-sock': Connection refused",
        user: "kvm-agent")

    private func readyz(
        method: HTTPRequest.Method = .get, remediationProblem: String? = nil, _ inventory: (inout Inventory) -> Void
    ) async throws -> (HTTPResponse.Status, String) {
        let store = InventoryStore()
        store.update(inventory)
        let routes = AgentRoutes(
            metrics: MetricsSource(store: store, registry: PrometheusCollectorRegistry(), process: { nil }),
            store: store, telemetryPath: "/metrics", version: "test", remediationProblem: { remediationProblem })
        let router = Router()
        routes.register(on: router)
        return try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/readyz", method: method) { ($0.status, String(buffer: $0.body)) }
        }
    }

    private static func collected(_ inventory: inout Inventory) {
        inventory.libvirtUp = true
        inventory.collectedSinceConnecting = true
    }

    @Test func readyWhenConnectedCollectedAndRemediationCanWrite() async throws {
        let (status, body) = try await readyz(Self.collected)
        #expect(status == .ok)
        #expect(body == "ready\n")
        let (headStatus, headBody) = try await readyz(method: .head, Self.collected)
        #expect(headStatus == .ok)
        #expect(headBody.isEmpty)
    }

    /// A fresh host with no domains is ready once its first pass is done.
    @Test func zeroDomainsIsReady() async throws {
        let (status, _) = try await readyz {
            Self.collected(&$0)
            $0.domains = [:]
        }
        #expect(status == .ok)
    }

    @Test func connectedButNotYetCollectedIsNotReady() async throws {
        let (status, body) = try await readyz { $0.libvirtUp = true }
        #expect(status == .serviceUnavailable)
        #expect(body == "libvirt connected, collecting: no collector pass has finished since connecting\n")
        let (headStatus, _) = try await readyz(method: .head) { $0.libvirtUp = true }
        #expect(headStatus == .serviceUnavailable)
    }

    @Test func aRefusalSaysWhatToDo() async throws {
        let (status, body) = try await readyz { $0.connectionFailure = Self.refused }
        #expect(status == .serviceUnavailable)
        #expect(body.hasPrefix("libvirt refuses access (permission): authentication unavailable: no polkit agent"))
        #expect(body.contains("/usr/share/polkit-1/rules.d/60-kvm-agent.rules"), "\(body)")
        #expect(body.contains("`adduser kvm-agent libvirt`"), "\(body)")
        #expect(body.split(separator: "\n").count == 1, "one line")
    }

    @Test func unreachableGivesLibvirtsMessage() async throws {
        let (status, body) = try await readyz { $0.connectionFailure = Self.down }
        #expect(status == .serviceUnavailable)
        #expect(body == "libvirt unreachable, retrying: \(Self.down.reason)\n")
    }

    @Test func beforeTheFirstAttemptEndsTheAgentIsNotReady() async throws {
        let (status, body) = try await readyz { _ in }
        #expect(status == .serviceUnavailable)
        #expect(body == "libvirt: not connected yet, the first attempt is under way\n")
    }

    @Test func anUnwritableAuditLogMakesTheAgentNotReady() async throws {
        let problem = "cannot write the audit log /var/lib/kvm-agent/audit.jsonl: open: Permission denied"
        let (status, body) = try await readyz(remediationProblem: problem, Self.collected)
        #expect(status == .serviceUnavailable)
        #expect(body == problem + "\n")
    }

    @Test func everyReasonIsGiven() async throws {
        let (status, body) = try await readyz(remediationProblem: "cannot write the state file") {
            $0.connectionFailure = Self.down
        }
        #expect(status == .serviceUnavailable)
        #expect(body == "libvirt unreachable, retrying: \(Self.down.reason)\ncannot write the state file\n")
    }
}
