// swift-tools-version:6.1
import Foundation
import PackageDescription

// A package of its own, so that the benchmark tooling and its malloc interposer never enter the
// agent's build. `swift package --package-path Benchmarks benchmark`, or bench/micro.sh from the root.

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// SwiftPM names a path dependency after its folder, which is whatever the clone was called.
let agent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

/// A benchmark executable in the folder of its name, measuring one of the agent's library products.
func benchmark(_ name: String, measuring product: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "Tolerances",
            .product(name: product, package: agent),
            .product(name: "Benchmark", package: "benchmark"),
        ],
        path: name,
        swiftSettings: upcoming,
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "kvm-agent-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // MallocInterposer alone: malloc counts on Swift 6.3 without jemalloc. The other default trait,
        // RuntimeInterposer, serves only the ARC metrics, which these benchmarks do not take; leaving it
        // out also leaves out swift-runtime-interposer, a package this machine has no copy of.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The metrics and regression tolerances all benchmarks share.
        .target(
            name: "Tolerances",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "Tolerances",
            swiftSettings: upcoming
        ),
        // Prometheus exposition of a large inventory, as one scrape of /metrics renders it.
        benchmark("Exposition", measuring: "KVMCore"),
        // Alertmanager webhook bodies, decoded as POST /api/v1/alertmanager decodes them.
        benchmark("WebhookDecoding", measuring: "Remediation"),
    ],
    swiftLanguageModes: [.v6]
)
