import Synchronization

/// Runs `attempt(0)` at once and `attempt(k)` `k × delay` later while no answer has come, at most `attempts`
/// times, and returns the first non-nil answer.
///
/// Returns nil once every attempt answered nil, once `delay` has passed after the last attempt began without
/// an answer, or when the caller is cancelled. Attempts still running then are left to finish on their own:
/// they are blocking hypervisor calls that cannot be stopped, and each has its own deadline.
func firstAnswer<T: Sendable>(
    attempts: Int, every delay: Duration, _ attempt: @escaping @Sendable (Int) async -> T?
) async -> T? {
    let race = AnswerRace<T>(attempts: max(1, attempts))
    return await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            guard race.start(continuation) else { return }
            let timer = Task {
                for index in 0..<max(1, attempts) {
                    guard !race.isDone else { return }
                    Task { race.offer(await attempt(index)) }
                    try? await Task.sleep(for: delay)
                }
                race.finish(nil)
            }
            race.setTimer(timer)
        }
    } onCancel: {
        race.finish(nil)
    }
}

/// The one continuation that the first answer, the last failed attempt, the timer or a cancellation resumes.
private final class AnswerRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var timer: Task<Void, Never>?
        var done = false
        var failuresLeft: Int
    }

    private let state: Mutex<State>

    init(attempts: Int) {
        state = Mutex(State(failuresLeft: attempts))
    }

    /// Installs the caller's continuation; false, after resuming it, when the caller was cancelled first.
    func start(_ continuation: CheckedContinuation<T?, Never>) -> Bool {
        let finished = state.withLock { state -> Bool in
            if state.done { return true }
            state.continuation = continuation
            return false
        }
        if finished { continuation.resume(returning: nil) }
        return !finished
    }

    func setTimer(_ timer: Task<Void, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.timer = timer
            return state.done
        }
        if cancelNow { timer.cancel() }
    }

    var isDone: Bool { state.withLock { $0.done } }

    func offer(_ answer: T?) {
        let last = state.withLock { state -> Bool in
            guard answer == nil else { return false }
            state.failuresLeft -= 1
            return state.failuresLeft <= 0
        }
        if answer != nil || last { finish(answer) }
    }

    func finish(_ answer: T?) {
        let (continuation, timer) = state.withLock { state in
            state.done = true
            return (state.continuation.take(), state.timer.take())
        }
        timer?.cancel()
        continuation?.resume(returning: answer)
    }
}
