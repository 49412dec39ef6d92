import Foundation
import Hummingbird
import KVMCore
import NIOCore
import Remediation

/// The action API: the Alertmanager webhook, manual start/shutdown/release, and the action list.
/// Every route needs a bearer token with the right scope; bad input gets a 4xx with a short reason and
/// changes nothing.
public struct ActionRoutes: Sendable {
    let engine: RemediationEngine
    /// The tokens in force when a request arrives (the file is re-read on SIGHUP).
    let tokens: @Sendable () -> AccessTokens
    let bodyLimit: Int

    public init(engine: RemediationEngine, tokens: AccessTokens, bodyLimit: Int = 1 << 20) {
        self.init(engine: engine, currentTokens: { tokens }, bodyLimit: bodyLimit)
    }

    public init(engine: RemediationEngine, currentTokens: @escaping @Sendable () -> AccessTokens, bodyLimit: Int) {
        self.engine = engine
        self.tokens = currentTokens
        self.bodyLimit = bodyLimit
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.post("/api/v1/alertmanager") { request, _ in
            await self.answer { try await self.webhook(request) }
        }
        for action in RemediationAction.allCases {
            router.post("/api/v1/domains/:domain/\(action.rawValue)") { request, context in
                await self.answer { try await self.manual(action, request, domain: context.parameters.get("domain")) }
            }
        }
        router.post("/api/v1/domains/:domain/maintenance") { request, context in
            await self.answer { try await self.startMaintenance(request, domain: context.parameters.get("domain")) }
        }
        router.delete("/api/v1/domains/:domain/maintenance") { request, context in
            await self.answer { try self.endMaintenance(request, domain: context.parameters.get("domain")) }
        }
        router.post("/api/v1/maintenance") { request, _ in
            await self.answer { try await self.startMaintenance(request, domain: nil) }
        }
        router.delete("/api/v1/maintenance") { request, _ in
            await self.answer { try self.endMaintenance(request, domain: nil) }
        }
        router.post("/api/v1/domains/:domain/release") { request, context in
            await self.answer { try self.release(request, domain: context.parameters.get("domain")) }
        }
        router.get("/api/v1/actions") { request, _ in
            await self.answer {
                _ = try self.authenticate(request, needs: .api)
                let limit = request.uri.queryParameters.get("limit", as: Int.self).map { min(max($0, 1), 1000) } ?? 100
                return JSONResponse.make(.ok, ["actions": self.engine.recentActions(limit: limit)])
            }
        }
        router.get("/api/v1/actions/:id") { request, context in
            await self.answer {
                _ = try self.authenticate(request, needs: .api)
                guard let id = context.parameters.get("id"), let record = self.engine.action(id: id) else {
                    throw APIFailure(status: .notFound, reason: "no action with this id")
                }
                return JSONResponse.make(.ok, record)
            }
        }
    }

