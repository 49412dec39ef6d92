extension StringProtocol {
    /// Without leading and trailing ASCII blanks (space, tab, CR, LF): HTTP's optional whitespace (RFC 9110)
    /// and what the kernel puts around /proc and /sys values. Foundation's `trimmingCharacters(in:)` goes
    /// through NSString, whose pages then stay resident for a call made every pass and scrape, and trims
    /// Unicode spaces besides, which neither HTTP nor the kernel uses.
    public func trimmingBlanks() -> SubSequence {
        guard let first = firstIndex(where: { !$0.isASCIIBlank }), let last = lastIndex(where: { !$0.isASCIIBlank })
        else { return self[endIndex...] }
        return self[first...last]
    }
}

extension Character {
    /// "\r\n" is one Character, so it is listed with its parts.
    fileprivate var isASCIIBlank: Bool { self == " " || self == "\t" || self == "\n" || self == "\r" || self == "\r\n" }
}
