import StrictYAML

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

    static func parseHTTPServerConfig(_ value: YAMLValue) throws -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for entry in try value.entries(keys: ["http2", "headers"]) {
            switch entry.key {
            case "http2":
                // HTTP/2 is not served whatever this says (see WebConfiguration); only the type is checked.
                _ = try entry.value.bool()
            default:
                for header in try entry.value.entries(keys: nil) {
                    headers.append(try Self.header(header))
                }
            }
        }
        return headers
    }

    private static func header(_ entry: YAMLEntry) throws -> (name: String, value: String) {
        guard let allowedValues = Self.allowedHeaders[entry.key] else {
            let known = Self.allowedHeaders.keys.sorted().joined(separator: ", ")
            throw entry.keyProblem("this header cannot be configured (allowed: \(known))")
        }
        let value = try entry.value.string()
        if let allowedValues, !allowedValues.contains(value) {
            throw entry.value.problem(
                "invalid value \"\(value)\" (expected one of \(allowedValues.sorted().joined(separator: ", ")))")
        }
        // A line break would let the file inject further headers or split the response.
        if value.isEmpty || value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            throw entry.value.problem("the value must be non-empty and on one line")
        }
        return (entry.key, value)
    }
}
