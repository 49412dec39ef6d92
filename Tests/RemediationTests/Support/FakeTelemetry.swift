import Remediation

/// Records every telemetry call, and lets tests wait for finished actions.
final class FakeTelemetry: RemediationTelemetry {
    struct Finished: Sendable, Equatable {
        var action: RemediationAction
        var result: ActionResult
    }

    struct Status: Sendable, Equatable {
        var inProgress: Int
        var quarantined: Int
        var breakerOpen: Bool
        var dryRun: Bool
    }

    struct Calls: Sendable {
        var decided: [Decision] = []
        var finished: [Finished] = []
        var statuses: [Status] = []
        /// The latest value per file.
        var writable: [String: Bool] = [:]
        var budgetsSpent: [Int] = []
        var maintenance: [(host: MaintenanceWindow?, domains: [MaintenanceWindow])] = []
    }

    let observed = Observed(Calls())

    var calls: Calls { observed.value }

    func decided(_ decision: Decision) {
        observed.update { $0.decided.append(decision) }
    }

    func actionFinished(_ action: RemediationAction, result: ActionResult, seconds: Double) {
        observed.update { $0.finished.append(Finished(action: action, result: result)) }
    }

    func maintenance(host: MaintenanceWindow?, domains: [MaintenanceWindow]) {
        observed.update { $0.maintenance.append((host, domains)) }
    }

    func restartBudgets(spent: Int) {
        observed.update { $0.budgetsSpent.append(spent) }
    }

    func status(inProgress: Int, quarantined: Int, breakerOpen: Bool, dryRun: Bool) {
        observed.update {
            $0.statuses.append(
                Status(inProgress: inProgress, quarantined: quarantined, breakerOpen: breakerOpen, dryRun: dryRun))
        }
    }

    func storageWritable(_ file: String, _ writable: Bool) {
        observed.update { $0.writable[file] = writable }
    }

    /// Waits until `count` actions have finished.
    func waitForFinished(_ count: Int = 1, within limit: Duration = .seconds(30)) async -> Bool {
        await observed.wait(within: limit) { $0.finished.count >= count }
    }
}
