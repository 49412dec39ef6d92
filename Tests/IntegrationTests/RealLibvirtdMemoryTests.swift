import Foundation
import HTTPTypes
import Libvirt
import Testing

/// The guest's memory figures, the balloon statistics period and KVM's counters, against a real libvirtd
/// and the agent binary as shipped.
@Suite(.serialized, .enabled(if: RealLibvirtd.enabled))
struct RealLibvirtdMemoryTests {
    init() throws {
        try RealLibvirtd.ensureUp()
    }

    static let periodLogLine = "set the balloon statistics period"

    /// `virsh` as an operator would run it; its output, or a recorded failure.
    static func virsh(_ arguments: String...) throws -> String {
        let result = try run("/usr/bin/virsh", ["-c", RealLibvirtd.uri] + arguments)
        try #require(result.status == 0, "virsh \(arguments): \(result.output)")
        return result.output
    }

    /// `virsh dommemstat`: name to value, KiB for sizes.
    static func dommemstat(_ domain: String) throws -> [String: Double] {
        var values: [String: Double] = [:]
        for line in try virsh("dommemstat", domain).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    static func scrape(_ agent: AgentProcess) -> Scrape? {
        guard let answer = try? agent.curl(["\(agent.base)/metrics"]), answer.status == .ok else { return nil }
        return Scrape(answer.text)
    }

    /// Polls the agent's /metrics until `condition` holds; the last scrape and whether it held.
    static func scrape(
        _ agent: AgentProcess, within deadline: Duration, until condition: (Scrape) throws -> Bool
    ) async throws -> (Scrape?, Bool) {
        let end = ContinuousClock.now + deadline
        var last: Scrape?
        while ContinuousClock.now < end {
            last = scrape(agent)
            if let last, try condition(last) { return (last, true) }
            try await Task.sleep(for: .milliseconds(200))
        }
        return (last, false)
    }

    /// A Linux guest with a balloon driver and `<stats period='2'/>`, and a halted guest with no period:
    /// the first one's figures equal virsh's, the second one is left alone without the flag and gets the
    /// flag's period, on the running domain only, with it.
    @Test func balloonFiguresAndTheStatisticsPeriod() async throws {
        let linux = try Guest(.linux, purpose: "balloon")
        let halted = try Guest(.halted, purpose: "noperiod")
        defer {
            linux.remove()
            halted.remove()
        }
        let libvirt = try RealLibvirtd.connect()
        let withPeriod = linux.xml.replacingOccurrences(
            of: "</devices>", with: "<memballoon model='virtio'><stats period='2'/></memballoon></devices>")
        try await offPool { try libvirt.define(xml: withPeriod).create() }
        try await offPool { try halted.define(on: libvirt).create() }
        try #require(try await linux.waitUntilBooted(), "guest never printed its ready line")

        let plain = try await AgentProcess(policy: nil, interval: "1s")
        defer { plain.kill() }
        // Figures from one and the same guest report: virsh before and after the scrape saw the same update.
        var matched: (Scrape, [String: Double])?
        let (last, reported) = try await Self.scrape(plain, within: .seconds(120)) { scrape in
            let before = try Self.dommemstat(linux.name)
            guard let update = before["last_update"], update > 0,
                scrape.value("kvm_domain_balloon_last_update_timestamp_seconds", ["domain": linux.name]) == update,
                try Self.dommemstat(linux.name)["last_update"] == update
            else { return false }
            matched = (scrape, before)
            return true
        }
        let agentLines = last?.text.split(separator: "\n").filter { $0.contains(linux.name) } ?? []
        let virshNow = try Self.dommemstat(linux.name)
        // A last_update of 0 from virsh: the guest's balloon driver never reported (is virtio_balloon in
        // scripts/guests/build-linux-guest.sh?).
        try #require(reported, "no report virsh and the agent agree on: virsh \(virshNow), agent \(agentLines)")
        let (scrape, virsh) = try #require(matched)
        let domain = ["domain": linux.name]
        let kib = 1024.0
        #expect(scrape.value("kvm_domain_balloon_swap_in_bytes_total", domain) == virsh["swap_in"].map { $0 * kib })
        #expect(scrape.value("kvm_domain_balloon_swap_out_bytes_total", domain) == virsh["swap_out"].map { $0 * kib })
        #expect(scrape.value("kvm_domain_balloon_major_faults_total", domain) == virsh["major_fault"])
        #expect(scrape.value("kvm_domain_balloon_minor_faults_total", domain) == virsh["minor_fault"])
        #expect(scrape.value("kvm_domain_balloon_disk_caches_bytes", domain) == virsh["disk_caches"].map { $0 * kib })
        #expect(scrape.value("kvm_domain_balloon_hugetlb_allocations_total", domain) == virsh["hugetlb_pgalloc"])
        #expect(scrape.value("kvm_domain_balloon_hugetlb_allocation_failures_total", domain) == virsh["hugetlb_pgfail"])
        #expect(scrape.value("kvm_domain_balloon_usable_bytes", domain) == virsh["usable"].map { $0 * kib })
        #expect((virsh["minor_fault"] ?? 0) > 0, "a booted guest has had page faults")

        #expect(scrape.value("kvm_domain_memory_stats_period_seconds", domain) == 2)
        #expect(scrape.value("kvm_domain_memory_stats_period_seconds", ["domain": halted.name]) == 0)
        #expect(scrape.value("kvm_domain_balloon_last_update_timestamp_seconds", ["domain": halted.name]) == nil)
        // Both are TCG guests: KVM's counters and halt polling are absent, not zero.
        for sample in scrape.samples
        where sample.name.hasPrefix("kvm_domain_kvm_") || sample.name.hasPrefix("kvm_domain_cpu_haltpoll_") {
            #expect(![linux.name, halted.name].contains(sample.labels["domain"]), "\(sample.name)")
        }
        #expect(try promtoolProblems(scrape.text) == "")
        #expect(!(try Self.virsh("dumpxml", halted.name).contains("<stats period")), "changed without the flag")
        #expect(!plain.daemon.log.contains(Self.periodLogLine))
        plain.kill()

        let setting = try await AgentProcess(policy: nil, extra: ["--collector.balloon-period", "7s"], interval: "1s")
        defer { setting.kill() }
        let (afterFlag, set) = try await Self.scrape(setting, within: .seconds(60)) {
            $0.value("kvm_domain_memory_stats_period_seconds", ["domain": halted.name]) == 7
                && ($0.value("kvm_agent_collections_total", ["result": "success"]) ?? 0) >= 3
        }
        try #require(set, "period not set: \(setting.daemon.log)")
        #expect(afterFlag?.value("kvm_domain_memory_stats_period_seconds", domain) == 2, "a period is kept")
        #expect(try Self.virsh("dumpxml", halted.name).contains("<stats period='7'/>"))
        #expect(!(try Self.virsh("dumpxml", "--inactive", halted.name).contains("<stats period")))
        // Other tests' running guests on this libvirtd get a line each too: count this guest's.
        let logged = setting.daemon.log.split(separator: "\n").filter {
            $0.contains(Self.periodLogLine) && $0.contains("domain=\(halted.name) ")
        }
        #expect(logged.count == 1, "\(logged)")
    }

    /// A Linux guest with a balloon driver and no statistics period, and the balloon group read once an hour:
    /// the passes in between leave the group out and keep its last reading, the guest is still sampled in
    /// full (its disk's figures tell libvirt held its job), and `virsh setmem` shows through the balloon
    /// event, which also has the next pass read the group.
    @Test func balloonGroupBetweenReadingsAndAfterABalloonChange() async throws {
        let linux = try Guest(.linux, purpose: "setmem")
        defer { linux.remove() }
        // A disk (the Linux guest boots from kernel and initrd and has none): its figures need the job too.
        let image = "\(Guest.imageDirectory)/\(linux.name).img"
        try #require(FileManager.default.createFile(atPath: image, contents: Data(count: 1 << 20)))
        let disk =
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='\(image)'/>"
            + "<target dev='vda' bus='virtio'/></disk></devices>"
        try await offPool {
            try RealLibvirtd.connect().define(xml: linux.xml.replacingOccurrences(of: "</devices>", with: disk))
                .create()
        }
        try #require(try await linux.waitUntilBooted(), "guest never printed its ready line")

        let agent = try await AgentProcess(
            policy: nil, extra: ["--collector.balloon.interval", "1h"], interval: "1s")
        defer { agent.kill() }
        let domain = ["domain": linux.name]
        // Three passes after the group's last reading: sampled each time, the group not read again, its figures
        // still shown. A balloon event (the guest's driver settling after boot) may make a pass read it once
        // more first; with the group read every pass the two timestamps would never be 3 s apart.
        var previous: (read: Double, rss: Double)?
        let (later, passed) = try await Self.scrape(agent, within: .seconds(60)) { scrape in
            guard let read = scrape.value("kvm_domain_balloon_timestamp_seconds", domain),
                let sampled = scrape.value("kvm_domain_stats_timestamp_seconds", domain),
                let rss = scrape.value("kvm_domain_balloon_rss_bytes", domain)
            else { return false }
            defer { previous = (read, rss) }
            return sampled >= read + 3 && previous?.read == read && previous?.rss == rss
        }
        try #require(passed, "the balloon group was read again and again: \(agent.daemon.log)")
        let readAt = try #require(later?.value("kvm_domain_balloon_timestamp_seconds", domain))
        #expect(later?.value("kvm_domain_stats_timed_out", domain) == 0)
        #expect(
            later?.value("kvm_domain_block_read_requests_total", domain.merging(["device": "vda"]) { a, _ in a }) != nil
        )

        let before = try #require(try Self.dommemstat(linux.name)["actual"])
        _ = try Self.virsh("setmem", linux.name, "\(Int(before) - 32 * 1024)", "--live")
        // The guest's driver gives the memory back in steps, each with its event: wait for the last one.
        let (after, shown) = try await Self.scrape(agent, within: .seconds(30)) { scrape in
            let actual = try Self.dommemstat(linux.name)["actual"] ?? before
            return actual < before && scrape.value("kvm_domain_memory_bytes", domain) == actual * 1024
                && (scrape.value("kvm_domain_balloon_timestamp_seconds", domain) ?? 0) > readAt
        }
        let lines = after?.text.split(separator: "\n").filter { $0.contains(linux.name) && $0.contains("memory") }
        let virsh = try Self.dommemstat(linux.name)
        #expect(shown, "virsh \(virsh), agent \(lines ?? [])")
        #expect(try promtoolProblems(after?.text ?? "") == "")
    }

