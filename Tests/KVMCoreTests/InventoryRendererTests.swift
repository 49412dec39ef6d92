import Foundation
import Testing

@testable import KVMCore

@Suite struct InventoryRendererTests {
    let renderer = InventoryRenderer()

    /// Three domains inserted out of name order, with UUIDs that sort differently from the names.
    static func mixedInventory() -> Inventory {
        var paused = Fixtures.sampledEntry("bravo", 1)
        paused.state = .paused
        paused.reason = "user"
        return Fixtures.inventory([Fixtures.sampledEntry("charlie", 2), Fixtures.shutOffEntry("alpha", 3), paused])
    }

    /// Everything the agent would serve: the inventory plus the process families.
    func fullOutput(_ inventory: Inventory) -> (text: String, duplicatesDropped: Int) {
        let rendered = renderer.render(inventory)
        var writer = ExpositionWriter()
        renderer.writeProcessFamilies(
            ProcessSample(
                cpuSeconds: 1.25, residentMemoryBytes: 20_000_000, virtualMemoryBytes: 1e9, openFDs: 12, maxFDs: 1024,
                startTimeSeconds: 1_700_000_000.5),
            into: &writer)
        return (rendered.text + writer.output, rendered.duplicatesDropped)
    }

    @Test func renderingIsByteIdenticalAndIndependentOfInsertionOrder() {
        let inventory = Self.mixedInventory()
        let first = renderer.render(inventory).text
        #expect(first == renderer.render(inventory).text)
        var reordered = Fixtures.inventory([])
        for uuid in inventory.domains.keys.sorted().reversed() { reordered.domains[uuid] = inventory.domains[uuid] }
        #expect(renderer.render(reordered).text == first)
    }

    @Test func familiesComeInAFixedOrderAndDomainsByName() throws {
        let parsed = ParsedExposition(renderer.render(Self.mixedInventory()).text)
        let names = parsed.families.map(\.name)
        #expect(names.first == "kvm_libvirt_up")
        let anchors = [
            "kvm_libvirt_up", "kvm_libvirt_info", "kvm_host_cpus", "kvm_host_virtualization_info", "kvm_domain_info",
            "kvm_domain_state", "kvm_domain_lifecycle_events_total", "kvm_domain_memory_bytes",
            "kvm_domain_cpu_time_seconds_total", "kvm_domain_vcpu_state", "kvm_domain_block_info",
            "kvm_domain_block_read_bytes_total", "kvm_domain_interface_info",
            "kvm_domain_interface_receive_bytes_total",
        ]
        let positions = try anchors.map { try #require(names.firstIndex(of: $0), "\($0) missing") }
        #expect(positions == positions.sorted())

        // The same families in the same order for a different inventory with every kind of figure.
        let single = ParsedExposition(renderer.render(Fixtures.inventory([Fixtures.sampledEntry("zulu", 9)])).text)
        #expect(single.families.map(\.name) == names.filter { single.family($0) != nil })

        let stateDomains = parsed.samples("kvm_domain_state").map { $0.labels["domain"]! }
        #expect(stateDomains == ["alpha"] * 8 + ["bravo"] * 8 + ["charlie"] * 8)
        #expect(parsed.samples("kvm_domain_info").map { $0.labels["domain"]! } == ["alpha", "bravo", "charlie"])
        #expect(
            parsed.samples("kvm_domain_cpu_time_seconds_total").map { $0.labels["domain"]! } == ["bravo", "charlie"])
    }

