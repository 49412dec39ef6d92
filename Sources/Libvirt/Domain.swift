import CLibvirt
import Glibc

/// A libvirt domain handle. libvirt's domain objects are reference-counted and safe to use from any
/// thread; this class holds one reference and releases it exactly once, in `deinit`.
public final class Domain: @unchecked Sendable {
    let pointer: virDomainPtr
    /// The connection the handle was looked up on, which every call on it goes through: a handle is only
    /// good while that connection is, and a cache of handles must not outlive it.
    public let connection: Connection
    public let name: String
    public let uuid: String

    /// Takes ownership of a reference the caller already holds, to a domain of `connection`.
    convenience init(owning pointer: virDomainPtr, on connection: Connection) {
        self.init(
            owning: pointer, on: connection, name: Domain.nameString(pointer), uuid: Domain.uuidString(pointer))
    }

    /// As above, with the name and UUID the caller has already read from the handle.
    init(owning pointer: virDomainPtr, on connection: Connection, name: String, uuid: String) {
        self.pointer = pointer
        self.connection = connection
        self.name = name
        self.uuid = uuid
    }

    deinit {
        virDomainFree(pointer)
    }

    /// The domain's name as libvirt keeps it in the handle ("" if it has none).
    static func nameString(_ pointer: virDomainPtr) -> String {
        virDomainGetName(pointer).map { String(cString: $0) } ?? ""
    }

    /// The UUID in libvirt's form (lowercase, 8-4-4-4-12), formatted here from the raw bytes. libvirt formats
    /// a domain's UUID with glib's printf for the debug line of every domain API call, logging on or not;
    /// `virDomainGetUUIDString` formats it a second time. One format less per domain handle and stats record
    /// is about 3 % of a collector pass's instructions at 100 guests (callgrind).
    static func uuidString(_ pointer: virDomainPtr) -> String {
        var bytes = [UInt8](repeating: 0, count: Int(VIR_UUID_BUFLEN))
        guard bytes.withUnsafeMutableBufferPointer({ virDomainGetUUID(pointer, $0.baseAddress) }) == 0 else {
            return ""
        }
        return formatUUID(bytes)
    }

