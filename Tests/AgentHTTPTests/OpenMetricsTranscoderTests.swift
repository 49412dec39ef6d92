import Testing

@testable import AgentHTTP

@Suite struct OpenMetricsTranscoderTests {
    @Test func countersUnitsAndEOF() {
        let text = """
            # HELP kvm_domain_cpu_time_seconds_total CPU time "used" by the domain, \\\\ and \\n.
            # TYPE kvm_domain_cpu_time_seconds_total counter
            kvm_domain_cpu_time_seconds_total{domain="a\\"b"} 12.5
            # HELP kvm_domain_memory_bytes Memory.
            # TYPE kvm_domain_memory_bytes gauge
            kvm_domain_memory_bytes{domain="a"} 1024

            # HELP kvm_things Odd counter without the suffix.
            # TYPE kvm_things counter
            kvm_things 3
            # TYPE kvm_mystery untyped
            kvm_mystery 1
            # a comment

            """
        let expected = """
            # HELP kvm_domain_cpu_time_seconds CPU time \\"used\\" by the domain, \\\\ and \\n.
            # TYPE kvm_domain_cpu_time_seconds counter
            # UNIT kvm_domain_cpu_time_seconds seconds
            kvm_domain_cpu_time_seconds_total{domain="a\\"b"} 12.5
            # HELP kvm_domain_memory_bytes Memory.
            # TYPE kvm_domain_memory_bytes gauge
            # UNIT kvm_domain_memory_bytes bytes
            kvm_domain_memory_bytes{domain="a"} 1024
            # HELP kvm_things Odd counter without the suffix.
            # TYPE kvm_things unknown
            kvm_things 3
            # TYPE kvm_mystery unknown
            kvm_mystery 1
            # EOF

            """
        #expect(OpenMetricsTranscoder.transcode(text) == expected)
    }

    @Test func emptyExpositionIsJustEOF() {
        #expect(OpenMetricsTranscoder.transcode("") == "# EOF\n")
    }

    /// A unit word inside a name is no unit: only the final suffix counts.
    @Test func unitOnlyAsSuffix() {
        let out = OpenMetricsTranscoder.transcode("# TYPE kvm_bytes_read gauge\nkvm_bytes_read 1\n")
        #expect(!out.contains("# UNIT"))
    }
}
