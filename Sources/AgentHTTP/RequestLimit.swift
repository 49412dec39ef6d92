import Hummingbird
import Synchronization

/// `--web.max-requests`: at most `limit` requests inside at once; the one over it gets 503 at once, as
/// node_exporter's promhttp handler answers (a scraper retries next interval rather than queueing behind a slow
/// render).
public final class RequestLimit: Sendable {
    public let limit: Int
    private let inside = Atomic<Int>(0)

    /// `limit` 0 means no limit.
    public init(limit: Int) {
        self.limit = limit
    }

    public func run(_ body: () async throws -> Response) async rethrows -> Response {
        guard self.limit > 0 else { return try await body() }
        let (_, admitted) = self.inside.wrappingAdd(1, ordering: .relaxed)
        defer { self.inside.wrappingSubtract(1, ordering: .relaxed) }
        guard admitted <= self.limit else { return self.rejection() }
        return try await body()
    }

    private func rejection() -> Response {
        Response(
            status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string: "Limit of concurrent requests reached (\(self.limit)), try again later.\n")))
    }
}
