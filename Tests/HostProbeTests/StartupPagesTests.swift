import Foundation
import Testing

@testable import HostProbe

@Suite struct StartupPagesTests {
    /// One smaps record: the header line, then the fields the release looks at among those the kernel writes.
    static func record(
        _ range: String, _ perms: String, _ path: String, rss: Int = 64, anonymous: Int = 0, swap: Int = 0,
        locked: Int = 0
    ) -> String {
        """
        \(range) \(perms) 00000000 fe:00 4907098                    \(path)
        Size:                128 kB
        KernelPageSize:        4 kB
        Rss:                 \(rss) kB
        Pss:                  12 kB
        Shared_Clean:        \(rss) kB
        Private_Dirty:         0 kB
        Anonymous:             \(anonymous) kB
        AnonHugePages:         0 kB
        Swap:                  \(swap) kB
        SwapPss:               0 kB
        Locked:                \(locked) kB
        THPeligible:           0
        VmFlags: rd mr mw me

        """
    }

    @Test func onlyCleanReadOnlyPrivateFileMappingsAreReleasable() {
        let smaps = [
            Self.record("5600000000-5600200000", "r--p", "/usr/bin/kvm-agent", rss: 2048),
            Self.record("5600200000-5600a00000", "r-xp", "/usr/bin/kvm-agent", rss: 4096),
            // Relocated data the loader made read-only afterwards: its pages are its own.
            Self.record("5600a00000-5600a40000", "r--p", "/usr/bin/kvm-agent", anonymous: 8),
            Self.record("5600a40000-5600a80000", "rw-p", "/usr/bin/kvm-agent"),
            Self.record("7f0000000000-7f0000010000", "r--s", "/dev/shm/shared"),
            Self.record("7f0000010000-7f0000020000", "r--p", "/usr/lib/libswapped.so", swap: 4),
            Self.record("7f0000020000-7f0000030000", "r-xp", "/usr/lib/liblocked.so", locked: 64),
            Self.record("7f0000030000-7f0000040000", "r-xp", "/usr/lib/libcold.so", rss: 0),
            Self.record("7f0000040000-7f0000050000", "r--p", ""),
            Self.record("7ffd00000000-7ffd00002000", "r-xp", "[vdso]"),
            Self.record("7f0000050000-7f0000060000", "r-xp", "/opt/my libs/libspace.so (deleted)", rss: 8),
        ].joined()
        let found = StartupPages.releasable(smaps: smaps)
        #expect(
            found == [
                FileMapping(
                    start: 0x56_0000_0000, end: 0x56_0020_0000, path: "/usr/bin/kvm-agent", residentBytes: 2 << 20),
                FileMapping(
                    start: 0x56_0020_0000, end: 0x56_00a0_0000, path: "/usr/bin/kvm-agent", residentBytes: 4 << 20),
                FileMapping(
                    start: 0x7f00_0005_0000, end: 0x7f00_0006_0000, path: "/opt/my libs/libspace.so (deleted)",
                    residentBytes: 8 << 10),
            ])
    }

    @Test func aRecordWithoutItsAnonymousLineIsLeftAlone() {
        let record = Self.record("5600000000-5600200000", "r--p", "/usr/bin/kvm-agent")
        #expect(StartupPages.releasable(smaps: record).count == 1)
        let withoutAnonymous = record.split(separator: "\n").filter { !$0.hasPrefix("Anonymous:") }.joined(
            separator: "\n")
        #expect(StartupPages.releasable(smaps: withoutAnonymous).isEmpty)
    }

    @Test func garbageFindsNothing() {
        #expect(StartupPages.releasable(smaps: "").isEmpty)
        #expect(StartupPages.releasable(smaps: "Rss: 4 kB\nnot-a-range r--p 0 0 0 /x\nzz-yy r-xp 0 0:0 1 /y\n").isEmpty)
    }
}
