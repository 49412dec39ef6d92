/// A small seeded generator, so a property's random structure is reproducible from the one seed that
/// PropertyBased generates and reports.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_CE4E_5BE9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < probability
    }

    mutating func pick<T>(_ choices: [T]) -> T {
        choices[Int.random(in: 0..<choices.count, using: &self)]
    }

    /// Text mixing ASCII (quotes and backslashes included), control characters, accents, CJK and emoji.
    mutating func unicodeString(maxLength: Int = 12) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x00...0x1F, 0xC0...0x17F, 0x300...0x36F, 0x4E00...0x4E80, 0x1F600...0x1F64F, 0x22...0x22,
            0x5C...0x5C,
        ]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxLength, using: &self) {
            let range = pick(ranges)
            scalars.append(Unicode.Scalar(UInt32.random(in: range, using: &self))!)
        }
        return String(scalars)
    }
}
