import Testing

@testable import AgentHTTP

@Suite struct AcceptEncodingTests {
    @Test(arguments: [
        ("gzip", true), ("gzip, deflate, br", true), ("deflate, gzip;q=0.5", true), ("*", true),
        ("GZIP", true), ("gzip;q=0", false), ("gzip; q=0.0", false), ("deflate", false), ("", false),
        ("identity", false),
    ])
    func gzipIsUsedOnlyWhenAccepted(header: String, expected: Bool) {
        #expect(AgentRoutes.acceptsGzip(header) == expected)
    }

    @Test func noHeaderMeansNoGzip() {
        #expect(!AgentRoutes.acceptsGzip(nil))
    }
}
