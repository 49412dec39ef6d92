// Written by hand because swift-prometheus has no process collector on Linux: these feed the standard
// `process_*` metric families that Go and Java clients export out of the box.

import Foundation
import Glibc
import KVMCore
import Synchronization

/// Samples the calling process's CPU, memory, file descriptors and start time from procfs.
public struct ProcessProbe: Sendable {
    let procRoot: String
    let clockTicksPerSecond: Int
    let pageSize: Int
    /// The process's start time never changes, and the boot time it is counted from is in the system-wide
    /// /proc/stat, which the kernel builds anew on each read by summing every CPU's counters: read once,
    /// not on every scrape (it was over half of a scrape's instructions; see docs/benchmarks.md).
    private let startTime = StartTime()

    private final class StartTime: Sendable {
        let seconds = Mutex<Double?>(nil)
    }

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
            let startTimeSeconds = startTimeSeconds(startTicks: stat.startTimeTicks)
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
            startTimeSeconds: startTimeSeconds
        )
    }

    private func startTimeSeconds(startTicks: UInt64) -> Double? {
        if let known = startTime.seconds.withLock({ $0 }) { return known }
        guard let bootTime = readText("stat").flatMap(Self.parseBootTime) else { return nil }
        let seconds = Double(bootTime) + Double(startTicks) / Double(clockTicksPerSecond)
        startTime.seconds.withLock { $0 = seconds }
        return seconds
    }

    private func readText(_ relative: String) -> String? {
        try? String(contentsOfFile: "\(procRoot)/\(relative)", encoding: .utf8)
    }

    /// Boot time in seconds since the epoch, from the `btime` line of the system-wide /proc/stat.
    static func parseBootTime(_ text: String) -> UInt64? {
        field(after: "btime", in: text).flatMap { UInt64($0) }
    }

    /// The soft limit on the "Max open files" line of /proc/<pid>/limits; nil when unlimited or absent.
    static func parseMaxOpenFiles(_ text: String) -> Int? {
        field(after: "Max open files", in: text).flatMap { Int($0) }
    }

    /// The first word after `label` on the line that starts with it. Scans UTF-8 bytes: procfs text is
    /// ASCII, and String's Character-wise splitting cost more than the rest of a scrape together.
    private static func field(after label: String, in text: String) -> String? {
        let space = UInt8(ascii: " ")
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) where line.starts(with: label.utf8) {
            let rest = line.dropFirst(label.utf8.count)
            guard rest.first == space || rest.first == UInt8(ascii: "\t") else { continue }
            return rest.split(whereSeparator: { $0 == space || $0 == UInt8(ascii: "\t") }).first
                .map { String(decoding: $0, as: UTF8.self) }
        }
        return nil
    }
}
