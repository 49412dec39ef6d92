import Synchronization

extension RemediationEngine {
    /// Whether the audit log and the state file can be written, tried now; nil when both can. While
    /// either cannot, `/readyz` says so and every request is refused with 503.
    public func storageProblem() -> String? {
        _ = probeAuditLog()
        if health.isFailing(.stateFile) {
            // The last save failed: saving the current state again is the one sure test that saving works.
            commit.withLock { _ in
                let safety = state.withLock { $0.safety }
                do {
                    try storage.saveState(safety)
                    health.record(.stateFile, nil)
                } catch {
                    health.record(.stateFile, error)
                }
            }
        } else {
            do {
                try storage.probeState()
            } catch {
                health.record(.stateFile, error)
            }
        }
        return health.problem
    }

    /// Decisions that the audit log could not record must not be taken: this checks before deciding.
    func checkAuditWritable() throws {
        if let error = probeAuditLog() {
            throw Unavailable(description: "the audit log \(audit.path) cannot be written (\(error)); nothing was done")
        }
    }

    /// Tries to open the audit log for appending and records the outcome; the error, or nil when it can be written.
    private func probeAuditLog() -> (any Error)? {
        do {
            try storage.probeAudit()
            health.record(.auditLog, nil)
            return nil
        } catch {
            health.record(.auditLog, error)
            return error
        }
    }

    /// Saves `safety`, then appends the audit lines that explain it. When a line cannot be appended, the
    /// previous state is saved again (as far as the disk lets it) and the caller commits nothing: no action
    /// goes unaudited.
    func persist(_ safety: SafetyState, replacing previous: SafetyState, audit lines: [AuditRecord]) throws {
        do {
            try storage.saveState(safety)
            health.record(.stateFile, nil)
        } catch {
            health.record(.stateFile, error)
            throw Unavailable(description: "cannot save the state file: \(error)")
        }
        for line in lines {
            do {
                try storage.appendAudit(line)
            } catch {
                health.record(.auditLog, error)
                try? storage.saveState(previous)
                throw Unavailable(
                    description: "cannot append to the audit log \(audit.path): \(error); nothing was done")
            }
        }
        if !lines.isEmpty { health.record(.auditLog, nil) }
    }
}
