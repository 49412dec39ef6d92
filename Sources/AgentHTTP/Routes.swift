import CompressNIO
import Foundation
import Hummingbird
import KVMCore
import Remediation

/// The agent's HTTP surface: metrics, a landing page, liveness and readiness.
public struct AgentRoutes: Sendable {
    public var metrics: MetricsSource
    public var store: InventoryStore
    public var telemetryPath: String
    public var version: String
    /// Recent remediation decisions and actions for the status page; empty when the action module is off.
    public var recentActions: @Sendable () -> [ActionRecord]
    /// Why remediation cannot work now (its audit log or state file cannot be written), or nil; always nil
    /// when the action module is off.
    public var remediationProblem: @Sendable () -> String?
    public var remediationHolds: @Sendable () -> [RemediationHold] = { [] }
    /// `--web.max-requests` on the metrics endpoint.
    public var metricsLimit: RequestLimit

    public init(
        metrics: MetricsSource, store: InventoryStore, telemetryPath: String, version: String,
        recentActions: @escaping @Sendable () -> [ActionRecord] = { [] },
        remediationProblem: @escaping @Sendable () -> String? = { nil }, maxRequests: Int = 0
    ) {
        self.metricsLimit = RequestLimit(limit: maxRequests)
        self.metrics = metrics
        self.store = store
        self.telemetryPath = telemetryPath
        self.version = version
        self.recentActions = recentActions
        self.remediationProblem = remediationProblem
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get(RouterPath(telemetryPath)) { request, _ in
            try await self.metricsLimit.run { try self.metricsResponse(request) }
        }
        router.head(RouterPath(telemetryPath)) { request, _ in
            try await self.metricsLimit.run { try self.metricsResponse(request).createHeadResponse() }
        }
        Self.getAndHead(router, "/") { _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: self.statusPage())))
        }
        Self.getAndHead(router, "/healthz") { _ in Self.plainText(.ok, "ok\n") }
        Self.getAndHead(router, "/readyz") { _ in self.readiness() }
    }

    /// 200 when the agent serves true figures (libvirt connected and a collector pass finished since) and,
    /// with remediation on, its audit log and state file can be written; otherwise 503 with one line per
    /// problem.
    func readiness() -> Response {
        var problems: [String] = []
        if let problem = store.snapshot().readinessProblem { problems.append(problem) }
        if let problem = remediationProblem() { problems.append(problem) }
        return Self.plainText(
            problems.isEmpty ? .ok : .serviceUnavailable,
            problems.isEmpty ? "ready\n" : problems.joined(separator: "\n") + "\n")
    }

    /// Routes GET and HEAD for `path`: Hummingbird's router matches only the method a route was registered for,
    /// and HEAD must answer like GET, headers and Content-Length included, without the body.
    private static func getAndHead<Context: RequestContext>(
        _ router: Router<Context>, _ path: RouterPath, _ respond: @escaping @Sendable (Request) throws -> Response
    ) {
        router.get(path) { request, _ in try respond(request) }
        router.head(path) { request, _ in try respond(request).createHeadResponse() }
    }

    private static func plainText(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func metricsResponse(_ request: Request) throws -> Response {
        let format = MetricsFormat.negotiate(accept: request.headers[.accept])
        var body =
            format == .openMetrics
            ? ByteBuffer(string: OpenMetricsTranscoder.transcode(metrics.render())) : ByteBuffer(bytes: metrics.body())
        var headers: HTTPFields = [.contentType: format.contentType]
        if Self.acceptsGzip(request.headers[.acceptEncoding]) {
            // Prometheus asks for gzip on every scrape. zlib's fastest level takes a third of the default
            // level's time on a 100-domain exposition (1.3 against 3.7 ms, bench/profile.sh) for a body 17 %
            // larger (27 against 23 KB of 350 KB).
            body = try body.compress(with: .gzip(configuration: .init(compressionLevel: .fastestCompression)))
            headers[.contentEncoding] = "gzip"
        }
        headers[.vary] = "Accept, Accept-Encoding"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// True when the header lists gzip (or `*`) with a quality above zero.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { part in
            let fields = part.split(separator: ";").map { $0.trimmingBlanks().lowercased() }
            guard let coding = fields.first, coding == "gzip" || coding == "*" else { return false }
            let quality = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }

    func statusPage() -> String {
        StatusPage(version: version, telemetryPath: telemetryPath).render(
            store.snapshot(), actions: recentActions(), holds: remediationHolds(), now: Date().timeIntervalSince1970)
    }
}
