import Logging
import Synchronization

/// Whether the audit log and the state file could be written when last tried. A change is logged and
/// reported once, not on every request that finds the file still unwritable.
final class StorageHealth: Sendable {
    enum File: String, CaseIterable, Sendable {
        case auditLog = "audit_log"
        case stateFile = "state_file"

        var noun: String { self == .auditLog ? "audit log" : "state file" }
    }

    private let problems = Mutex<[File: String]>([:])
    private let paths: [File: String]
    private let logger: Logger
    private let telemetry: any RemediationTelemetry

    init(auditLog: String, stateFile: String, logger: Logger, telemetry: any RemediationTelemetry) {
        paths = [.auditLog: auditLog, .stateFile: stateFile]
        self.logger = logger
        self.telemetry = telemetry
        for file in File.allCases { telemetry.storageWritable(file.rawValue, true) }
    }

    /// Records the outcome of a write or probe: nil for success.
    func record(_ file: File, _ error: (any Error)?) {
        let message = error.map { "\($0)" }
        // Reported under the lock, so that a failure and the recovery right after it reach the log and the
        // gauge in the order they happened.
        problems.withLock { problems in
            guard (problems[file] == nil) != (message == nil) else {
                if message != nil { problems[file] = message }
                return
            }
            problems[file] = message
            telemetry.storageWritable(file.rawValue, message == nil)
            let path: Logger.MetadataValue = "\(paths[file] ?? "")"
            if let message {
                logger.error(
                    "cannot write the \(file.noun); remediation is refused until it can",
                    metadata: ["path": path, "error": "\(message)"])
            } else {
                logger.notice("the \(file.noun) can be written again; remediation resumes", metadata: ["path": path])
            }
        }
    }

    func isFailing(_ file: File) -> Bool {
        problems.withLock { $0[file] != nil }
    }

    /// Every file that cannot be written, with the error; nil when all can.
    var problem: String? {
        let found = problems.withLock { $0 }
        guard !found.isEmpty else { return nil }
        return File.allCases.compactMap { file in
            found[file].map { "cannot write the \(file.noun) \(paths[file] ?? ""): \($0)" }
        }.joined(separator: "; ")
    }
}
