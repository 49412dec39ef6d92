import Foundation
import HummingbirdTesting
import Libvirt
import Testing

/// The agent against a real libvirtd with real qemu guests. Serialized: the last test restarts libvirtd.
@Suite(.serialized, .enabled(if: RealLibvirtd.enabled))
struct RealLibvirtdTests {
    init() throws {
        try RealLibvirtd.ensureUp()
    }

    /// Every transition shows on /metrics through events: the collector interval is far longer than the test.
    @Test func lifecycleTransitionsArriveThroughEvents() async throws {
        let guest = try Guest(.linux, purpose: "lifecycle")
        defer { guest.remove() }
        let libvirt = try RealLibvirtd.connect()
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600)) { client in
            _ = try await client.scrape(until: { $0.value("kvm_libvirt_up") == 1 })
            let name = guest.name
            @Sendable func events(_ event: String, _ detail: String) -> @Sendable (Scrape) -> Bool {
                {
                    ($0.value("kvm_domain_lifecycle_events_total", ["domain": name, "event": event, "detail": detail])
                        ?? 0) >= 1
                }
            }
            func expectVisible(_ what: String, _ condition: @escaping @Sendable (Scrape) -> Bool) async throws {
                let started = ContinuousClock.now
                // TCG guests on a loaded 2-core machine take their time to act on ACPI: a generous deadline.
                let (scrape, ok) = try await client.scrape(until: condition, within: .seconds(90))
                #expect(
                    ok,
                    "\(what) not visible:\n\(scrape.text.split(separator: "\n").filter { $0.contains(name) }.joined(separator: "\n"))"
                )
                print("kvm-agent: \(what) visible on /metrics after \(ContinuousClock.now - started)")
            }

            let domain = try guest.define(on: libvirt)
            try await expectVisible("define") { events("defined", "added")($0) && $0.state(of: name) == "shutoff" }

            try await offPool { try domain.create() }
            try await expectVisible("start") { events("started", "booted")($0) && $0.state(of: name) == "running" }
            let running = try await client.scrape()
            #expect(running.value("kvm_domain_state_reason_info", ["domain": name, "reason": "booted"]) == 1)
            #expect(running.value("kvm_domain_state_changed_timestamp_seconds", ["domain": name]) != nil)
            #expect(try promtoolProblems(running.text) == "")
            // qemu-system-x86 is installed, so TCG guests can always run.
            #expect(running.value("kvm_host_domain_type_supported", ["type": "qemu"]) == 1)

            try #require(try await guest.waitUntilBooted(), "guest never printed its ready line")
            try domain.shutdown()
            try await expectVisible("ACPI shutdown") {
                events("stopped", "shutdown")($0) && $0.state(of: name) == "shutoff"
                    && $0.value("kvm_domain_state_reason_info", ["domain": name, "reason": "shutdown"]) == 1
            }

            try await offPool { try domain.create() }
            try await expectVisible("second start") {
                ($0.value(
                    "kvm_domain_lifecycle_events_total", ["domain": name, "event": "started", "detail": "booted"]) ?? 0)
                    >= 2
            }
            try await offPool { try domain.destroy() }
            try await expectVisible("destroy") {
                events("stopped", "destroyed")($0) && $0.state(of: name) == "shutoff"
                    && $0.value("kvm_domain_state_reason_info", ["domain": name, "reason": "destroyed"]) == 1
            }

            // What `virsh edit` does: define the same domain again with a change.
            let edited = try domain.xml().replacingOccurrences(
                of: "</name>", with: "</name><description>edited</description>")
            _ = try libvirt.define(xml: edited)
            try await expectVisible("redefine") { events("defined", "updated")($0) }

            try domain.undefine()
            try await expectVisible("undefine") { scrape in
                !scrape.series("kvm_domain_info").contains { $0.labels["domain"] == name }
            }
            let scrape = try await client.scrape()
            #expect((scrape.value("kvm_agent_events_received_total", ["event": "started"]) ?? 0) >= 2)
        }
    }

    /// One guest's qemu stopped with SIGSTOP: scrapes keep answering, the other guest keeps fresh figures,
    /// the stuck one is reported, and it recovers after SIGCONT.
    @Test func stuckDomainDoesNotStallTheOthers() async throws {
        let stuck = try Guest(.halted, purpose: "stuck")
        let healthy = try Guest(.halted, purpose: "healthy")
        defer {
            if let pid = try? RealLibvirtd.qemuPID(stuck.name) { kill(pid, SIGCONT) }
            stuck.remove()
            healthy.remove()
        }
        let libvirt = try RealLibvirtd.connect()
        try await offPool { try stuck.define(on: libvirt).create() }
        try await offPool { try healthy.define(on: libvirt).create() }
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(1), timeout: .seconds(1)) { client in
            let (_, sampled) = try await client.scrape(until: { scrape in
                [stuck.name, healthy.name].allSatisfy {
                    scrape.value("kvm_domain_stats_timestamp_seconds", ["domain": $0]) != nil
                }
            })
            try #require(sampled)
            let pid = try RealLibvirtd.qemuPID(stuck.name)
            kill(pid, SIGSTOP)

            let (_, reported) = try await client.scrape(
                until: { $0.value("kvm_domain_stats_timed_out", ["domain": stuck.name]) == 1 }, within: .seconds(20))
            #expect(reported, "the stuck domain was never reported")

            // While it stays stuck: every scrape answers at once, and the healthy guest is sampled again and again.
            var timestamps = Set<Double>()
            var slowest = Duration.zero
            let end = ContinuousClock.now + .seconds(12)
            while ContinuousClock.now < end {
                let started = ContinuousClock.now
                let scrape = try await client.scrape()
                slowest = max(slowest, ContinuousClock.now - started)
                if let t = scrape.value("kvm_domain_stats_timestamp_seconds", ["domain": healthy.name]) {
                    timestamps.insert(t)
                }
                #expect(scrape.state(of: stuck.name) == "running")
                try await Task.sleep(for: .milliseconds(250))
            }
            print(
                "kvm-agent: slowest scrape while a domain was stuck: \(slowest); healthy samples: \(timestamps.count)")
            #expect(slowest < .seconds(1))
            #expect(timestamps.count >= 3, "the healthy guest was sampled \(timestamps.count) times in 12 s")

            kill(pid, SIGCONT)
            let (_, recovered) = try await client.scrape(
                until: { $0.value("kvm_domain_stats_timed_out", ["domain": stuck.name]) == 0 }, within: .seconds(60))
            #expect(recovered, "the domain stayed reported as stuck after SIGCONT")
        }
    }

    /// A frozen guest costs the others nothing: from the first pass after one guest's qemu is stopped, every
    /// other guest's statistics timestamp follows the one before within an interval and a second, and the
    /// frozen one is marked timed out within one deadline of the pass that found it. Guests on both sides
    /// of the frozen one in the bulk call's order (domains are asked in name order).
    @Test func frozenGuestDoesNotAgeTheOthers() async throws {
        let before = try Guest(.halted, purpose: "afrozen-before")
        let frozen = try Guest(.halted, purpose: "frozen")
        let after = try Guest(.halted, purpose: "zfrozen-after")
        defer {
            if let pid = try? RealLibvirtd.qemuPID(frozen.name) { kill(pid, SIGCONT) }
            for guest in [before, frozen, after] { guest.remove() }
        }
        let libvirt = try RealLibvirtd.connect()
        for guest in [before, frozen, after] { try await offPool { try guest.define(on: libvirt).create() } }
        let interval = 2.0
        let timeout = 2.0
        let healthy = [before.name, after.name]
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(interval), timeout: .seconds(timeout)) {
            client in
            let (first, sampled) = try await client.scrape(until: { scrape in
                [before.name, frozen.name, after.name].allSatisfy {
                    scrape.value("kvm_domain_stats_timestamp_seconds", ["domain": $0]) != nil
                }
            })
            try #require(sampled)
            // Freeze right after a pass published, so that the next pass is the first to meet the frozen guest.
            let (last, passed) = try await client.scrape(
                until: { scrape in
                    healthy.allSatisfy {
                        scrape.value("kvm_domain_stats_timestamp_seconds", ["domain": $0])
                            != first.value("kvm_domain_stats_timestamp_seconds", ["domain": $0])
                    }
                }, within: .seconds(2 * interval + timeout))
            try #require(passed)
            kill(try RealLibvirtd.qemuPID(frozen.name), SIGSTOP)
            let frozenAt = Date().timeIntervalSince1970

            var timestamps: [String: [Double]] = [:]
            for name in healthy {
                timestamps[name] = [try #require(last.value("kvm_domain_stats_timestamp_seconds", ["domain": name]))]
            }
            var markedAt: Double?
            var oldest: [String: Double] = [:]
            let end = frozenAt + 3 * interval + timeout
            while Date().timeIntervalSince1970 < end {
                let scrape = try await client.scrape()
                let now = Date().timeIntervalSince1970
                if markedAt == nil, scrape.value("kvm_domain_stats_timed_out", ["domain": frozen.name]) == 1 {
                    markedAt = now
                }
                for name in healthy {
                    if let t = scrape.value("kvm_domain_stats_timestamp_seconds", ["domain": name]),
                        t != timestamps[name]?.last
                    {
                        timestamps[name, default: []].append(t)
                    }
                    oldest[name] = max(oldest[name] ?? 0, now - (timestamps[name]?.last ?? 0))
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            for name in healthy {
                let series = timestamps[name] ?? []
                let gaps = zip(series.dropFirst(), series).map { $0 - $1 }
                print(
                    "kvm-agent: \(name) timestamps after the freeze, gaps \(gaps.map { (($0 * 100).rounded() / 100) })")
                #expect(series.count >= 3, "\(name) sampled \(series.count - 1) times after the freeze")
                #expect(gaps.allSatisfy { $0 <= interval + 1 }, "\(name): gaps \(gaps)")
                // The figures on show were never older than an interval and a second (and a scrape's own time).
                #expect(
                    (oldest[name] ?? .infinity) <= interval + 1.2, "\(name)'s figures were \(oldest[name] ?? 0) s old")
            }
            let marked = try #require(markedAt, "the frozen guest was never marked timed out")
            print("kvm-agent: frozen guest marked timed out \(marked - frozenAt) s after the freeze")
            // The first pass begins within an interval of the freeze; it marks the guest within one deadline.
            #expect(marked - frozenAt <= interval + timeout + 1)
        }
    }

    /// What `virsh vcpuinfo` shows (physical CPU, state, affinity) is what the agent exports, also after a
    /// vCPU is pinned live: each vCPU's figures come from a `virDomainGetVcpus` sized to the domain's vCPUs.
    @Test func vcpuinfoMatchesVirshAfterLivePinning() async throws {
        let guest = try Guest(.halted, purpose: "vcpuinfo")
        defer { guest.remove() }
        let libvirt = try RealLibvirtd.connect()
        let xml = guest.xml.replacingOccurrences(
            of: "<vcpu placement='static'>1</vcpu>", with: "<vcpu placement='static'>2</vcpu>")
        try #require(xml != guest.xml)
        try await offPool { try libvirt.define(xml: xml).create() }
        let hostCPUs = try libvirt.nodeInfo().cpus

        /// vCPU number to (physical CPU, state, affinity) as `virsh vcpuinfo` prints them.
        @Sendable func virsh() throws -> [String: (cpu: Double, state: String, affinity: Set<Int>)] {
            let result = try run("/usr/bin/virsh", ["-c", RealLibvirtd.uri, "vcpuinfo", guest.name])
            var vcpus: [String: (cpu: Double, state: String, affinity: Set<Int>)] = [:]
            for block in result.output.components(separatedBy: "\n\n") {
                var fields: [String: String] = [:]
                for line in block.split(separator: "\n") {
                    let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    if parts.count == 2 { fields[parts[0]] = parts[1] }
                }
                guard let number = fields["VCPU"], let cpu = fields["CPU"].flatMap(Double.init),
                    let state = fields["State"], let map = fields["CPU Affinity"]
                else { continue }
                vcpus[number] = (cpu, state, Set(map.enumerated().filter { $0.element == "y" }.map(\.offset)))
            }
            return vcpus
        }
        @Sendable func cpus(_ list: String) -> Set<Int> {
            Set(
                list.split(separator: ",").flatMap { range -> [Int] in
                    let ends = range.split(separator: "-").compactMap { Int($0) }
                    guard let low = ends.first, let high = ends.last, low <= high else { return [] }
                    return Array(low...high)
                })
        }

        /// Whether the agent's vCPUs match virsh's: state and affinity exactly; the physical CPU exactly when
        /// `exactCPU`, else any host CPU (an unpinned vCPU's thread moves between reads every 60 s).
        @Sendable func matches(_ scrape: Scrape, exactCPU: Bool, mismatch: inout String) -> Bool {
            guard let expected = try? virsh(), expected.count == 2 else { return false }
            for (number, want) in expected {
                let labels = ["domain": guest.name, "vcpu": number]
                let cpu = scrape.value("kvm_domain_vcpu_physical_cpu", labels)
                let state = scrape.series("kvm_domain_vcpu_state").first {
                    $0.labels["domain"] == guest.name && $0.labels["vcpu"] == number && $0.value == 1
                }?.labels["state"]
                let affinity = scrape.series("kvm_domain_vcpu_affinity_info").first {
                    $0.labels["domain"] == guest.name && $0.labels["vcpu"] == number
                }?.labels["cpus"].map(cpus)
                let cpuMatches = exactCPU ? cpu == want.cpu : cpu.map { (0..<Double(hostCPUs)).contains($0) } ?? false
                guard cpuMatches, state == want.state, affinity == want.affinity else {
                    mismatch = "vCPU \(number): agent \(String(describing: (cpu, state, affinity))), virsh \(want)"
                    return false
                }
            }
            return true
        }

        // vcpuinfo is read when the domain is first seen and then every 60 s (the default interval): within
        // this test, the pinning reaches /metrics only through its tuning event.
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(1)) { client in
            let (_, unpinned) = try await client.scrape(
                until: { scrape in
                    scrape.series("kvm_domain_vcpu_affinity_info").first {
                        $0.labels["domain"] == guest.name && $0.labels["vcpu"] == "1"
                    }?.labels["cpus"].map(cpus) == Set(0..<hostCPUs)
                })
            try #require(unpinned, "vCPU 1 may run on every host CPU before it is pinned")
            let pin = try run(
                "/usr/bin/virsh", ["-c", RealLibvirtd.uri, "vcpupin", guest.name, "1", "\(hostCPUs - 1)", "--live"])
            try #require(pin.status == 0, "virsh vcpupin: \(pin.output)")
            var mismatch = "never compared"
            let (_, matched) = try await client.scrape(
                until: { matches($0, exactCPU: false, mismatch: &mismatch) }, within: .seconds(20))
            #expect(matched, "\(mismatch)")
        }
        // Read every pass, the physical CPU too is virsh's.
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(1), vcpuinfoInterval: .zero) { client in
            var mismatch = "never compared"
            let (_, matched) = try await client.scrape(
                until: { matches($0, exactCPU: true, mismatch: &mismatch) }, within: .seconds(20))
            #expect(matched, "\(mismatch)")
        }
    }

    /// libvirtd killed with SIGKILL and started again 5 s later: the agent reports the loss, reconnects within
    /// 5 s of the restart, registers its event callbacks again and counts the next event.
    @Test func reconnectsAfterLibvirtdIsKilled() async throws {
        let guest = try Guest(.halted, purpose: "reconnect")
        defer { guest.remove() }
        try guest.define(on: try RealLibvirtd.connect())
        try await withAgent(uri: RealLibvirtd.uri, interval: .seconds(600)) { client in
            let (_, listed) = try await client.scrape(until: { $0.state(of: guest.name) == "shutoff" })
            try #require(listed)
            let killed = try run("/usr/bin/pkill", ["-KILL", "-x", "libvirtd"])
            try #require(killed.status == 0, "no libvirtd to kill")
            let (down, sawDown) = try await client.scrape(until: { $0.value("kvm_libvirt_up") == 0 })
            #expect(sawDown)
            #expect(down.series("kvm_domain_state").isEmpty, "domain states served while libvirt was down")

            // Down for 5 s (the scenario, not a wait for something): the backoff has grown by then.
            try await Task.sleep(for: .seconds(5))
            try RealLibvirtd.ensureUp()
            let restarted = ContinuousClock.now
            let (_, up) = try await client.scrape(
                until: {
                    $0.value("kvm_libvirt_up") == 1 && ($0.value("kvm_agent_libvirt_reconnects_total") ?? 0) >= 1
                },
                within: .seconds(5))
            #expect(up, "no reconnect within 5 s of the restart")
            print("kvm-agent: reconnected \(ContinuousClock.now - restarted) after libvirtd answered again")

            try await offPool { try RealLibvirtd.connect().domain(name: guest.name).create() }
            let (_, counted) = try await client.scrape(until: {
                $0.value(
                    "kvm_domain_lifecycle_events_total", ["domain": guest.name, "event": "started", "detail": "booted"])
                    == 1
                    && $0.state(of: guest.name) == "running"
            })
            #expect(counted, "the first event after the restart was not counted")
        }
    }
}
