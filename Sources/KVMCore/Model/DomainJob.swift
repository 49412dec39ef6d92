/// A domain's job (`virDomainGetJobStats`) while it runs: what it is and how far it got.
public struct JobProgress: Sendable, Equatable {
    /// `virDomainJobType` of a running job.
    public enum JobType: Int, Sendable {
        case bounded = 1
        case unbounded = 2
        public var name: String { String(describing: self) }
    }

    public var type: JobType
    public var operation: JobOperation
    public var elapsedSeconds: Double?
    public var dataTotalBytes: Double?
    public var dataProcessedBytes: Double?
    public var dataRemainingBytes: Double?
    /// Guest memory dirtied per second while migrating, in bytes (pages per second times the page size).
    public var memoryDirtyRateBytesPerSecond: Double?

    public init(type: JobType, operation: JobOperation) {
        self.type = type
        self.operation = operation
    }

    /// Reads libvirt's job figures; nil for type none (no job) and for a finished job's types. Where libvirt
    /// has no `data_*` figures (a memory dump, a backup) the memory and disk figures stand for them.
    public init?(typeCode: Int, values: [String: StatValue]) {
        guard let type = JobType(rawValue: typeCode) else { return nil }
        self.init(type: type, operation: JobOperation(code: values["operation"]?.number))
        elapsedSeconds = values["time_elapsed"]?.number.map { $0 / 1000 }
        func figure(_ part: String) -> Double? {
            if let data = values["data_\(part)"]?.number { return data }
            let pieces = [values["memory_\(part)"]?.number, values["disk_\(part)"]?.number].compactMap { $0 }
            return pieces.isEmpty ? nil : pieces.reduce(0, +)
        }
        dataTotalBytes = figure("total")
        dataProcessedBytes = figure("processed")
        dataRemainingBytes = figure("remaining")
        if let pages = values["memory_dirty_rate"]?.number {
            memoryDirtyRateBytesPerSecond = pages * (values["memory_page_size"]?.number ?? 4096)
        }
    }
}

/// What started a job (`virDomainJobOperation`).
public enum JobOperation: Int, Sendable, CaseIterable {
    case unknown = 0
    case start = 1
    case save = 2
    case restore = 3
    case migrationIn = 4
    case migrationOut = 5
    case snapshot = 6
    case snapshotRevert = 7
    case dump = 8
    case backup = 9
    case snapshotDelete = 10

    public init(code: Double?) {
        self = code.flatMap { Int(exactly: $0) }.flatMap(JobOperation.init(rawValue:)) ?? .unknown
    }

    public var name: String {
        switch self {
        case .migrationIn: "migration_in"
        case .migrationOut: "migration_out"
        case .snapshotRevert: "snapshot_revert"
        case .snapshotDelete: "snapshot_delete"
        default: String(describing: self)
        }
    }
}

/// A job's end as `VIR_DOMAIN_EVENT_ID_JOB_COMPLETED` tells it. libvirt 9.0 sends the event for a migration
/// or a save only when it succeeds (no `success` field), for a backup either way (`success` 0 or 1, and a
/// cancelled backup is 0), and never for a dump. A failed migration is therefore not counted: learning it
/// would take a `VIR_DOMAIN_JOB_STATS_COMPLETED` call after the job, which no test here can trigger (no
/// second host to migrate to; a memory-only dump cannot be aborted, a save of a test guest ends at once).
public struct JobCompletion: Sendable, Equatable {
    public enum Result: String, Sendable, CaseIterable {
        case completed, failed
    }

    public var operation: JobOperation
    public var result: Result

    public init(operation: JobOperation, result: Result) {
        self.operation = operation
        self.result = result
    }

    public init(values: [String: StatValue]) {
        operation = JobOperation(code: values["operation"]?.number)
        result = values["success"].map { $0.number == 0 ? .failed : .completed } ?? .completed
    }
}

/// What the agent knows of a domain's jobs.
public struct DomainJobs: Sendable, Equatable {
    /// The running job, from the last poll; nil when none runs or none is known.
    public var current: JobProgress?
    /// An event said a job runs (a migration pass): the collector polls its figures until it ends.
    public var expected = false
    /// Completed jobs by operation and result, from job-completed events.
    public var completed: [JobCounterKey: Double] = [:]

    public init() {}
}

public struct JobCounterKey: Sendable, Hashable, Comparable {
    public var operation: String
    public var result: String

    public static func < (a: Self, b: Self) -> Bool { (a.operation, a.result) < (b.operation, b.result) }
}
