import Hummingbird

/// Counts every request by the route it matched and the status it got, for
/// `kvm_agent_http_requests_total`. Unmatched paths count as one endpoint so that scanners cannot create
/// a series per path.
public struct RequestCounting<Context: RequestContext>: RouterMiddleware {
    let record: @Sendable (_ endpoint: String, _ code: Int) -> Void

    public init(record: @escaping @Sendable (_ endpoint: String, _ code: Int) -> Void) {
        self.record = record
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            let response = try await next(request, context)
            record(context.endpointPath ?? "other", response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            record(context.endpointPath ?? "other", error.status.code)
            throw error
        } catch {
            record(context.endpointPath ?? "other", 500)
            throw error
        }
    }
}
