import KVMCore
import Testing

@Suite struct FlagValuesTests {
    @Test(arguments: [
        ("15s", Duration.seconds(15)), ("500ms", .milliseconds(500)), ("1m30s", .seconds(90)), ("2h", .seconds(7200)),
        ("1.5s", .milliseconds(1500)), ("2562047h", FlagValues.longestDuration),
    ])
    func validDurations(text: String, expected: Duration) throws {
        #expect(try FlagValues.duration(text) == expected)
    }

    /// Each of these trapped or was accepted before the conversion was checked: a number too large for Int64
    /// milliseconds, one so long it is infinite as a Double, and digits from other scripts.
    @Test(arguments: [
        "9999999999999999s", "2562048h", String(repeating: "9", count: 400) + "s", "1e9s", "٣s", "½h", "0s", "0.0001s",
        "", "s", "1.5.5s", "10", "-1s", "1d",
    ])
    func invalidDurationsAreErrors(text: String) {
        #expect(throws: FlagValues.Invalid.self) { try FlagValues.duration(text) }
    }

    /// Zero in any unit, for the flags where it means off or every time; anything else as `duration` reads it.
    @Test func zeroIsAcceptedWhereItIsAsked() throws {
        for zero in ["0s", "0", "0.0ms", "00m", "0h"] {
            #expect(try FlagValues.durationOrZero(zero) == .zero, "\(zero)")
        }
        #expect(try FlagValues.durationOrZero("1500ms") == .milliseconds(1500))
        for bad in ["", ".s", "0d", "0.0001s", "-0s", "0s1"] {
            #expect(throws: FlagValues.Invalid.self, "\(bad)") { try FlagValues.durationOrZero(bad) }
        }
    }

    @Test func formatUsesTheLargestExactUnit() {
        #expect(FlagValues.format(.seconds(90)) == "90s")
        #expect(FlagValues.format(.seconds(300)) == "5m")
        #expect(FlagValues.format(.seconds(366 * 86_400)) == "8784h")
        #expect(FlagValues.format(.milliseconds(1500)) == "1500ms")
    }
}
