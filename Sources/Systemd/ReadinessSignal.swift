import Synchronization

/// A one-shot "it happened" flag that tasks can await: bridges a callback such as Hummingbird's
/// `onServerRunning` to the `ready` closure of ``SupervisionLoop``.
public final class ReadinessSignal: Sendable {
    private struct State {
        var signalled = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before they could park: they must not park afterwards.
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())

    public init() {}

    public var isSignalled: Bool { state.withLock { $0.signalled } }

    /// Marks the signal and wakes every waiter; later calls do nothing.
    public func signal() {
        let waiters = state.withLock { state in
            state.signalled = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once signalled, or early when the calling task is cancelled (check ``isSignalled`` if it matters).
    public func wait() async {
        let id: Int? = state.withLock { state in
            guard !state.signalled else { return nil }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let parked = state.withLock { state in
                    guard !state.signalled, state.cancelled.remove(id) == nil else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return CheckedContinuation<Void, Never>?.none
                }
                return waiter
            }
            waiter?.resume()
        }
        // A cancellation that raced with the resume may leave its mark behind; drop it.
        state.withLock { _ = $0.cancelled.remove(id) }
    }
}
