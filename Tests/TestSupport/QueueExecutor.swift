import Dispatch
import Testing

/// A serial queue as a task executor, for test code that blocks its thread: a synchronous libvirt call that
/// starts a guest, a child process waited for, a render held inside a synchronous callback. On the cooperative
/// pool, which has as many threads as the machine has cores and which every test of the process shares, two
/// such calls at once stall every test; two tests starting guests did so for 25 s in a full run.
public final class QueueExecutor: TaskExecutor {
    /// The executor of the test running in this task, when it runs on a queue of its own (`.ownThread`).
    @TaskLocal public static var current: QueueExecutor?

    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Runs each test of a suite, its suite's `init` included, on a serial queue of its own instead of the
/// cooperative pool: for suites whose tests call libvirt or wait for child processes synchronously. What the
/// test starts in structured child tasks inherits the queue; code under test that must not wait behind the
/// test's blocking calls (the in-process agent) runs itself on the global executor again.
public struct OwnThread: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }
        let executor = QueueExecutor(label: "kvm-agent-tests.\(test.name)")
        try await QueueExecutor.$current.withValue(executor) {
            try await withTaskExecutorPreference(executor) { try await function() }
        }
    }
}

extension Trait where Self == OwnThread {
    /// See `OwnThread`.
    public static var ownThread: Self { OwnThread() }
}
