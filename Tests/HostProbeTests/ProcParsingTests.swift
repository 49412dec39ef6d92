import Foundation
import KVMCore
import Testing

@testable import HostProbe

@Suite struct ProcParsingTests {
    /// Real layout of /proc/self/stat, with a command name built to break a first-')' or space-split parser.
    static let trickyStat =
        "4242 (evil) (name x) S 1 4242 4242 0 -1 4194560 1500 0 0 0 "
        + "250 75 0 0 20 0 4 0 123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n"

    @Test func statIsParsedAfterTheLastParenthesis() throws {
        let stat = try #require(ProcStat(parsing: Self.trickyStat))
        #expect(stat.userTicks == 250)
        #expect(stat.systemTicks == 75)
        #expect(stat.startTimeTicks == 123_456)
        #expect(stat.virtualMemoryBytes == 987_654_321)
        #expect(stat.residentPages == 2048)
    }

    @Test func truncatedStatIsRejected() {
        #expect(ProcStat(parsing: "4242 (short) S 1 4242") == nil)
        #expect(ProcStat(parsing: "no parenthesis at all") == nil)
    }

    @Test func bootTimeComesFromTheBtimeLine() {
        let text = "cpu  11681 0 2813 42762\nintr 123 4 5\nctxt 99\nbtime 1795759346\nprocesses 7683\n"
        #expect(ProcessProbe.parseBootTime(text) == 1_795_759_346)
        #expect(ProcessProbe.parseBootTime("cpu 1 2 3\n") == nil)
    }

    @Test func maxOpenFilesIsTheSoftLimit() {
        let text = """
            Limit                     Soft Limit           Hard Limit           Units
            Max processes             63704                63704                processes
            Max open files            1024                 524288               files
            Max locked memory         8388608              8388608              bytes
            """
        #expect(ProcessProbe.parseMaxOpenFiles(text) == 1024)
        #expect(ProcessProbe.parseMaxOpenFiles("Max open files            unlimited  unlimited  files\n") == nil)
    }

    @Test func sampleConvertsTicksAndPagesFromAFakeProc() throws {
        let proc = FileManager.default.temporaryDirectory.appendingPathComponent("procprobe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: proc) }
        let fdDir = proc.appendingPathComponent("self/fd")
        try FileManager.default.createDirectory(at: fdDir, withIntermediateDirectories: true)
        for fd in 0..<5 {
            try "".write(to: fdDir.appendingPathComponent("\(fd)"), atomically: false, encoding: .utf8)
        }
        try Self.trickyStat.write(to: proc.appendingPathComponent("self/stat"), atomically: false, encoding: .utf8)
        try "Max open files            4096                 8192                 files\n"
            .write(to: proc.appendingPathComponent("self/limits"), atomically: false, encoding: .utf8)
        try "cpu  1 2 3\nbtime 1700000000\n"
            .write(to: proc.appendingPathComponent("stat"), atomically: false, encoding: .utf8)

        let probe = ProcessProbe(procRoot: proc.path, clockTicksPerSecond: 100, pageSize: 4096)
        let sample = try #require(probe.sample())

        #expect(sample.cpuSeconds == 3.25)
        #expect(sample.residentMemoryBytes == 2048 * 4096)
        #expect(sample.virtualMemoryBytes == 987_654_321)
        #expect(sample.openFDs == 5)
        #expect(sample.maxFDs == 4096)
        #expect(sample.startTimeSeconds == 1_700_000_000 + 1234.56)

        // The system-wide /proc/stat is read for the first sample only: the start time cannot change.
        try "cpu  1 2 3\nbtime 1800000000\n"
            .write(to: proc.appendingPathComponent("stat"), atomically: false, encoding: .utf8)
        #expect(try #require(probe.sample()).startTimeSeconds == 1_700_000_000 + 1234.56)
    }

    @Test func missingProcGivesNoSample() {
        #expect(ProcessProbe(procRoot: "/nonexistent-proc-\(UUID().uuidString)").sample() == nil)
    }
}
