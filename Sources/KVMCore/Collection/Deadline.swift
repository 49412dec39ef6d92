import Synchronization

/// Runs `operation` and returns its result, or throws `DeadlineExceeded` once `timeout` has passed.
///
/// A blocking hypervisor call cannot be cancelled, so on timeout the operation is abandoned, not stopped:
/// it keeps running in its own task and `onLateCompletion` is called when it finally returns. The caller
/// uses that to avoid stacking further calls on a domain that is still stuck.
public func withDeadline<T: Sendable>(
    _ timeout: Duration,
    operation name: String,
    onLateCompletion: @escaping @Sendable () -> Void = {},
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                _ = race.finish(.failure(DeadlineExceeded(operation: name, timeout: timeout)))
            }
            race.setTimer(timer)
            Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                race.cancelTimer()
                if !race.finish(result) { onLateCompletion() }
            }
        }
    } onCancel: {
        race.cancelTimer()
        _ = race.finish(.failure(CancellationError()))
    }
}

/// The one continuation that either the operation or the timer resumes, whichever comes first.
private final class DeadlineRace<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, timer: Task<Void, Never>?, done: Bool)>(
        (nil, nil, false))

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func setTimer(_ timer: Task<Void, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.timer = timer
            return state.done
        }
        if cancelNow { timer.cancel() }
    }

    func cancelTimer() {
        state.withLock { $0.timer }?.cancel()
    }

    /// Resumes the caller unless someone already did; false when the caller had already gone.
    func finish(_ result: Result<T, any Error>) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            state.done = true
            return state.continuation.take()
        }
        continuation?.resume(with: result)
        return continuation != nil
    }
}
