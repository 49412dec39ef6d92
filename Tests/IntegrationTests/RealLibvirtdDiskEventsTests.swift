import Foundation
import HTTPTypes
import HummingbirdTesting
import Libvirt
import NIOCore
import Testing

/// Disk and job events from a real libvirtd and a real qemu: a guest whose second disk sits on a full
/// tmpfs pauses with an I/O error; the same guest crosses a block threshold; a dump and a save are real
/// jobs. The collector interval is far longer than each test, so what shows came from events.
@Suite(.serialized, .enabled(if: RealLibvirtd.enabled))
struct RealLibvirtdDiskEventsTests {
    init() throws {
        try RealLibvirtd.ensureUp()
    }

    @Test func aFullHostDiskPausesTheGuestAndIsCountedWithItsReason() async throws {
        let guest = try DiskWriterGuest(purpose: "ioerr", fullDisk: true)
        defer { guest.remove() }
        let libvirt = try RealLibvirtd.connect()
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600)) { client in
            let name = guest.name
            let domain = try libvirt.define(xml: guest.xml)
            // The definition names the data disk's source, which turns libvirt's alias into the target.
            try await client.expect("definition read", within: .seconds(30)) { $0.knownState(of: name) == "shutoff" }
            try await offPool { try domain.create() }
            let labels = ["domain": name, "device": "hdb", "reason": "enospc", "action": "pause"]
            let scrape = try await client.expect("I/O error", within: .seconds(60)) {
                $0.value("kvm_domain_io_errors_total", labels) == 1 && $0.state(of: name) == "paused"
            }
            #expect(scrape.value("kvm_domain_state_reason_info", ["domain": name, "reason": "ioerror"]) == 1)
            #expect(
                scrape.value(
                    "kvm_domain_lifecycle_events_total", ["domain": name, "event": "suspended", "detail": "ioerror"])
                    == 1)
            #expect(try promtoolProblems(scrape.text) == "")
            try await client.execute(uri: "/", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("Disk I/O errors"))
                #expect(page.contains("paused by the I/O error"))
                #expect(page.contains("hdb: 1 × enospc, pause"))
            }
        }
    }

    /// With error_policy 'report' qemu hands the error to the guest, which keeps running. libvirt then gives
    /// no reason (measured here: "report due to ", where a pause says "due to enospc"): the label is other.
    @Test func aReportedErrorIsCountedAndTheGuestRuns() async throws {
        let guest = try DiskWriterGuest(purpose: "ioreport", fullDisk: true)
        defer { guest.remove() }
        let libvirt = try RealLibvirtd.connect()
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600)) { client in
            let name = guest.name
            let domain = try libvirt.define(
                xml: guest.xml.replacingOccurrences(of: "error_policy='stop'", with: "error_policy='report'"))
            try await client.expect("definition read", within: .seconds(30)) { $0.knownState(of: name) == "shutoff" }
            try await offPool { try domain.create() }
            let labels = ["domain": name, "device": "hdb", "reason": "other", "action": "report"]
            let scrape = try await client.expect("reported I/O error", within: .seconds(60)) {
                $0.value("kvm_domain_io_errors_total", labels) == 1
            }
            #expect(scrape.state(of: name) == "running")
            #expect(try domain.state().state == 1, "libvirt says running too")
        }
    }

    @Test func aWritePastTheBlockThresholdIsCounted() async throws {
        let guest = try DiskWriterGuest(purpose: "thresh", fullDisk: false)
        defer { guest.remove() }
        let libvirt = try RealLibvirtd.connect()
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600)) { client in
            let name = guest.name
            let domain = try libvirt.define(xml: guest.xml)
            // The agent connected and listening for events before the one write happens: listed means connected.
            try await client.expect("definition read", within: .seconds(30)) { $0.knownState(of: name) == "shutoff" }
            // Paused first: the guest writes within a second of starting, before a threshold could be set.
            try domain.createPaused()
            try domain.setBlockThreshold("hdb", bytes: 100)
            try domain.resume()
            let scrape = try await client.expect("block threshold", within: .seconds(60)) {
                $0.value("kvm_domain_block_threshold_exceeded_total", ["domain": name, "device": "hdb"]) == 1
            }
            // One 512-byte sector written at offset 0: 412 bytes past 100.
            #expect(scrape.value("kvm_domain_block_threshold_excess_bytes", ["domain": name, "device": "hdb"]) == 412)
            #expect(scrape.series("kvm_domain_io_errors_total").allSatisfy { $0.labels["domain"] != name })
            #expect(try promtoolProblems(scrape.text) == "")
        }
    }

    /// A memory dump into a FIFO that nobody drains stands still with its job running: its figures show
    /// until the FIFO is read. Then a save, whose job-completed event is counted.
    @Test func aRunningDumpShowsItsProgressAndASaveIsCounted() async throws {
        let guest = try DiskWriterGuest(purpose: "jobs", fullDisk: false)
        defer { guest.remove() }
        let libvirt = try RealLibvirtd.connect()
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600)) { client in
            let name = guest.name
            let domain = try libvirt.define(xml: guest.xml)
            try await offPool { try domain.create() }
            _ = try await client.expect("start", within: .seconds(30)) { $0.state(of: name) == "running" }
            measureJobStats(domain)

            let fifo = guest.directory + "/\(name).dump"
            try #require(mkfifo(fifo, 0o666) == 0, "mkfifo \(fifo): \(errno)")
            // Opened for reading first, without blocking, so that libvirt's open for writing goes through.
            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            try #require(reader >= 0)
            defer { close(reader) }
            _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) & ~O_NONBLOCK)
            let dump = Task {
                try await offPool {
                    try run("/usr/bin/virsh", ["-c", RealLibvirtd.uri, "dump", "--memory-only", name, fifo])
                }
            }
            let job = ["domain": name]
            let running = try await client.expect("dump job", within: .seconds(60)) {
                $0.value("kvm_domain_job_info", ["domain": name, "operation": "dump", "type": "unbounded"]) == 1
                    && ($0.value("kvm_domain_job_data_processed_bytes", job) ?? 0) > 0
            }
            #expect((running.value("kvm_domain_job_data_total_bytes", job) ?? 0) >= 64 * 1024 * 1024)
            #expect((running.value("kvm_domain_job_data_remaining_bytes", job) ?? 0) > 0)
            #expect(running.value("kvm_domain_job_elapsed_seconds", job) != nil)
            #expect(running.value("kvm_domain_state_reason_info", ["domain": name, "reason": "dump"]) == 1)
            #expect(try promtoolProblems(running.text) == "")
            try await client.execute(uri: "/", method: .get) { response in
                #expect(String(buffer: response.body).contains("<td>\(name)</td><td>dump</td>"))
            }
            let drained = try await offPool {
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                var drained = 0
                while true {
                    let count = read(reader, &buffer, buffer.count)
                    guard count > 0 else { return drained }
                    drained += count
                }
            }
            let result = try await dump.value
            try #require(result.status == 0, "virsh dump: \(result.output)")
            #expect(drained >= 64 * 1024 * 1024)
            _ = try await client.expect("dump job gone", within: .seconds(30)) {
                $0.series("kvm_domain_job_info").allSatisfy { $0.labels["domain"] != name }
                    && $0.state(of: name) == "running"
            }

            let saved = guest.directory + "/\(name).save"
            let save = try run("/usr/bin/virsh", ["-c", RealLibvirtd.uri, "save", name, saved])
            try #require(save.status == 0, "virsh save: \(save.output)")
            let scrape = try await client.expect("save counted", within: .seconds(30)) {
                $0.value("kvm_domain_jobs_total", ["domain": name, "operation": "save", "result": "completed"]) == 1
            }
            // libvirt sends no job-completed event for a dump.
            #expect(scrape.value("kvm_domain_jobs_total", ["domain": name, "operation": "dump"]) == nil)
            #expect(try promtoolProblems(scrape.text) == "")
        }
    }

    /// What one `virDomainGetJobStats` costs on a running domain without a job: the price of polling every
    /// running domain each pass, which the agent avoids by polling only where events tell of a job.
    private func measureJobStats(_ domain: Domain) {
        let calls = 200
        let started = ContinuousClock.now
        for _ in 0..<calls { #expect((try? domain.jobStats().type) == 0) }
        let each = (ContinuousClock.now - started) / calls
        print("kvm-agent: virDomainGetJobStats without a job: \(each) per call over \(calls) calls")
    }
}

