import Logging
import Synchronization

extension Collector {
    /// With `--collector.balloon-period`: gives each running domain whose balloon has no statistics period
    /// that period, on the running domain only (its definition is left alone), so that the guest's memory
    /// figures move. Logged once per domain and start; a refusal is logged once and tried again next pass.
    func setMissingBalloonPeriods() async {
        guard let period = options.balloonPeriod else { return }
        let seconds = max(1, Int(exactly: period.components.seconds) ?? 1)
        let due = store.snapshot().sortedDomains.filter {
            $0.state.isActive && !$0.configStale && $0.config?.memoryStatsPeriodSeconds == 0 && !isStuck($0.ref.uuid)
        }.map(\.ref)
        _ = await concurrentMap(due, limit: options.concurrency) { ref in
            do {
                try await self.call("set memory stats period", key: ref.uuid) {
                    try await $0.setMemoryStatsPeriod(ref, seconds: seconds)
                }
                self.store.update { $0.domains[ref.uuid]?.config?.memoryStatsPeriodSeconds = Double(seconds) }
                self.balloonPeriodRefused.withLock { _ = $0.remove(ref.uuid) }
                self.logger.info(
                    "set the balloon statistics period of a running domain that had none (--collector.balloon-period)",
                    metadata: ["domain": "\(ref.name)", "seconds": "\(seconds)"])
            } catch {
                if self.balloonPeriodRefused.withLock({ $0.insert(ref.uuid).inserted }) {
                    self.logger.warning(
                        "could not set the balloon statistics period",
                        metadata: ["domain": "\(ref.name)", "error": "\(error)"])
                }
            }
        }
    }
}
