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

    private let verifier: BasicAuthVerifier?
    private let headers: HTTPFields
    private let bypass: @Sendable (Request) -> Bool

    public init(configuration: WebConfiguration, bypass: @escaping @Sendable (Request) -> Bool = { _ in false }) {
        self.verifier = BasicAuthVerifier(users: configuration.basicAuthUsers)
        var headers = HTTPFields()
        for header in configuration.headers {
            // Parsed files only contain the toolkit's allowed names; a bad one can only come from code.
            guard let name = HTTPField.Name(header.name) else {
                preconditionFailure("invalid HTTP header name in WebConfiguration.headers: \(header.name)")
            }
            headers[name] = header.value
        }
        self.headers = headers
        self.bypass = bypass
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let verifier = self.verifier, !self.bypass(request) {
            let credentials = BasicCredentials(authorization: request.headers[.authorization])
            var admitted = false
            if let credentials {
                admitted = await verifier.verify(user: credentials.user, password: credentials.password)
            }
            guard admitted else { return self.addingHeaders(to: Self.unauthorized()) }
        }
        do {
            return self.addingHeaders(to: try await next(request, context))
        } catch let error as any HTTPResponseError {
            return self.addingHeaders(to: try error.response(from: request, context: context))
        }
    }

    private func addingHeaders(to response: Response) -> Response {
        var response = response
        // The operator's file wins over whatever a handler set.
        for field in self.headers { response.headers[field.name] = field.value }
        return response
    }

    private static func unauthorized() -> Response {
        Response(
            status: .unauthorized,
            headers: [.wwwAuthenticate: "Basic realm=\"\(Self.realm)\"", .contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "Unauthorized\n")))
    }
}