/// scripts/guests/disk-writer-guest.sh: a boot sector that writes to its second disk once. With `fullDisk`
/// that disk is a sparse file on a tmpfs filled up, so the write fails with ENOSPC.
private struct DiskWriterGuest {
    let name: String
    let xml: String
    let directory = Guest.imageDirectory
    let mountPoint: String?

    init(purpose: String, fullDisk: Bool) throws {
        name = "kvmagent-it-\(purpose)-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var data = "\(directory)/\(name).data.img"
        if fullDisk {
            let mount = "\(directory)/\(name).full"
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            let mounted = try run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k,mode=755", "tmpfs", mount])
            try #require(mounted.status == 0, "mount tmpfs: \(mounted.output)")
            mountPoint = mount
            data = "\(mount)/data.img"
            _ = try run("/usr/bin/truncate", ["-s", "1M", data])
            // Fills the tmpfs: dd stops with ENOSPC, which is the point.
            _ = try run("/usr/bin/dd", ["if=/dev/zero", "of=\(mount)/fill", "bs=4k"])
        } else {
            mountPoint = nil
        }
        let script = Repo.root.appending(path: "scripts/guests/disk-writer-guest.sh").path
        let result = try run("/bin/bash", [script, name, directory, data])
        try #require(result.status == 0, "disk-writer-guest.sh failed: \(result.output)")
        let start = try #require(result.output.range(of: "<domain"))
        xml = String(result.output[start.lowerBound...])
    }

    /// Destroys and undefines the domain, unmounts the tmpfs and removes the files; errors are ignored.
    func remove() {
        if let connection = try? RealLibvirtd.connect(), let domain = try? connection.domain(name: name) {
            try? domain.destroy()
            try? domain.undefine()
        }
        if let mountPoint {
            _ = try? run("/usr/bin/umount", [mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        for suffix in [".img", ".data.img", ".dump", ".save"] {
            try? FileManager.default.removeItem(atPath: "\(directory)/\(name)\(suffix)")
        }
    }
}

extension TestClientProtocol {
    /// Scrapes until `condition` holds, failing the test with the domain's series if it does not in time.
    @discardableResult
    fileprivate func expect(
        _ what: String, within deadline: Duration, _ condition: @escaping @Sendable (Scrape) -> Bool
    ) async throws -> Scrape {
        let (scrape, ok) = try await scrape(until: condition, within: deadline)
        #expect(
            ok,
            "\(what) not visible:\n\(scrape.text.split(separator: "\n").filter { $0.contains("kvmagent-it") }.joined(separator: "\n"))"
        )
        return scrape
    }
}