    static func formatUUID(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public struct State: Sendable, Equatable {
        public var state: Int
        public var reason: Int
    }

    public func state() throws(LibvirtError) -> State {
        var state: Int32 = 0
        var reason: Int32 = 0
        _ = try check(virDomainGetState(pointer, &state, &reason, 0), "virDomainGetState")
        return State(state: Int(state), reason: Int(reason))
    }

    public struct Info: Sendable, Equatable {
        public var state: Int
        public var maxMemoryKiB: UInt64
        public var memoryKiB: UInt64
        public var vcpus: Int
        public var cpuTimeNanoseconds: UInt64
    }

    public func info() throws(LibvirtError) -> Info {
        var info = virDomainInfo()
        _ = try check(virDomainGetInfo(pointer, &info), "virDomainGetInfo")
        return Info(
            state: Int(info.state), maxMemoryKiB: UInt64(info.maxMem), memoryKiB: UInt64(info.memory),
            vcpus: Int(info.nrVirtCpu), cpuTimeNanoseconds: info.cpuTime)
    }

    public struct VCPU: Sendable, Equatable {
        public var number: Int
        /// `virVcpuState`: 0 offline, 1 running, 2 blocked.
        public var state: Int
        public var cpuTimeNanoseconds: UInt64
        public var physicalCPU: Int
        public var affinity: [Int]
    }

    /// What `virsh vcpuinfo` shows. `hostCPUs` sizes the affinity maps (`virNodeGetCPUMap`'s count).
    /// The vCPU count is not asked first: `virDomainGetInfo` may wait for the domain's job, and this call
    /// must not, so the buffer is sized for `maximumVCPUs` and libvirt says how many it filled.
    public func vcpus(hostCPUs: Int, maximumVCPUs: Int = 1024) throws(LibvirtError) -> [VCPU] {
        let count = maximumVCPUs
        let maplen = Int(kvmshim_cpu_maplen(Int32(hostCPUs)))
        var infos = [virVcpuInfo](repeating: virVcpuInfo(), count: count)
        var maps = [UInt8](repeating: 0, count: count * maplen)
        let got = Int(
            try check(virDomainGetVcpus(pointer, &infos, Int32(count), &maps, Int32(maplen)), "virDomainGetVcpus"))
        return (0..<got).map { index in
            let vcpu = infos[index]
            let affinity = (0..<hostCPUs).filter {
                kvmshim_cpu_usable(maps, Int32(maplen), Int32(index), Int32($0)) != 0
            }
            return VCPU(
                number: Int(vcpu.number), state: Int(vcpu.state), cpuTimeNanoseconds: vcpu.cpuTime,
                physicalCPU: Int(vcpu.cpu), affinity: affinity)
        }
    }

    /// Block counters by libvirt's field names (`rd_bytes`, `wr_total_times`, …); falls back to the older
    /// call, without times, for drivers that lack the typed one.
    public func blockStats(_ device: String) throws(LibvirtError) -> [String: TypedValue] {
        var count: Int32 = 0
        if virDomainBlockStatsFlags(pointer, device, nil, &count, 0) == 0, count > 0 {
            var params = [virTypedParameter](repeating: virTypedParameter(), count: Int(count))
            _ = try check(virDomainBlockStatsFlags(pointer, device, &params, &count, 0), "virDomainBlockStatsFlags")
            return params.withUnsafeMutableBufferPointer { TypedValue.dictionary($0.baseAddress, count: count) }
        }
        virResetLastError()
        var stats = virDomainBlockStatsStruct()
        _ = try check(
            virDomainBlockStats(pointer, device, &stats, MemoryLayout<virDomainBlockStatsStruct>.size),
            "virDomainBlockStats")
        var result: [String: TypedValue] = [:]
        for (key, value) in [
            ("rd_operations", stats.rd_req), ("rd_bytes", stats.rd_bytes), ("wr_operations", stats.wr_req),
            ("wr_bytes", stats.wr_bytes),
        ] where value >= 0 {
            result[key] = .int(value)
        }
        return result
    }

    public struct BlockInfo: Sendable, Equatable {
        public var capacity: UInt64
        public var allocation: UInt64
        public var physical: UInt64
    }

    public func blockInfo(_ device: String) throws(LibvirtError) -> BlockInfo {
        var info = virDomainBlockInfo()
        _ = try check(virDomainGetBlockInfo(pointer, device, &info, 0), "virDomainGetBlockInfo")
        return BlockInfo(capacity: info.capacity, allocation: info.allocation, physical: info.physical)
    }

    public struct InterfaceStats: Sendable, Equatable {
        public var rxBytes, rxPackets, rxErrors, rxDrops: Int64
        public var txBytes, txPackets, txErrors, txDrops: Int64
    }

    public func interfaceStats(_ device: String) throws(LibvirtError) -> InterfaceStats {
        var s = virDomainInterfaceStatsStruct()
        _ = try check(
            virDomainInterfaceStats(pointer, device, &s, MemoryLayout<virDomainInterfaceStatsStruct>.size),
            "virDomainInterfaceStats")
        return InterfaceStats(
            rxBytes: s.rx_bytes, rxPackets: s.rx_packets, rxErrors: s.rx_errs, rxDrops: s.rx_drop, txBytes: s.tx_bytes,
            txPackets: s.tx_packets, txErrors: s.tx_errs, txDrops: s.tx_drop)
    }

    public func xml() throws(LibvirtError) -> String {
        guard let raw = virDomainGetXMLDesc(pointer, 0) else { throw LibvirtError.last("virDomainGetXMLDesc") }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// How often the guest's balloon driver reports its memory figures, on the running domain only
    /// (`virsh dommemstat --period N --live`); 0 stops the reports.
    public func setMemoryStatsPeriod(seconds: Int) throws(LibvirtError) {
        guard let period = Int32(exactly: seconds), period >= 0 else {
            throw LibvirtError(
                code: .invalidArgument, domain: 0, message: "memory statistics period \(seconds) s is out of range",
                operation: "virDomainSetMemoryStatsPeriod")
        }
        _ = try check(
            virDomainSetMemoryStatsPeriod(pointer, period, VIR_DOMAIN_AFFECT_LIVE.rawValue),
            "virDomainSetMemoryStatsPeriod")
    }

    public func isPersistent() throws(LibvirtError) -> Bool {
        try check(virDomainIsPersistent(pointer), "virDomainIsPersistent") == 1
    }

    public func isActive() throws(LibvirtError) -> Bool {
        try check(virDomainIsActive(pointer), "virDomainIsActive") == 1
    }

    public func autostart() throws(LibvirtError) -> Bool {
        var value: Int32 = 0
        _ = try check(virDomainGetAutostart(pointer, &value), "virDomainGetAutostart")
        return value != 0
    }

    public func setAutostart(_ on: Bool) throws(LibvirtError) {
        _ = try check(virDomainSetAutostart(pointer, on ? 1 : 0), "virDomainSetAutostart")
    }

    // Lifecycle operations: used by tests now and by the action module later.
    public func create() throws(LibvirtError) { _ = try check(virDomainCreate(pointer), "virDomainCreate") }
    public func shutdown() throws(LibvirtError) { _ = try check(virDomainShutdown(pointer), "virDomainShutdown") }
    public func destroy() throws(LibvirtError) { _ = try check(virDomainDestroy(pointer), "virDomainDestroy") }
    public func suspend() throws(LibvirtError) { _ = try check(virDomainSuspend(pointer), "virDomainSuspend") }
    public func resume() throws(LibvirtError) { _ = try check(virDomainResume(pointer), "virDomainResume") }
    /// The ACPI power button only: without a flag QEMU's driver asks the guest agent first where one is set up.
    public func shutdownByACPI() throws(LibvirtError) {
        _ = try check(
            virDomainShutdownFlags(pointer, UInt32(VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN.rawValue)),
            "virDomainShutdownFlags")
    }
    /// A shutdown through the QEMU guest agent (`guest-shutdown`), for a guest that ignores ACPI.
    public func shutdownByGuestAgent() throws(LibvirtError) {
        _ = try check(
            virDomainShutdownFlags(pointer, UInt32(VIR_DOMAIN_SHUTDOWN_GUEST_AGENT.rawValue)), "virDomainShutdownFlags")
    }
    /// A hard reset, like the reset button: the guest's OS is not asked.
    public func reset() throws(LibvirtError) { _ = try check(virDomainReset(pointer, 0), "virDomainReset") }
    /// Asks the guest to reboot (the hypervisor's default method: guest agent or ACPI); returns once asked.
    public func reboot() throws(LibvirtError) { _ = try check(virDomainReboot(pointer, 0), "virDomainReboot") }
    public func undefine() throws(LibvirtError) { _ = try check(virDomainUndefine(pointer), "virDomainUndefine") }
}
