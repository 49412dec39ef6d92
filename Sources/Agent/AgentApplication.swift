import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import WebSecurity

/// The agent as a Hummingbird application that serves on ``HTTPListeners`` (several addresses, sockets from
/// systemd) when run itself. Under HummingbirdTesting, which runs an application through its parts (`responder`,
/// `server`, `configuration`), it is an ordinary Hummingbird application on the test's address.
public struct AgentApplication: ApplicationProtocol {
    public typealias Responder = RouterResponder<BasicRequestContext>

    public let responder: Responder
    public let configuration: ApplicationConfiguration
    public let logger: Logger
    public let services: [any Service]
    let childChannel: @Sendable (@escaping HTTPChannelHandler.Responder) throws -> any ServerChildChannel
    let listeners: [HTTPListeners.Source]
    /// Runs once the server listens: on each of its listening channels here, on the only one under a test.
    let listening: @Sendable ([any Channel]) async -> Void

    public var server: HTTPServerBuilder { HTTPServerBuilder(self.childChannel) }

    public func onServerRunning(_ channel: any Channel) async {
        // Hummingbird's server has no hook for the listening channel's handlers; HTTPListeners adds this itself.
        try? await AcceptPause.install(on: channel)
        await self.listening([channel])
    }

    public func run() async throws {
        let responder = self.responder
        let logger = self.logger
        let serverName = self.configuration.serverName
        let dates = HTTPDateHeader()
        let childChannel = try self.childChannel { request, writer, channel in
            let context = BasicRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch {
                logger.debug("request failed", metadata: ["error": "\(error)"])
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = dates.now()
            if let serverName { response.headers[.server] = serverName }
            try await writer.write(response: response.head, body: response.body)
        }
        let server = HTTPListeners(
            sources: self.listeners, childChannel: childChannel, logger: logger, onRunning: self.listening)
        try await ServiceGroup(configuration: .init(services: self.services + [server], logger: logger)).run()
    }
}
