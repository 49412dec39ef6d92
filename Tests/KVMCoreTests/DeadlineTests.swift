import Synchronization
import TestSupport
import Testing

@testable import KVMCore

@Suite struct DeadlineTests {
    struct Boom: Error {}

    @Test func fastOperationReturnsItsValue() async throws {
        let late = Mutex(0)
        let value = try await withDeadline(
            .seconds(5), operation: "fast", onLateCompletion: { late.withLock { $0 += 1 } }
        ) {
            42
        }
        #expect(value == 42)
        #expect(late.withLock { $0 } == 0)
    }

    @Test func operationErrorsPassThrough() async {
        await #expect(throws: Boom.self) {
            try await withDeadline(.seconds(5), operation: "failing") { () async throws -> Int in throw Boom() }
        }
    }

    @Test func slowOperationTimesOutAndReportsItsLateCompletionOnce() async throws {
        let gate = Gate()
        let (lateCompletions, continuation) = AsyncStream.makeStream(of: Void.self)
        let late = Mutex(0)
        let timeout = Duration.milliseconds(100)
        let started = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(
                timeout, operation: "slow",
                onLateCompletion: {
                    late.withLock { $0 += 1 }
                    continuation.yield()
                }
            ) {
                await gate.wait()
                return 1
            }
        }
        // No upper bound on the time: on a loaded machine the timer may run late. That the error came while
        // the operation was still held at the gate is what shows the deadline did not wait for it.
        #expect(ContinuousClock.now - started >= timeout)
        #expect(late.withLock { $0 } == 0, "still running")

        gate.open()
        let reported = await within(.seconds(2)) {
            var iterator = lateCompletions.makeAsyncIterator()
            return await iterator.next() != nil
        }
        #expect(reported == true)
        try await Task.sleep(for: .milliseconds(50))
        #expect(late.withLock { $0 } == 1)
    }

    @Test func deadlineErrorNamesTheOperation() async throws {
        do {
            _ = try await withDeadline(.milliseconds(20), operation: "domain info") { () async throws -> Int in
                try await Task.sleep(for: .seconds(30))
                return 0
            }
            Issue.record("no deadline")
        } catch let error as DeadlineExceeded {
            #expect(error.operation == "domain info")
            #expect(error.timeout == .milliseconds(20))
            #expect(error.description.contains("domain info"))
        }
    }

    @Test func cancellingTheCallerReturnsPromptly() async {
        let gate = Gate()
        let task = Task {
            try await withDeadline(.seconds(60), operation: "stuck") { () async -> Int in
                await gate.wait()
                return 1
            }
        }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        let outcome = await within(.seconds(2)) { await task.result }
        expectCancelled(outcome)
        gate.open()
    }

    @Test func alreadyCancelledCallerReturnsPromptly() async {
        let gate = Gate()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await withDeadline(.seconds(60), operation: "stuck") { () async -> Int in
                await gate.wait()
                return 1
            }
        }
        let outcome = await within(.seconds(2)) { await task.result }
        expectCancelled(outcome)
        gate.open()
    }

    private func expectCancelled(_ outcome: Result<Int, any Error>?, sourceLocation: SourceLocation = #_sourceLocation)
    {
        guard let outcome else {
            Issue.record("withDeadline did not return after its caller was cancelled", sourceLocation: sourceLocation)
            return
        }
        #expect(throws: CancellationError.self, sourceLocation: sourceLocation) { try outcome.get() }
    }
}
