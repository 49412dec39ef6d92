/// Turns one record of `virConnectGetAllDomainStats` (flat keys such as `block.0.rd.bytes`) into
/// `DomainStats` in base units: libvirt reports times in nanoseconds and balloon sizes in KiB.
public struct BulkStatsDecoder: Sendable {
    private static let nanosecondsPerSecond = 1e9
    private static let kibibyte = 1024.0

    public init() {}

    /// The groups present in a record; the others must be fetched per domain.
    public func groupsPresent(in params: [String: StatValue]) -> Set<StatsGroup> {
        Set(StatsGroup.allCases.filter { $0.marker.map { params[$0] != nil } ?? false })
    }

    /// True when libvirt answered a no-wait request without the figures that need the domain's job (its
    /// monitor): the balloon group is there but not the `rss` qemu reports under the job. Such a domain was
    /// busy or stuck and must be asked again on its own.
    /// A record asked without the balloon group is judged by the domain's `jobMarker`, a figure its earlier
    /// records had under the job; without one it cannot be judged and passes.
    public func lacksJobFigures(_ params: [String: StatValue], marker: String? = nil) -> Bool {
        if params["balloon.current"] != nil { return params["balloon.rss"] == nil }
        return marker.map { params[$0] == nil } ?? false
    }

    /// A figure outside the balloon group that libvirt gives only under the domain's job: the first disk's
    /// read requests, which come from qemu's `query-blockstats`. Nil when the record has none (no disk, the
    /// block collector off, or no job).
    public func jobMarker(in params: [String: StatValue]) -> String? {
        (0..<Self.count(params["block.count"]?.number)).lazy.map { "block.\($0).rd.reqs" }.first { params[$0] != nil }
    }

    public func decode(_ params: [String: StatValue]) -> DomainStats {
        var stats = DomainStats()
        func num(_ key: String) -> Double? { params[key]?.number }
        func ns(_ key: String) -> Double? { num(key).map { $0 / Self.nanosecondsPerSecond } }
        func kib(_ key: String) -> Double? { num(key).map { $0 * Self.kibibyte } }

        stats.cpuTimeSeconds = ns("cpu.time")
        stats.cpuUserSeconds = ns("cpu.user")
        stats.cpuSystemSeconds = ns("cpu.system")
        stats.memoryBytes = kib("balloon.current")
        stats.memoryMaximumBytes = kib("balloon.maximum")
        stats.balloon.rssBytes = kib("balloon.rss")
        stats.balloon.usableBytes = kib("balloon.usable")
        stats.balloon.unusedBytes = kib("balloon.unused")
        stats.balloon.availableBytes = kib("balloon.available")
        stats.vcpusCurrent = num("vcpu.current")
        stats.vcpusMaximum = num("vcpu.maximum")
        decodeGuestMemory(params, into: &stats.balloon)
        stats.haltPollSuccessSeconds = ns("cpu.haltpoll.success.time")
        stats.haltPollFailSeconds = ns("cpu.haltpoll.fail.time")

        let vcpuCount = Self.count(num("vcpu.maximum") ?? num("vcpu.current"))
        for index in 0..<vcpuCount {
            let p = "vcpu.\(index)."
            let counters = VCPUCounters(
                timeSeconds: ns(p + "time"), waitSeconds: ns(p + "wait"), delaySeconds: ns(p + "delay"),
                halted: params[p + "halted"].flatMap(Self.flag),
                state: num(p + "state").flatMap { Int(exactly: $0) }.flatMap(VCPUInfo.State.init(rawValue:)))
            if counters != VCPUCounters() { stats.vcpus[index] = counters }
        }
        stats.kvm = decodeKVM(params, vcpus: vcpuCount)

        for index in 0..<Self.count(num("block.count")) {
            let p = "block.\(index)."
            guard let name = params[p + "name"]?.text else { continue }
            var block = BlockDeviceStats(device: name, path: params[p + "path"]?.text)
            block.readRequests = num(p + "rd.reqs")
            block.readBytes = num(p + "rd.bytes")
            block.readSeconds = ns(p + "rd.times")
            block.writeRequests = num(p + "wr.reqs")
            block.writeBytes = num(p + "wr.bytes")
            block.writeSeconds = ns(p + "wr.times")
            block.flushRequests = num(p + "fl.reqs")
            block.flushSeconds = ns(p + "fl.times")
            block.capacityBytes = num(p + "capacity")
            block.allocationBytes = num(p + "allocation")
            block.physicalBytes = num(p + "physical")
            stats.blocks.append(block)
        }

        for index in 0..<Self.count(num("net.count")) {
            let p = "net.\(index)."
            guard let name = params[p + "name"]?.text else { continue }
            var net = InterfaceDeviceStats(device: name)
            net.receiveBytes = num(p + "rx.bytes")
            net.receivePackets = num(p + "rx.pkts")
            net.receiveErrors = num(p + "rx.errs")
            net.receiveDrops = num(p + "rx.drop")
            net.transmitBytes = num(p + "tx.bytes")
            net.transmitPackets = num(p + "tx.pkts")
            net.transmitErrors = num(p + "tx.errs")
            net.transmitDrops = num(p + "tx.drop")
            stats.interfaces.append(net)
        }
        return stats
    }

    /// The most vCPUs (or devices) a record is read for: libvirt's own limit is in the thousands, and a
    /// count that is negative, fractional or absurd must not trap or loop for long.
    static let countLimit = 16384

    static func count(_ value: Double?) -> Int {
        guard let value, value.isFinite, value > 0 else { return 0 }
        return Int(min(value.rounded(.down), Double(countLimit)))
    }

    /// libvirt's booleans arrive as typed booleans; older daemons may send "yes"/"no".
    static func flag(_ value: StatValue) -> Bool? {
        switch value {
        case .bool(let b): b
        case .string(let s):
            ["yes", "true", "1"].contains(s) ? true : (["no", "false", "0"].contains(s) ? false : nil)
        default: value.number.map { $0 != 0 }
        }
    }
}
