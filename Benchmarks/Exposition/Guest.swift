import KVMCore

/// One synthetic domain of the fleet. Sizes and devices vary with the index, so the rendered families
/// have the uneven row counts a real host has rather than 1,000 copies of one guest.
struct Guest {
    static let roles = ["web", "db", "cache", "build", "queue", "mail"]

    let index: Int
    let name: String
    let uuid: String
    /// Three in four run; the rest are defined but shut off, as on a host with spares and templates.
    let running: Bool
    let vcpus: Int
    let memoryKiB: Int
    /// Virtio disk targets, an image behind each: a system disk and one or two data disks.
    let disks: [String]
    /// An empty IDE CD-ROM, which renders in the definition's families but has no figures.
    let hasCDROM: Bool
    /// A front and a back network, and for some a third for storage traffic.
    let interfaces: Int

    init(index: Int) {
        self.index = index
        let role = Self.roles[index % Self.roles.count]
        name = "\(role)-\(Self.padded(index, width: 4))"
        uuid = "5c0f7a1e-3b9d-4e2a-9f61-\(Self.padded(index, width: 12))"
        running = index % 4 != 3
        vcpus = [2, 4, 8][index % 3]
        memoryKiB = vcpus * 2_097_152
        disks = Array(["vda", "vdb", "vdc"].prefix(2 + index % 2))
        hasCDROM = index % 5 == 0
        interfaces = index % 3 == 0 ? 3 : 2
    }

    var ref: DomainRef { DomainRef(uuid: uuid, name: name) }

    /// The host-side tap device; libvirt names one only while the domain runs.
    func tap(_ interface: Int) -> String? {
        running ? "vnet\(index * 2 + interface)" : nil
    }

    func mac(_ interface: Int) -> String {
        let octets = [index >> 8 & 0xff, index & 0xff, interface].map { Self.hex($0, width: 2) }
        return "52:54:00:" + octets.joined(separator: ":")
    }

    func image(_ disk: String) -> String {
        "/var/lib/libvirt/images/\(name)-\(disk).qcow2"
    }

    private static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func hex(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
