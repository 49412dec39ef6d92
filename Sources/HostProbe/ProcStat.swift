/// The fields of /proc/<pid>/stat that the process metrics need, still in kernel units.
struct ProcStat: Equatable {
    var userTicks: UInt64
    var systemTicks: UInt64
    var startTimeTicks: UInt64
    var virtualMemoryBytes: UInt64
    var residentPages: Int64

    /// Parses from after the last ')' because the command name (field 2) may itself contain spaces and
    /// parentheses, and the kernel does not escape it.
    init?(parsing text: String) {
        guard let close = text.lastIndex(of: ")") else { return nil }
        // Index 0 is field 3 (state), so field n sits at index n - 3.
        let fields = text[text.index(after: close)...].split(whereSeparator: \.isWhitespace)
        func field(_ number: Int) -> Substring? {
            let index = number - 3
            return fields.indices.contains(index) ? fields[index] : nil
        }
        guard let utime = field(14).flatMap({ UInt64($0) }),
            let stime = field(15).flatMap({ UInt64($0) }),
            let starttime = field(22).flatMap({ UInt64($0) }),
            let vsize = field(23).flatMap({ UInt64($0) }),
            let rss = field(24).flatMap({ Int64($0) })
        else { return nil }
        self.userTicks = utime
        self.systemTicks = stime
        self.startTimeTicks = starttime
        self.virtualMemoryBytes = vsize
        self.residentPages = rss
    }
}
