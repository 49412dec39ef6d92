import Testing

@testable import AgentHTTP

/// The Accept header decides the format, as Prometheus's Go client decides it.
@Suite struct MetricsFormatTests {
    /// What Prometheus 3 sends for each `scrape_protocols` setting, and what Prometheus 2 always sends.
    @Test(arguments: [
        // Prometheus 3, scrape_protocols: [OpenMetricsText1.0.0]
        ("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.1", MetricsFormat.openMetrics),
        // Prometheus 3 default order
        (
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
                + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
                + "text/plain;version=0.0.4;q=0.2,*/*;q=0.1", .openMetrics
        ),
        // Prometheus 3, scrape_protocols: [PrometheusText0.0.4]
        ("text/plain;version=0.0.4;q=0.5,*/*;q=0.1", .text),
        // Prometheus 2
        (
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", .openMetrics
        ),
        // Text preferred by quality even though listed second.
        ("application/openmetrics-text; version=1.0.0; q=0.2, text/plain; version=0.0.4; q=0.9", .text),
        ("application/openmetrics-text", .openMetrics),
        ("Application/OpenMetrics-Text; Version=\"1.0.0\"", .openMetrics),
        // A version we do not write is passed over.
        ("application/openmetrics-text;version=2.0.0,text/plain;q=0.1", .text),
        ("application/openmetrics-text;version=1.0.0;q=0", .text),
        ("application/openmetrics-text;version=1.0.0;q=abc", .text),
        ("application/json", .text),
        ("", .text),
        ("*/*", .text),
    ])
    func negotiation(accept: String, expected: MetricsFormat) {
        #expect(MetricsFormat.negotiate(accept: accept) == expected)
    }

    @Test func noHeaderIsText() {
        #expect(MetricsFormat.negotiate(accept: nil) == .text)
    }

    @Test func contentTypesAreExact() {
        #expect(MetricsFormat.text.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(MetricsFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }
}
