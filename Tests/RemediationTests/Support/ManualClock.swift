import Synchronization

/// Wall-clock seconds that move only when a test says so.
final class ManualClock: Sendable {
    private let seconds: Mutex<Double>

    init(_ start: Double = 1_795_000_000) {
        seconds = Mutex(start)
    }

    var now: Double {
        seconds.withLock { $0 }
    }

    func advance(by interval: Double) {
        seconds.withLock { $0 += interval }
    }

    /// The clock as the engine takes it.
    var reader: @Sendable () -> Double {
        { [self] in now }
    }
}
