import Yams

extension WebConfiguration {
    /// The toolkit allows only these headers, and fixes the values of the two that are enumerations, to keep the
    /// Prometheus ecosystem consistent; the same file must mean the same thing here as for node_exporter.
    static let allowedHeaders: [String: Set<String>?] = [
        "Strict-Transport-Security": nil,
        "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"],
        "X-XSS-Protection": nil,
        "Content-Security-Policy": nil,
    ]

    static func parseHTTPServerConfig(
        _ node: Node, at path: String, context: YAMLContext
    ) throws -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for entry in try context.mapping(node, at: path, allowedKeys: ["http2", "headers"]) {
            switch entry.key {
            case "http2":
                // HTTP/2 is not served whatever this says (see WebConfiguration); only the type is checked.
                _ = try context.bool(entry.value, at: entry.path)
            default:
                if entry.value.isNull { continue }
                for header in try context.mapping(entry.value, at: entry.path, allowedKeys: nil) {
                    headers.append(try Self.header(header, context: context))
                }
            }
        }
        return headers
    }

    private static func header(_ entry: YAMLEntry, context: YAMLContext) throws -> (name: String, value: String) {
        guard let allowedValues = Self.allowedHeaders[entry.key] else {
            let known = Self.allowedHeaders.keys.sorted().joined(separator: ", ")
            throw context.error("this header cannot be configured (allowed: \(known))", at: entry.path, entry.keyNode)
        }
        let value = try context.string(entry.value, at: entry.path) ?? ""
        if let allowedValues, !allowedValues.contains(value) {
            throw context.error(
                "invalid value \"\(value)\" (expected one of \(allowedValues.sorted().joined(separator: ", ")))",
                at: entry.path, entry.value)
        }
        // A line break would let the file inject further headers or split the response.
        if value.isEmpty || value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            throw context.error("the value must be non-empty and on one line", at: entry.path, entry.value)
        }
        return (entry.key, value)
    }
}