    /// KVM's own counters from a guest of type kvm (this machine's /dev/kvm runs the halted guest, not a
    /// Linux kernel): per-vCPU ones always, per-VM ones with --collector.vm.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/kvm")))
    func kvmCountersOfAKVMGuest() async throws {
        let guest = try Guest(.halted, purpose: "kvmstats")
        defer { guest.remove() }
        let libvirt = try RealLibvirtd.connect()
        let xml = guest.xml.replacingOccurrences(of: "<domain type='qemu'>", with: "<domain type='kvm'>")
        try await offPool { try libvirt.define(xml: xml).create() }
        let agent = try await AgentProcess(policy: nil, extra: ["--collector.vm"], interval: "1s")
        defer { agent.kill() }
        let domain = ["domain": guest.name]
        let (scrape, seen) = try await Self.scrape(agent, within: .seconds(60)) {
            ($0.value("kvm_domain_kvm_exits_total", domain) ?? 0) > 0
                && $0.value("kvm_domain_kvm_mapped_bytes", domain.merging(["page_size": "4KiB"]) { a, _ in a }) != nil
        }
        try #require(seen, "\(scrape?.text.split(separator: "\n").filter { $0.contains(guest.name) } ?? [])")
        let vm = try Self.virsh("domstats", "--vm", guest.name)
        #expect(vm.contains("vm.remote_tlb_flush.sum="))
        #expect(scrape?.value("kvm_domain_kvm_remote_tlb_flushes_total", domain) != nil)
        #expect(scrape?.value("kvm_domain_cpu_haltpoll_success_seconds_total", domain) != nil)
        #expect(try promtoolProblems(scrape?.text ?? "") == "")
    }
}
