import CompressNIO
import Foundation
import Hummingbird
import KVMCore

/// The agent's HTTP surface: metrics, a landing page, liveness and readiness.
public struct AgentRoutes: Sendable {
    public var metrics: MetricsSource
    public var store: InventoryStore
    public var telemetryPath: String
    public var version: String

    public init(metrics: MetricsSource, store: InventoryStore, telemetryPath: String, version: String) {
        self.metrics = metrics
        self.store = store
        self.telemetryPath = telemetryPath
        self.version = version
    }

    static let textFormat = "text/plain; version=0.0.4; charset=utf-8"

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get(RouterPath(telemetryPath)) { request, _ in
            try self.metricsResponse(request)
        }
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: self.landingPage())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ in
            let up = self.store.snapshot().libvirtUp
            return Response(
                status: up ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: up ? "ready\n" : "libvirt is not connected\n")))
        }
    }

    func metricsResponse(_ request: Request) throws -> Response {
        var body = ByteBuffer(string: metrics.render())
        var headers: HTTPFields = [.contentType: Self.textFormat]
        if Self.acceptsGzip(request.headers[.acceptEncoding]) {
            body = try body.compress(with: .gzip())
            headers[.contentEncoding] = "gzip"
        }
        headers[.vary] = "Accept-Encoding"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// True when the header lists gzip (or `*`) with a quality above zero.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { part in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = fields.first, coding == "gzip" || coding == "*" else { return false }
            let quality = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }

    func landingPage() -> String {
        """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>kvm-agent</title></head>
        <body>
        <h1>kvm-agent</h1>
        <p>Monitoring for this KVM host's libvirt domains. Version \(version).</p>
        <ul>
        <li><a href="\(telemetryPath)">Metrics</a></li>
        <li><a href="/healthz">Health</a></li>
        <li><a href="/readyz">Readiness</a> (not ready while libvirt is down)</li>
        </ul>
        </body></html>

        """
    }
}
