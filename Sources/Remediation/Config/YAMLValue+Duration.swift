import KVMCore
import StrictYAML

extension YAMLValue {
    /// Go-style durations ("30s", "5m", "1h30m"), as in Prometheus and Alertmanager configuration, within `range`:
    /// every duration the policy sets has a bound, so none can overflow the arithmetic done with it later.
    func duration(in range: ClosedRange<Duration>) throws -> Duration {
        let value: Duration
        do {
            value = try FlagValues.duration(try string())
        } catch let invalid as FlagValues.Invalid {
            throw problem(invalid.description)
        }
        guard range.contains(value) else {
            throw problem(
                "must be from \(FlagValues.format(range.lowerBound)) to \(FlagValues.format(range.upperBound))")
        }
        return value
    }
}
