import Foundation
import HostProbe
import KVMCore
import Logging
import Synchronization

/// Gives back, once, the pages of code and constant data the agent touched only while starting (see
/// `StartupPages`). It waits for the collector's second pass that reached libvirt: the first two read every
/// domain's definition and vcpuinfo, which later passes do only for a domain that changed, so what runs after
/// them is the agent's steady work. Without libvirt it waits, since connecting runs code of its own.
final class StartupPageRelease: Sendable {
    private let passes = Atomic(0)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func passFinished(_ result: CollectionResult) {
        guard result == .success || result == .partial, passes.add(1, ordering: .relaxed).newValue == 2 else {
            return
        }
        // Reading smaps walks every mapping: off the collector's thread, which has a pass to run.
        DispatchQueue.global(qos: .utility).async { [logger] in
            let began = ContinuousClock.now
            guard let released = StartupPages.release() else {
                logger.debug("could not read /proc/self/smaps; start-up pages kept")
                return
            }
            logger.info(
                "gave back start-up pages",
                metadata: [
                    "mappings": "\(released.mappings)",
                    "resident_before_mib": "\(String(format: "%.1f", Double(released.residentBytes) / 1_048_576))",
                    "seconds": "\(String(format: "%.3f", (ContinuousClock.now - began).seconds))",
                ])
        }
    }
}
