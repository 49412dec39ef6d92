import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import WebSecurity

@Suite struct CloseAfterUnreadBodyTests {
    static let post = HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: "a", path: "/api"))

    static func connected() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: CloseAfterUnreadBody(linger: .milliseconds(500)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func respond(_ channel: EmbeddedChannel, _ status: HTTPResponse.Status) throws -> HTTPResponse? {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: status)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        guard case .head(let response) = try channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
        return response
    }

    @Test func anAnswerBeforeTheBodyEndsClosesTheConnection() throws {
        let channel = try Self.connected()
        try channel.writeInbound(Self.post)
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "{\"alerts\":")))
        let response = try Self.respond(channel, .contentTooLarge)
        #expect(response?.headerFields[.connection] == "close")
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func anAnswerAfterTheWholeRequestKeepsTheConnection() throws {
        let channel = try Self.connected()
        try channel.writeInbound(Self.post)
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "{}")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        let response = try Self.respond(channel, .badRequest)
        #expect(response?.headerFields[.connection] == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    @Test func aResponseThatAsksForCloseIsHonoured() throws {
        let channel = try Self.connected()
        try channel.writeInbound(Self.post)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeOutbound(
            HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.connection: "close"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func pipelinedRequestsAreMatchedToTheirAnswers() throws {
        let channel = try Self.connected()
        try channel.writeInbound(Self.post)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeInbound(Self.post)
        // The first request was whole: its answer keeps the connection; the second's body is still coming.
        #expect(try Self.respond(channel, .ok)?.headerFields[.connection] == nil)
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        #expect(channel.isActive)
        #expect(try Self.respond(channel, .unauthorized)?.headerFields[.connection] == "close")
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }
}
