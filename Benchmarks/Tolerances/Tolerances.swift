import Benchmark

/// What every micro benchmark measures, and how far its p90 may stray from the reference p90 stored in
/// Benchmarks/Thresholds before `swift package benchmark thresholds check` fails the run.
///
/// The package keeps the reference figures in those files, not in code: what code decides is the
/// tolerance. Each tolerance sits between the noise a healthy build shows on a shared two-core machine
/// and the smallest regression worth stopping for.
public enum Tolerances {
    /// Throughput is there for the table only: bench/micro.sh records no reference for it, as it is wall
    /// clock turned upside down and would fail a quiet run as "better" past 1.6 times the reference.
    public static var metrics: [BenchmarkMetric] {
        [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident]
    }

    public static var thresholds: [BenchmarkMetric: BenchmarkThresholds] {
        [
            // Up to 2.5 times the reference passes, room for a build or a test run sharing the two cores;
            // 3 times fails. Above 100 %, no faster run can count as a deviation.
            .wallClock: BenchmarkThresholds(relative: [.p90: 150]),
            // The same bound seen from the other side (2.5 times slower is 60 % fewer per second), in
            // force only where a reference file carries throughput: without it the check would be exact.
            .throughput: BenchmarkThresholds(relative: [.p90: 60]),
            // Counted, not timed: the same code gives the same count within a few. 1.5 times fails, so a
            // doubling fails with room to spare, while one more allocation per domain or alert passes.
            .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 50]),
            // Mostly the harness and the fixture, so it hardly moves: twice the reference is a leak or a
            // copy of the whole input or output, not noise.
            .peakMemoryResident: BenchmarkThresholds(relative: [.p90: 100]),
        ]
    }

    public static func configuration(maxDuration: Duration, maxIterations: Int) -> Benchmark.Configuration {
        Benchmark.Configuration(
            metrics: metrics,
            warmupIterations: 3,
            maxDuration: maxDuration,
            maxIterations: maxIterations,
            thresholds: thresholds
        )
    }
}
