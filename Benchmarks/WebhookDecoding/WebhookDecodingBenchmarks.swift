import Benchmark
import Remediation
import Tolerances

let benchmarks: @Sendable () -> Void = {
    for size in [1, 100] {
        Benchmark(
            "decode-\(size)-alert\(size == 1 ? "" : "s")",
            configuration: Tolerances.configuration(maxDuration: .seconds(2), maxIterations: 20_000)
        ) { benchmark, body in
            for _ in benchmark.scaledIterations {
                blackHole(try WebhookMessage.decode(body))
            }
        } setup: {
            let body = try Notification.group(size: size).body()
            // Timing the rejection path instead would pass unnoticed.
            let decoded = try WebhookMessage.decode(body)
            precondition(decoded.alerts.count == size, "payload for \(size) alerts decodes to \(decoded.alerts.count)")
            return body
        }
    }
}
