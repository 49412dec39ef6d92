import KVMCore
import StrictYAML

extension YAMLValue {
    /// Go-style durations ("30s", "5m", "1h30m"), as in Prometheus and Alertmanager configuration, within `range`:
    /// every duration the policy sets has a bound, so none can overflow the arithmetic done with it later.
    func duration(in range: ClosedRange<Duration>) throws -> Duration {
        do {
            return try FlagValues.duration(try string(), in: range)
        } catch let invalid as FlagValues.Invalid {
            throw problem(invalid.description)
        }
    }
}
