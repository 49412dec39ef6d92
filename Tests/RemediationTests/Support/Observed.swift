import Synchronization

/// A value behind a lock that tests can wait on: `wait(until:)` returns as soon as an update makes the
/// predicate true, or false once the deadline passes. No polling and no sleeping in the happy path.
final class Observed<Value: Sendable>: Sendable {
    private struct Waiter: Sendable {
        let id: Int
        let predicate: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
        let timer: Task<Void, Never>
    }

    private struct State {
        var value: Value
        var next = 0
        var waiters: [Waiter] = []
    }

    private let state: Mutex<State>

    init(_ value: Value) {
        state = Mutex(State(value: value))
    }

    var value: Value {
        state.withLock { $0.value }
    }

    /// Changes the value and wakes every waiter whose condition now holds.
    @discardableResult
    func update<T: Sendable>(_ body: (inout Value) -> T) -> T {
        let (result, ready) = state.withLock { state -> (T, [Waiter]) in
            let result = body(&state.value)
            var ready: [Waiter] = []
            var waiting: [Waiter] = []
            for waiter in state.waiters {
                if waiter.predicate(state.value) { ready.append(waiter) } else { waiting.append(waiter) }
            }
            state.waiters = waiting
            return (result, ready)
        }
        for waiter in ready {
            waiter.timer.cancel()
            waiter.continuation.resume(returning: true)
        }
        return result
    }

    /// True once `predicate` holds, false when it still does not after `limit`.
    func wait(within limit: Duration = .seconds(30), until predicate: @escaping @Sendable (Value) -> Bool) async -> Bool
    {
        let id = state.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled { self.expire(id) }
            }
            let holds = state.withLock { state -> Bool in
                if predicate(state.value) { return true }
                state.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation, timer: timer))
                return false
            }
            if holds {
                timer.cancel()
                continuation.resume(returning: true)
            }
        }
    }

    private func expire(_ id: Int) {
        let expired = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        expired?.continuation.resume(returning: false)
    }
}
