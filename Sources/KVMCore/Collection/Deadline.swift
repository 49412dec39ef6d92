import Synchronization

/// Runs `operation` and returns its result, or throws `DeadlineExceeded` once `timeout` has passed.
///
/// A blocking hypervisor call cannot be cancelled, so on timeout the operation is abandoned, not stopped:
/// it keeps running in its own task and `onLateCompletion` is called when it finally returns. The caller
/// uses that to avoid stacking further calls on a domain that is still stuck. It is called only after a
/// `DeadlineExceeded`, never after a cancellation, so that it pairs with the caller's timeout handling.
/// A caller that is already cancelled gets `CancellationError` at once and the operation is not started.
public func withDeadline<T: Sendable>(
    _ timeout: Duration,
    operation name: String,
    onLateCompletion: @escaping @Sendable () -> Void = {},
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            // The cancellation handler runs first when the task is cancelled already; then nobody else
            // would ever resume this continuation while the operation hangs.
            guard race.start(continuation) else { return }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                _ = race.finish(.failure(DeadlineExceeded(operation: name, timeout: timeout)), timedOut: true)
            }
            race.setTimer(timer)
            Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                race.cancelTimer()
                if !race.finish(result), race.timedOut { onLateCompletion() }
            }
        }
    } onCancel: {
        race.cancelTimer()
        _ = race.finish(.failure(CancellationError()))
    }
}

/// The one continuation that either the operation or the timer resumes, whichever comes first.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, Never>?
        var done = false
        /// The caller was resumed with `DeadlineExceeded`.
        var timedOut = false
    }

    private let state = Mutex(State())

    /// Installs the caller's continuation; false, after resuming it with `CancellationError`, when the
    /// caller was cancelled before it got here.
    func start(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if state.done { return true }
            state.continuation = continuation
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
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

    var timedOut: Bool {
        state.withLock { $0.timedOut }
    }

    /// Resumes the caller unless someone already did; false when the caller had already gone.
    func finish(_ result: Result<T, any Error>, timedOut: Bool = false) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            state.done = true
            guard let continuation = state.continuation.take() else { return nil }
            state.timedOut = timedOut
            return continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }
}
