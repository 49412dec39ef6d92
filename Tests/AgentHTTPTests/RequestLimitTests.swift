import Dispatch
import Hummingbird
import HummingbirdTesting
import KVMCore
import Prometheus
import TestSupport
import Testing

@testable import AgentHTTP

/// `--web.max-requests`: requests over the limit get 503 at once; those under it, and all with limit 0, are served.
@Suite struct RequestLimitTests {
    /// Runs a request through `limit` that stays inside until `release` opens; returns once it is inside.
    func hold(_ limit: RequestLimit, until release: Gate) async -> Task<HTTPResponse.Status, Never> {
        let entered = Gate()
        let task = Task {
            await limit.run {
                entered.open()
                await release.wait()
                return Response(status: .ok)
            }.status
        }
        await entered.wait()
        return task
    }

    @Test func overTheLimitIsRefusedUntilOneLeaves() async {
        let limit = RequestLimit(limit: 2)
        let release = Gate()
        let first = await hold(limit, until: release)
        let second = await hold(limit, until: release)
        let refused = await limit.run { Response(status: .ok) }
        #expect(refused.status == .serviceUnavailable)
        release.open()
        #expect(await first.value == .ok)
        #expect(await second.value == .ok)
        #expect(await limit.run { Response(status: .ok) }.status == .ok)
    }

    @Test func zeroMeansNoLimit() async {
        let limit = RequestLimit(limit: 0)
        let release = Gate()
        var held: [Task<HTTPResponse.Status, Never>] = []
        for _ in 0..<50 { held.append(await hold(limit, until: release)) }
        #expect(await limit.run { Response(status: .ok) }.status == .ok)
        release.open()
        for task in held { #expect(await task.value == .ok) }
    }

    /// The metrics route goes through the limit: a scrape while another renders gets node_exporter's 503.
    @Test func metricsRouteIsLimited() async throws {
        let rendering = Gate()
        let finish = DispatchSemaphore(value: 0)
        let store = InventoryStore()
        let routes = AgentRoutes(
            metrics: MetricsSource(
                store: store, registry: PrometheusCollectorRegistry(), process: { nil },
                beforeRender: {
                    rendering.open()
                    _ = finish.wait(timeout: .now() + 20)
                }),
            store: store, telemetryPath: "/metrics", version: "test", maxRequests: 1)
        let router = Router()
        routes.register(on: router)
        try await Application(router: router).test(.router) { client in
            async let first = client.execute(uri: "/metrics", method: .get) { $0.status }
            await rendering.wait()
            let (status, body) = try await client.execute(uri: "/metrics", method: .get) {
                ($0.status, String(buffer: $0.body))
            }
            finish.signal()
            #expect(status == .serviceUnavailable)
            #expect(body == "Limit of concurrent requests reached (1), try again later.\n")
            #expect(try await first == .ok)
        }
    }
}
