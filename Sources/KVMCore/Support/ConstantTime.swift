/// Comparison of secrets (bearer tokens, password fingerprints) in time that does not depend on their contents.
public enum ConstantTime {
    /// Whether the two are equal, having compared every byte of the longer one whatever the first difference,
    /// so neither how much of a guess was right nor, by an early return, the secret's length shows in the timing.
    public static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}