    @Test func outputIsWellFormedWithKVMOrProcessNames() {
        let (text, _) = fullOutput(Self.mixedInventory())
        let parsed = ParsedExposition(text)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        #expect(parsed.families.count > 40)
        for family in parsed.families {
            #expect(family.name.hasPrefix("kvm_") || family.name.hasPrefix("process_"), "\(family.name)")
            #expect(!family.help.isEmpty, "\(family.name)")
            if family.type == "counter" {
                #expect(family.name.hasSuffix("_total"), "\(family.name)")
            } else {
                #expect(
                    !family.name.hasSuffix("_total"), "\(family.name) ends in _total but is a \(family.type ?? "?")")
            }
        }
        let helpLines = text.split(separator: "\n").filter { $0.hasPrefix("# HELP ") }
        let typeLines = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
        #expect(helpLines.count == parsed.families.count)
        #expect(typeLines.count == parsed.families.count)
    }

    @Test func noSeriesRepeatsAnywhere() {
        let parsed = ParsedExposition(fullOutput(Self.mixedInventory()).text)
        let series = parsed.samples.map(\.series)
        #expect(Set(series).count == series.count)
    }

    @Test func stateHasEightSeriesPerDomainAndOneIsSet() {
        let inventory = Self.mixedInventory()
        let parsed = ParsedExposition(renderer.render(inventory).text)
        let samples = parsed.samples("kvm_domain_state")
        #expect(samples.count == 8 * inventory.domains.count)
        for entry in inventory.domains.values {
            let own = samples.filter { $0.labels["domain"] == entry.ref.name }
            #expect(own.count == 8)
            #expect(Set(own.map { $0.labels["state"]! }) == Set(DomainState.allCases.map(\.name)))
            let set = own.filter { $0.value == "1" }
            #expect(set.count == 1)
            #expect(set.first?.labels["state"] == entry.state.name)
            #expect(own.filter { $0.value == "0" }.count == 7)
        }
    }

    @Test func domainFiguresAreInBaseUnits() {
        let parsed = ParsedExposition(renderer.render(Self.mixedInventory()).text)
        #expect(parsed.value("kvm_domain_cpu_time_seconds_total", ["domain": "charlie"]) == "2.5")
        #expect(parsed.value("kvm_domain_memory_bytes", ["domain": "charlie"]) == "2147483648")
        #expect(
            parsed.value("kvm_domain_memory_bytes", ["domain": "alpha"]) == "4294967296",
            "shut off: from the definition")
        #expect(parsed.value("kvm_domain_block_read_seconds_total", ["domain": "charlie", "device": "vda"]) == "3")
        #expect(parsed.value("kvm_domain_vcpu_state", ["domain": "charlie", "vcpu": "1", "state": "blocked"]) == "1")
        #expect(parsed.value("kvm_domain_vcpu_affinity_info", ["domain": "charlie", "vcpu": "1"]) != nil)
        #expect(parsed.samples("kvm_domain_vcpu_affinity_info").contains { $0.labels["cpus"] == "0-3,8" })
        #expect(parsed.value("kvm_domain_vcpu_wait_seconds_total", ["domain": "charlie", "vcpu": "0"]) == "0.001")
        #expect(parsed.value("kvm_domain_info", ["domain": "alpha"]) == "1")
        #expect(parsed.samples("kvm_domain_info").first?.labels["os_variant"] == "http://centos.org/centos/7.0")
        #expect(parsed.value("kvm_domain_lifecycle_events_total", ["domain": "charlie", "event": "started"]) == "1")
        #expect(parsed.value("kvm_host_domain_type_supported", ["type": "kvm"]) == "1")
        #expect(parsed.value("kvm_libvirt_up") == "1")
    }

    @Test func sameInterfaceNameTwiceKeepsTheFirstAndCountsTheRest() throws {
        var entry = Fixtures.sampledEntry("alpha", 1)
        var stats = try #require(entry.stats)
        var second = try #require(stats.interfaces.first)
        second.receiveBytes = 999_999
        stats.interfaces.append(second)
        entry.stats = stats
        let figures = [
            second.receiveBytes, second.receivePackets, second.receiveErrors, second.receiveDrops, second.transmitBytes,
            second.transmitPackets, second.transmitErrors, second.transmitDrops,
        ].compactMap { $0 }.count

        let (text, dropped) = fullOutput(Fixtures.inventory([entry]))
        let parsed = ParsedExposition(text)
        #expect(dropped == figures)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        let series = parsed.samples.map(\.series)
        #expect(Set(series).count == series.count)
        #expect(
            parsed.value("kvm_domain_interface_receive_bytes_total", ["domain": "alpha", "interface": "vnet0"])
                == "1000")
    }

    @Test func absentFiguresProduceNoSeries() throws {
        var partial = Fixtures.sampledEntry("alpha", 1)
        partial.stats?.memoryBytes = nil
        partial.stats?.cpuUserSeconds = nil
        partial.stats?.blocks[0].readBytes = nil
        partial.stats?.balloon = .init()
        var timedOut = Fixtures.sampledEntry("bravo", 2)
        timedOut.stats = nil
        timedOut.vcpus = []
        timedOut.statsTimedOut = true
        let parsed = ParsedExposition(renderer.render(Fixtures.inventory([partial, timedOut])).text)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")

        #expect(parsed.samples("kvm_domain_memory_bytes").isEmpty)
        #expect(parsed.samples("kvm_domain_cpu_user_seconds_total").isEmpty)
        #expect(parsed.family("kvm_domain_balloon_rss_bytes") == nil)
        #expect(parsed.samples("kvm_domain_block_read_bytes_total").isEmpty)
        #expect(parsed.value("kvm_domain_block_write_bytes_total", ["domain": "alpha", "device": "vda"]) == "204800")

        let bravo = parsed.samples.filter { $0.labels["domain"] == "bravo" }.map(\.name)
        #expect(!bravo.contains("kvm_domain_cpu_time_seconds_total"))
        #expect(!bravo.contains("kvm_domain_stats_timestamp_seconds"))
        #expect(!bravo.contains { $0.hasPrefix("kvm_domain_vcpu_") })
        #expect(!bravo.contains { $0.hasPrefix("kvm_domain_block_") && $0 != "kvm_domain_block_info" })
        #expect(!bravo.contains { $0.hasPrefix("kvm_domain_interface_") && $0 != "kvm_domain_interface_info" })
        #expect(parsed.value("kvm_domain_stats_timed_out", ["domain": "bravo"]) == "1")
        #expect(parsed.value("kvm_domain_stats_timed_out", ["domain": "alpha"]) == "0")
        // Values are never invented as zeros for missing figures.
        let bravoCounters = parsed.samples.filter { $0.labels["domain"] == "bravo" && $0.name.hasSuffix("_total") }
        #expect(bravoCounters.map(\.name) == ["kvm_domain_lifecycle_events_total"] * 2, "only the event counters")
    }

    @Test func shutOffDomainsGetNoSampledSeries() {
        let parsed = ParsedExposition(renderer.render(Fixtures.inventory([Fixtures.shutOffEntry("alpha", 1)])).text)
        #expect(parsed.family("kvm_domain_stats_timed_out") == nil)
        #expect(parsed.family("kvm_domain_cpu_time_seconds_total") == nil)
        #expect(parsed.family("kvm_domain_vcpu_state") == nil)
        #expect(parsed.value("kvm_domain_state", ["domain": "alpha", "state": "shutoff"]) == "1")
        #expect(parsed.value("kvm_domain_interface_info", ["domain": "alpha"]) == "1")
    }

    @Test func thousandDomainsRender() {
        let entries = (0..<1000).map { index in
            index % 4 == 3
                ? Fixtures.shutOffEntry(String(format: "guest-%04d", index), index)
                : Fixtures.sampledEntry(String(format: "guest-%04d", index), index)
        }
        let (text, dropped) = renderer.render(Fixtures.inventory(entries))
        #expect(dropped == 0)
        let parsed = ParsedExposition(text)
        #expect(parsed.problems.isEmpty)
        #expect(parsed.samples("kvm_domain_state").count == 8000)
        #expect(parsed.samples("kvm_domain_info").count == 1000)
        #expect(parsed.samples("kvm_domain_cpu_time_seconds_total").count == 750)
        let names = parsed.samples("kvm_domain_info").map { $0.labels["domain"]! }
        #expect(names == names.sorted())
    }
}

private func * (array: [String], count: Int) -> [String] {
    Array(repeating: array, count: count).flatMap { $0 }
}
