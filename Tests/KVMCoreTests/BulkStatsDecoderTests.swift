import Testing

@testable import KVMCore

@Suite struct BulkStatsDecoderTests {
    let decoder = BulkStatsDecoder()

    @Test func timesAreConvertedFromNanosecondsToSeconds() throws {
        let stats = decoder.decode(Fixtures.fullRecord(cpuSeconds: 12.5))
        #expect(stats.cpuTimeSeconds == 12.5)
        #expect(stats.cpuUserSeconds == 8)
        #expect(stats.cpuSystemSeconds == 3)
        let vcpu0 = try #require(stats.vcpus[0])
        #expect(vcpu0.timeSeconds == 5)
        #expect(vcpu0.waitSeconds == 0.001)
        #expect(vcpu0.delaySeconds == 0.002)
        let block = try #require(stats.blocks.first)
        #expect(block.readSeconds == 3)
        #expect(block.writeSeconds == 1.5)
        #expect(block.flushSeconds == 0.02)
    }

    @Test func balloonSizesAreConvertedFromKiBToBytes() {
        let stats = decoder.decode(Fixtures.fullRecord(cpuSeconds: 1))
        #expect(stats.memoryBytes == 2 * Fixtures.gib)
        #expect(stats.memoryMaximumBytes == 4 * Fixtures.gib)
        #expect(stats.balloon.rssBytes == 1_073_741_824)
        #expect(stats.balloon.usableBytes == 1_610_612_736)
        #expect(stats.balloon.unusedBytes == 536_870_912)
        #expect(stats.balloon.availableBytes == 2_048_000_000)
    }

    @Test func blockAndNetFiguresStayInBytesAndCounts() throws {
        let stats = decoder.decode(Fixtures.fullRecord(cpuSeconds: 1))
        let block = try #require(stats.blocks.first)
        #expect(block.device == "vda")
        #expect(block.path == "/var/lib/libvirt/images/guest.qcow2")
        #expect(block.readBytes == 409_600)
        #expect(block.readRequests == 100)
        #expect(block.capacityBytes == 21_474_836_480)
        let net = try #require(stats.interfaces.first)
        #expect(net.device == "vnet0")
        #expect(net.receiveBytes == 1000)
        #expect(net.receiveDrops == 1)
        #expect(net.transmitPackets == 20)
    }

    @Test func devicesAndVCPUsFollowTheirIndices() {
        let record: [String: StatValue] = [
            "vcpu.current": .uint(2), "vcpu.maximum": .uint(4),
            "vcpu.0.time": .uint(1_000_000_000), "vcpu.3.time": .uint(4_000_000_000),
            "block.count": .uint(3),
            "block.0.name": .string("vda"), "block.0.rd.bytes": .uint(1),
            // Index 1 has no name (libvirt left it out): skipped, not mislabelled.
            "block.1.rd.bytes": .uint(99),
            "block.2.name": .string("sdb"), "block.2.rd.bytes": .uint(3),
            // Beyond block.count: ignored.
            "block.3.name": .string("sdz"),
            "net.count": .uint(2),
            "net.0.name": .string("vnet3"), "net.0.tx.bytes": .uint(30),
            "net.1.name": .string("vnet7"), "net.1.tx.bytes": .uint(70),
        ]
        let stats = decoder.decode(record)
        #expect(stats.vcpusCurrent == 2)
        #expect(stats.vcpusMaximum == 4)
        #expect(stats.vcpus.keys.sorted() == [0, 3])
        #expect(stats.vcpus[3]?.timeSeconds == 4)
        #expect(stats.blocks.map(\.device) == ["vda", "sdb"])
        #expect(stats.blocks.map(\.readBytes) == [1, 3])
        #expect(stats.interfaces.map(\.device) == ["vnet3", "vnet7"])
        #expect(stats.interfaces.map(\.transmitBytes) == [30, 70])
    }

    @Test func groupsPresentFollowTheMarkers() {
        #expect(
            decoder.groupsPresent(in: Fixtures.fullRecord(cpuSeconds: 1))
                == StatsGroup.asked(for: CollectorGroup.defaults))
        #expect(decoder.groupsPresent(in: ["state.state": .int(1), "state.reason": .int(1)]) == [.state])
        #expect(decoder.groupsPresent(in: ["cpu.time": .uint(1), "net.count": .uint(0)]) == [.cpuTotal, .interface])
        #expect(decoder.groupsPresent(in: [:]).isEmpty)
    }

    @Test func stateOnlyRecordDecodesToNoFigures() {
        let stats = decoder.decode(["state.state": .int(1), "state.reason": .int(1)])
        #expect(stats == DomainStats())
    }

    @Test func valueTypesAllReadAsNumbers() {
        let stats = decoder.decode([
            "cpu.time": .int(2_000_000_000), "balloon.current": .double(1.5), "vcpu.current": .bool(true),
            "balloon.maximum": .string("not a number"),
        ])
        #expect(stats.cpuTimeSeconds == 2)
        #expect(stats.memoryBytes == 1536)
        #expect(stats.vcpusCurrent == 1)
        #expect(stats.memoryMaximumBytes == nil)
    }
}
