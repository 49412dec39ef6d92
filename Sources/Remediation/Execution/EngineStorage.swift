import Foundation

/// The engine's writes to disk. Functions rather than the files themselves so that tests can make a write
/// slow or fail where root would otherwise write anyway.
struct EngineStorage: Sendable {
    var saveState: @Sendable (SafetyState) throws -> Void
    var appendAudit: @Sendable (AuditRecord) throws -> Void
    /// Throws when the audit log cannot be opened for appending; writes nothing.
    var probeAudit: @Sendable () throws -> Void
    /// Throws when the state file's directory cannot take the new file a save renames into place.
    var probeState: @Sendable () throws -> Void

    static func files(state: StateFile, audit: AuditLog) -> EngineStorage {
        let directory = URL(fileURLWithPath: state.path).deletingLastPathComponent().path
        return EngineStorage(
            saveState: { try state.save($0) },
            appendAudit: { try audit.append($0) },
            probeAudit: { try DurableFile.append(audit.path, []) },
            probeState: {
                guard FileManager.default.isWritableFile(atPath: directory) else {
                    throw DurableFile.Failure(description: "\(directory) is not writable")
                }
            })
    }
}
