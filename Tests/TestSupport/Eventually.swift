/// Polls `condition` until it holds or `limit` passes; for state that no event announces.
public func eventually(
    within limit: Duration = .seconds(2), _ condition: @Sendable () async -> Bool
) async -> Bool {
    let end = ContinuousClock.now + limit
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}
