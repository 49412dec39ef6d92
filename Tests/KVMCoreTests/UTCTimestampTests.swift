import Foundation
import KVMCore
import Testing

@Suite struct UTCTimestampTests {
    /// Foundation's formatter, which the agent used before; it also truncates to milliseconds.
    private static func foundation(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1.9996, "1970-01-01T00:00:01.999Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500Z"),
        (4_107_542_400, "2100-03-01T00:00:00.000Z"),
        (1_767_225_599.999, "2025-12-31T23:59:59.999Z"),
        (-0.001, "1969-12-31T23:59:59.999Z"),
        (-2_208_988_800, "1900-01-01T00:00:00.000Z"),
    ])
    func knownInstants(seconds: Double, expected: String) {
        #expect(UTCTimestamp.format(seconds) == expected)
    }

    @Test func agreesWithFoundationOverFourCenturies() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Half a millisecond past a whole one, far from either boundary, so that both sides truncate to
            // the same millisecond whatever the binary fraction's error.
            let milliseconds = Int64.random(in: -2_208_988_800_000...7_258_118_399_998, using: &generator)
            let seconds = (Double(milliseconds) + 0.5) / 1000
            #expect(UTCTimestamp.format(seconds) == Self.foundation(seconds), "at \(milliseconds) ms")
        }
    }
}
