import Benchmark
import KVMCore
import Tolerances

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "render-1000-domains",
        configuration: Tolerances.configuration(maxDuration: .seconds(4), maxIterations: 200)
    ) { benchmark, inventory in
        let renderer = InventoryRenderer()
        for _ in benchmark.scaledIterations {
            blackHole(renderer.render(inventory))
        }
    } setup: {
        let inventory = try Fleet(domains: 1_000).inventory()
        // A fixture that went wrong would time a near-empty page and pass every check.
        let sampled = inventory.domains.values.filter { $0.stats != nil && $0.config != nil }
        precondition(inventory.domains.count == 1_000 && sampled.count == 750, "fleet fixture is incomplete")
        return inventory
    }
}
