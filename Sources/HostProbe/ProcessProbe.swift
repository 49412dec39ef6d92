// Written by hand because swift-prometheus has no process collector on Linux: these feed the standard
// `process_*` metric families that Go and Java clients export out of the box.

import Foundation
import Glibc
import KVMCore

/// Samples the calling process's CPU, memory, file descriptors and start time from procfs.
public struct ProcessProbe: Sendable {
    let procRoot: String
    let clockTicksPerSecond: Int
    let pageSize: Int

    public init(procRoot: String = "/proc") {
        self.init(
            procRoot: procRoot,
            clockTicksPerSecond: sysconf(Int32(_SC_CLK_TCK)),
            pageSize: sysconf(Int32(_SC_PAGESIZE))
        )
    }

    /// Fixed units so tests with a fake procfs get exact answers whatever the machine's tick rate.
    init(procRoot: String, clockTicksPerSecond: Int, pageSize: Int) {
        self.procRoot = procRoot
        self.clockTicksPerSecond = clockTicksPerSecond
        self.pageSize = pageSize
    }

    /// nil when /proc/self/stat or the boot time cannot be read, which means procfs is not mounted.
    public func sample() -> ProcessSample? {
        guard clockTicksPerSecond > 0,
            let stat = readText("self/stat").flatMap(ProcStat.init(parsing:)),
            let bootTime = readText("stat").flatMap(Self.parseBootTime)
        else { return nil }
        let ticks = Double(clockTicksPerSecond)
        // The listing counts the descriptor opened to read the directory itself, as other clients' counts do.
        let openFDs = (try? FileManager.default.contentsOfDirectory(atPath: "\(procRoot)/self/fd").count) ?? 0
        return ProcessSample(
            cpuSeconds: Double(stat.userTicks + stat.systemTicks) / ticks,
            residentMemoryBytes: Double(stat.residentPages) * Double(pageSize),
            virtualMemoryBytes: Double(stat.virtualMemoryBytes),
            openFDs: openFDs,
            maxFDs: readText("self/limits").flatMap(Self.parseMaxOpenFiles),
            startTimeSeconds: Double(bootTime) + Double(stat.startTimeTicks) / ticks
        )
    }

    private func readText(_ relative: String) -> String? {
        try? String(contentsOfFile: "\(procRoot)/\(relative)", encoding: .utf8)
    }

    /// Boot time in seconds since the epoch, from the `btime` line of the system-wide /proc/stat.
    static func parseBootTime(_ text: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: \.isWhitespace)
            if words.count == 2, words[0] == "btime" { return UInt64(words[1]) }
        }
        return nil
    }

    /// The soft limit on the "Max open files" line of /proc/<pid>/limits; nil when unlimited or absent.
    static func parseMaxOpenFiles(_ text: String) -> Int? {
        let prefix = "Max open files"
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            let columns = line.dropFirst(prefix.count).split(whereSeparator: \.isWhitespace)
            return columns.first.flatMap { Int($0) }
        }
        return nil
    }
}
