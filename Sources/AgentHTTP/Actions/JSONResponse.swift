import Foundation
import Hummingbird

/// JSON bodies for the action API. Errors carry a short reason and never echo the request.
enum JSONResponse {
    static func make<T: Encodable>(_ status: HTTPResponse.Status, _ value: T, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var fields = headers
        fields[.contentType] = "application/json"
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data + [0x0A])))
    }

    static func error(_ status: HTTPResponse.Status, _ reason: String, headers: HTTPFields = [:]) -> Response {
        make(status, ["error": reason], headers: headers)
    }
}

/// A refusal that becomes a JSON error response.
struct APIFailure: Error {
    var status: HTTPResponse.Status
    var reason: String
    var headers: HTTPFields = [:]

    var response: Response { JSONResponse.error(status, reason, headers: headers) }
}
