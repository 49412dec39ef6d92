import KVMCore
import Logging

/// Journal records of disk and job events, with DOMAIN and DEVICE fields like the lifecycle records. An I/O
/// error is a warning (a guest may be paused by it), but a guest that keeps retrying against a full disk
/// sends one event per failed request: the 1st, 10th, 100th, … of a kind are warnings, the others debug.
enum DomainEventLog {
    /// `count`: how many such events the domain has had, with this one (`InventoryStore.applyDomainEvent`).
    static func log(_ event: DomainEvent, count: Double, to logger: Logger) {
        var metadata: Logger.Metadata = ["domain": "\(event.domain.name)", "count": "\(Int(exactly: count) ?? 0)"]
        switch event.kind {
        case .ioError(let error):
            metadata["device"] = "\(error.deviceAlias)"
            metadata["path"] = "\(error.sourcePath)"
            metadata["reason"] = "\(error.reason)"
            metadata["action"] = "\(error.action.name)"
            logger.log(level: isPowerOfTen(count) ? .warning : .debug, "domain I/O error", metadata: metadata)
        case .blockThreshold(let threshold):
            metadata["device"] = "\(threshold.device)"
            metadata["threshold_bytes"] = "\(threshold.thresholdBytes)"
            metadata["excess_bytes"] = "\(threshold.excessBytes)"
            logger.log(
                level: isPowerOfTen(count) ? .info : .debug, "domain block threshold exceeded", metadata: metadata)
        case .jobCompleted(let completion):
            metadata["operation"] = "\(completion.operation.name)"
            metadata["result"] = "\(completion.result.rawValue)"
            logger.info("domain job finished", metadata: metadata)
        case .migrationIteration(let iteration):
            metadata["iteration"] = "\(iteration)"
            logger.debug("domain migration iteration", metadata: metadata)
        case .watchdog(let action):
            // A hung guest: always worth a warning, and a watchdog fires at most once per timeout.
            metadata["action"] = "\(action.name)"
            logger.warning("domain watchdog fired", metadata: metadata)
        case .reboot:
            logger.info("domain reset", metadata: metadata)
        case .tunable(let vcpuPinning):
            metadata["vcpu_pinning"] = "\(vcpuPinning)"
            logger.debug("domain tuning changed", metadata: metadata)
        case .balloonChange(let bytes):
            metadata["bytes"] = "\(Int64(bytes))"
            logger.debug("domain balloon changed", metadata: metadata)
        }
    }

    static func isPowerOfTen(_ count: Double) -> Bool {
        var power = 1.0
        while power < count { power *= 10 }
        return power == count
    }
}
