/// Seconds for a message, as a whole number where one fits: `Int(_:)` traps on NaN, infinities and values
/// beyond its range, and these come from policies and state files.
func wholeSeconds(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds.magnitude < 1e15 else { return "\(seconds)" }
    return String(Int(seconds))
}
