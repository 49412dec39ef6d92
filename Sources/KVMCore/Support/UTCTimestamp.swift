import Foundation

/// RFC 3339 timestamps in UTC with milliseconds, as log lines and audit records carry them:
/// `2026-11-29T22:58:01.123Z`. Built from libc's `gmtime_r`, as the `Date` header is (HTTPDateHeader), rather
/// than with Foundation's ISO 8601 formatters: those open ICU's time zone data on first use, even for UTC,
/// and about 1.4 MiB of it then stays resident for the agent's life (bench/pages.py).
public enum UTCTimestamp {
    /// Milliseconds are truncated, not rounded, so a record never shows a time later than its own.
    public static func format(_ secondsSinceEpoch: Double) -> String {
        let milliseconds = Int64((secondsSinceEpoch * 1000).rounded(.down))
        // Floor division, so that an instant before 1970 keeps a millisecond of 0...999.
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        var time = time_t(seconds)
        var fields = tm()
        gmtime_r(&time, &fields)
        return "\(pad(1900 + Int(fields.tm_year), 4))-\(pad(Int(fields.tm_mon) + 1, 2))-\(pad(Int(fields.tm_mday), 2))"
            + "T\(pad(Int(fields.tm_hour), 2)):\(pad(Int(fields.tm_min), 2)):\(pad(Int(fields.tm_sec), 2))"
            + ".\(pad(Int(milliseconds - seconds * 1000), 3))Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
