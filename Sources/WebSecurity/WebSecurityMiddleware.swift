import HTTPTypes
import Hummingbird

/// Applies basic auth (when `basic_auth_users` is configured) and the configured response headers to every request
/// that passes through the router.
///
/// `bypass` exempts requests that carry their own credentials (the action API's bearer tokens): for those the
/// basic-auth check is skipped, but the headers are still added. Errors thrown by later handlers that Hummingbird
/// would turn into responses (`HTTPResponseError`, e.g. 404) are turned into responses here so they carry the headers
/// too; other errors propagate untouched and become Hummingbird's plain 500.
public struct WebSecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    static var realm: String { "kvm-agent" }

    private let state: WebSecurityState
    private let bypass: @Sendable (Request) -> Bool

    /// Fixed to `configuration`.
    public init(configuration: WebConfiguration, bypass: @escaping @Sendable (Request) -> Bool = { _ in false }) throws
    {
        self.init(state: try WebSecurityState(configuration), bypass: bypass)
    }

    /// Whatever `state` holds when each request arrives.
    public init(state: WebSecurityState, bypass: @escaping @Sendable (Request) -> Bool = { _ in false }) {
        self.state = state
        self.bypass = bypass
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let current = self.state.snapshot
        if let verifier = current.verifier, !self.bypass(request) {
            let credentials = BasicCredentials(authorization: request.headers[.authorization])
            var admitted = false
            if let credentials {
                admitted = await verifier.verify(user: credentials.user, password: credentials.password)
            }
            guard admitted else { return Self.adding(current.headers, to: Self.unauthorized()) }
        }
        do {
            return Self.adding(current.headers, to: try await next(request, context))
        } catch let error as any HTTPResponseError {
            return Self.adding(current.headers, to: try error.response(from: request, context: context))
        }
    }

    private static func adding(_ headers: HTTPFields, to response: Response) -> Response {
        var response = response
        // The operator's file wins over whatever a handler set.
        for field in headers { response.headers[field.name] = field.value }
        return response
    }

    private static func unauthorized() -> Response {
        Response(
            status: .unauthorized,
            headers: [.wwwAuthenticate: "Basic realm=\"\(Self.realm)\"", .contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "Unauthorized\n")))
    }
}
