import CLibvirt
import Glibc

/// A libvirt virtual network handle, holding one reference released exactly once, in `deinit`. Usable from
/// any thread, as libvirt's network objects are.
public final class Network: @unchecked Sendable {
    let pointer: virNetworkPtr
    /// The connection every call on the handle goes through.
    public let connection: Connection
    public let name: String
    public let uuid: String

    /// Takes ownership of a reference the caller already holds, to a network of `connection`.
    init(owning pointer: virNetworkPtr, on connection: Connection) {
        self.pointer = pointer
        self.connection = connection
        self.name = virNetworkGetName(pointer).map { String(cString: $0) } ?? ""
        self.uuid = Self.uuidString(pointer)
    }

    static func uuidString(_ pointer: virNetworkPtr) -> String {
        var bytes = [UInt8](repeating: 0, count: Int(VIR_UUID_BUFLEN))
        let read = bytes.withUnsafeMutableBufferPointer { virNetworkGetUUID(pointer, $0.baseAddress) }
        return read == 0 ? Domain.formatUUID(bytes) : ""
    }

    deinit {
        virNetworkFree(pointer)
    }

    public func isActive() throws(LibvirtError) -> Bool {
        try check(virNetworkIsActive(pointer), "virNetworkIsActive") == 1
    }

    public func isPersistent() throws(LibvirtError) -> Bool {
        try check(virNetworkIsPersistent(pointer), "virNetworkIsPersistent") == 1
    }

    public func autostart() throws(LibvirtError) -> Bool {
        var value: Int32 = 0
        _ = try check(virNetworkGetAutostart(pointer, &value), "virNetworkGetAutostart")
        return value != 0
    }

    /// The Linux bridge the network's guests are attached to (`virbr0`); libvirt refuses networks that have
    /// none (a hostdev or direct network).
    public func bridgeName() throws(LibvirtError) -> String {
        guard let raw = virNetworkGetBridgeName(pointer) else { throw LibvirtError.last("virNetworkGetBridgeName") }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// How many DHCP leases the network's dnsmasq holds (`virsh net-dhcp-leases`), counted by libvirt
    /// without copying the leases out.
    public func dhcpLeaseCount() throws(LibvirtError) -> Int {
        Int(try check(virNetworkGetDHCPLeases(pointer, nil, nil, 0), "virNetworkGetDHCPLeases"))
    }

    public func xml() throws(LibvirtError) -> String {
        guard let raw = virNetworkGetXMLDesc(pointer, 0) else { throw LibvirtError.last("virNetworkGetXMLDesc") }
        defer { free(raw) }
        return String(cString: raw)
    }

    // Changes, for tests.
    public func create() throws(LibvirtError) { _ = try check(virNetworkCreate(pointer), "virNetworkCreate") }
    public func destroy() throws(LibvirtError) { _ = try check(virNetworkDestroy(pointer), "virNetworkDestroy") }
    public func undefine() throws(LibvirtError) { _ = try check(virNetworkUndefine(pointer), "virNetworkUndefine") }
    public func setAutostart(_ on: Bool) throws(LibvirtError) {
        _ = try check(virNetworkSetAutostart(pointer, on ? 1 : 0), "virNetworkSetAutostart")
    }
}

extension Connection {
    /// Every virtual network, active or not (`virsh net-list --all`).
    public func allNetworks() throws(LibvirtError) -> [Network] {
        var list: UnsafeMutablePointer<virNetworkPtr?>? = nil
        let count = try check(virConnectListAllNetworks(pointer, &list, 0), "virConnectListAllNetworks")
        defer { free(list) }
        return (0..<Int(count)).compactMap { list?[$0].map { Network(owning: $0, on: self) } }
    }

    public func network(name: String) throws(LibvirtError) -> Network {
        guard let network = virNetworkLookupByName(pointer, name) else {
            throw LibvirtError.last("virNetworkLookupByName")
        }
        return Network(owning: network, on: self)
    }

    public func defineNetwork(xml: String) throws(LibvirtError) -> Network {
        guard let network = virNetworkDefineXML(pointer, xml) else { throw LibvirtError.last("virNetworkDefineXML") }
        return Network(owning: network, on: self)
    }
}
