import KVMCore
import Logging

/// One journal record per disk or job event, with DOMAIN and DEVICE fields like the lifecycle records: an
/// I/O error is a warning (a guest may be paused by it), the rest is information.
enum DomainEventLog {
    static func log(_ event: DomainEvent, to logger: Logger) {
        var metadata: Logger.Metadata = ["domain": "\(event.domain.name)"]
        switch event.kind {
        case .ioError(let error):
            metadata["device"] = "\(error.deviceAlias)"
            metadata["path"] = "\(error.sourcePath)"
            metadata["reason"] = "\(error.reason)"
            metadata["action"] = "\(error.action.name)"
            logger.warning("domain I/O error", metadata: metadata)
        case .blockThreshold(let threshold):
            metadata["device"] = "\(threshold.device)"
            metadata["threshold_bytes"] = "\(threshold.thresholdBytes)"
            metadata["excess_bytes"] = "\(threshold.excessBytes)"
            logger.info("domain block threshold exceeded", metadata: metadata)
        case .jobCompleted(let completion):
            metadata["operation"] = "\(completion.operation.name)"
            metadata["result"] = "\(completion.result.rawValue)"
            logger.info("domain job finished", metadata: metadata)
        case .migrationIteration(let iteration):
            metadata["iteration"] = "\(iteration)"
            logger.debug("domain migration iteration", metadata: metadata)
        }
    }
}
