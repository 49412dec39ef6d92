import Synchronization

/// Runs `body` in its own task and returns its result, or nil once `limit` has passed. The body is left
/// running on timeout, so a test that would hang forever fails instead.
func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
    let slot = Mutex<CheckedContinuation<T?, Never>?>(nil)
    let finish: @Sendable (T?) -> Void = { value in slot.withLock { $0.take() }?.resume(returning: value) }
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        slot.withLock { $0 = continuation }
        let timer = Task {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { finish(nil) }
        }
        Task {
            let value = await body()
            timer.cancel()
            finish(value)
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