    private func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let failure as APIFailure {
            return failure.response
        } catch let unavailable as RemediationEngine.Unavailable {
            // Alertmanager retries a 503; nothing was decided.
            return JSONResponse.error(.serviceUnavailable, unavailable.description)
        } catch let unknown as RemediationEngine.UnknownDomain {
            return JSONResponse.error(.notFound, unknown.description)
        } catch {
            return JSONResponse.error(.badRequest, "request could not be read")
        }
    }

    private func webhook(_ request: Request) async throws -> Response {
        let principal = try authenticate(request, needs: .webhook)
        let body = try await readJSONBody(request, required: true)
        let message: WebhookMessage
        do {
            message = try WebhookMessage.decode(body)
        } catch let error as WebhookDecodingError {
            throw APIFailure(status: .badRequest, reason: error.reason)
        }
        let records = try engine.handle(message, from: .webhook(principal.name))
        return JSONResponse.make(.ok, ["decisions": records])
    }

    private func manual(_ action: RemediationAction, _ request: Request, domain: String?) async throws -> Response {
        let principal = try authenticate(request, needs: .api)
        let body = try await readJSONBody(request, required: false)
        let options = try ManualBody.decode(body)
        let record = try engine.request(action, domain: domain ?? "", options: options, from: .api(principal.name))
        let status: HTTPResponse.Status =
            switch record.decision.kind {
            case .queued: .accepted
            case .nothingToDo, .dryRun, .cancelled: .ok
            case .skipped, .maintenance: .conflict
            }
        return JSONResponse.make(status, record)
    }

    private func release(_ request: Request, domain: String?) throws -> Response {
        let principal = try authenticate(request, needs: .api)
        let released = try engine.release(domain ?? "", from: .api(principal.name))
        return JSONResponse.make(.ok, ["released": released])
    }

    /// `{"duration_seconds": 3600, "reason": "kernel update"}`: both required.
    private func startMaintenance(_ request: Request, domain: String?) async throws -> Response {
        let principal = try authenticate(request, needs: .api)
        let body = try await readJSONBody(request, required: true)
        let (seconds, reason) = try MaintenanceBody.decode(body)
        let window = try engine.startMaintenance(domain, seconds: seconds, reason: reason, from: .api(principal.name))
        return JSONResponse.make(.ok, MaintenanceBody.Answer(window, domain: domain))
    }

    /// 409 when there is no maintenance to end.
    private func endMaintenance(_ request: Request, domain: String?) throws -> Response {
        let principal = try authenticate(request, needs: .api)
        guard try engine.endMaintenance(domain, from: .api(principal.name)) else {
            throw APIFailure(status: .conflict, reason: "\(domain ?? "the host") is not in maintenance")
        }
        return JSONResponse.make(.ok, ["ended": true])
    }

    /// 401 without a valid token, 403 for a token without the scope. The action list names domains, UUIDs,
    /// fingerprints and principals: it needs `api`, like the actions themselves.
    func authenticate(_ request: Request, needs scope: AccessTokens.Scope) throws -> AccessTokens.Principal {
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"kvm-agent\""]
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else {
            throw APIFailure(status: .unauthorized, reason: "a bearer token is required", headers: challenge)
        }
        guard let principal = tokens().authenticate(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        else {
            throw APIFailure(status: .unauthorized, reason: "the bearer token is not valid", headers: challenge)
        }
        if !principal.scopes.contains(scope) {
            throw APIFailure(status: .forbidden, reason: "the token lacks the \(scope.rawValue) scope")
        }
        return principal
    }

    /// The body, checked for size and media type. An empty optional body needs no content type.
    func readJSONBody(_ request: Request, required: Bool) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > bodyLimit {
            throw APIFailure(status: .contentTooLarge, reason: "body larger than \(bodyLimit) bytes")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            throw APIFailure(status: .contentTooLarge, reason: "body larger than \(bodyLimit) bytes")
        }
        if buffer.readableBytes == 0 && !required { return [] }
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw APIFailure(status: .unsupportedMediaType, reason: "Content-Type must be application/json")
        }
        guard buffer.readableBytes > 0 else { throw APIFailure(status: .badRequest, reason: "empty body") }
        return Array(buffer.readableBytesView)
    }
}

/// The optional body of a manual start or shutdown.
enum ManualBody {
    private struct Wire: Decodable {
        var force_after_seconds: Double?
        var dry_run: Bool?
    }

    static func decode(_ body: [UInt8]) throws -> ManualOptions {
        guard !body.isEmpty else { return ManualOptions() }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(body))
        } catch {
            throw APIFailure(
                status: .badRequest,
                reason: "body must be an object with force_after_seconds (number) and dry_run (bool)")
        }
        if let seconds = wire.force_after_seconds, !(seconds.isFinite && seconds >= 0 && seconds <= 86_400) {
            throw APIFailure(status: .badRequest, reason: "force_after_seconds must be from 0 to 86400")
        }
        return ManualOptions(forceAfterSeconds: wire.force_after_seconds, dryRun: wire.dry_run)
    }
}

/// The body of a maintenance request, and the answer.
enum MaintenanceBody {
    private struct Wire: Decodable {
        var duration_seconds: Double
        var reason: String
    }

    struct Answer: Encodable {
        var scope: String
        var domain: String?
        var setBy: String
        var reason: String
        var since: String
        var until: String

        init(_ window: MaintenanceWindow, domain: String?) {
            scope = domain == nil ? "host" : "domain"
            self.domain = domain == nil ? nil : window.name
            setBy = window.setBy
            reason = window.reason
            since = UTCTimestamp.format(window.since)
            until = UTCTimestamp.format(window.until)
        }

        enum CodingKeys: String, CodingKey {
            case scope, domain, reason, since, until
            case setBy = "set_by"
        }
    }

    static func decode(_ body: [UInt8]) throws -> (Double, String) {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(body))
        } catch {
            throw APIFailure(
                status: .badRequest, reason: "body must be an object with duration_seconds (number) and reason (string)"
            )
        }
        let longest = MaintenanceWindow.longest
        guard wire.duration_seconds.isFinite, wire.duration_seconds >= 1, wire.duration_seconds <= longest else {
            throw APIFailure(status: .badRequest, reason: "duration_seconds must be from 1 to \(Int(longest))")
        }
        let reason = wire.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty, reason.count <= MaintenanceWindow.reasonLimit,
            !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw APIFailure(
                status: .badRequest,
                reason: "reason must be 1 to \(MaintenanceWindow.reasonLimit) characters, without control characters")
        }
        return (wire.duration_seconds, reason)
    }
}
