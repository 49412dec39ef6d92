import CLibvirt
import Glibc

/// A libvirt storage pool handle. Like domain handles, pool objects are reference-counted and usable from
/// any thread; this class holds one reference and releases it exactly once, in `deinit`.
public final class StoragePool: @unchecked Sendable {
    let pointer: virStoragePoolPtr
    /// The connection every call on the handle goes through.
    public let connection: Connection
    public let name: String
    public let uuid: String

    /// Takes ownership of a reference the caller already holds, to a pool of `connection`.
    init(owning pointer: virStoragePoolPtr, on connection: Connection) {
        self.pointer = pointer
        self.connection = connection
        self.name = virStoragePoolGetName(pointer).map { String(cString: $0) } ?? ""
        self.uuid = Self.uuidString(pointer)
    }

    static func uuidString(_ pointer: virStoragePoolPtr) -> String {
        var bytes = [UInt8](repeating: 0, count: Int(VIR_UUID_BUFLEN))
        let read = bytes.withUnsafeMutableBufferPointer { virStoragePoolGetUUID(pointer, $0.baseAddress) }
        return read == 0 ? Domain.formatUUID(bytes) : ""
    }

    deinit {
        virStoragePoolFree(pointer)
    }

    public struct Info: Sendable, Equatable {
        /// `virStoragePoolState`: 0 inactive, 1 building, 2 running, 3 degraded, 4 inaccessible.
        public var state: Int
        public var capacity: UInt64
        public var allocation: UInt64
        public var available: UInt64
    }

    /// State and sizes as libvirt last refreshed them (`virsh pool-info`); asks no backend, so it does not
    /// hang on a dead NFS server the way a refresh can.
    public func info() throws(LibvirtError) -> Info {
        var info = virStoragePoolInfo()
        _ = try check(virStoragePoolGetInfo(pointer, &info), "virStoragePoolGetInfo")
        return Info(
            state: Int(info.state), capacity: info.capacity, allocation: info.allocation, available: info.available)
    }

    /// Volumes in the pool; libvirt refuses the call on an inactive pool.
    public func volumeCount() throws(LibvirtError) -> Int {
        Int(try check(virStoragePoolNumOfVolumes(pointer), "virStoragePoolNumOfVolumes"))
    }

    public func isActive() throws(LibvirtError) -> Bool {
        try check(virStoragePoolIsActive(pointer), "virStoragePoolIsActive") == 1
    }

    public func isPersistent() throws(LibvirtError) -> Bool {
        try check(virStoragePoolIsPersistent(pointer), "virStoragePoolIsPersistent") == 1
    }

    public func autostart() throws(LibvirtError) -> Bool {
        var value: Int32 = 0
        _ = try check(virStoragePoolGetAutostart(pointer, &value), "virStoragePoolGetAutostart")
        return value != 0
    }

    public func xml() throws(LibvirtError) -> String {
        guard let raw = virStoragePoolGetXMLDesc(pointer, 0) else {
            throw LibvirtError.last("virStoragePoolGetXMLDesc")
        }
        defer { free(raw) }
        return String(cString: raw)
    }

    // Changes, for tests (a pool defined, started and removed while the agent watches).
    public func create() throws(LibvirtError) {
        _ = try check(virStoragePoolCreate(pointer, 0), "virStoragePoolCreate")
    }
    public func destroy() throws(LibvirtError) {
        _ = try check(virStoragePoolDestroy(pointer), "virStoragePoolDestroy")
    }
    public func undefine() throws(LibvirtError) {
        _ = try check(virStoragePoolUndefine(pointer), "virStoragePoolUndefine")
    }
    public func refresh() throws(LibvirtError) {
        _ = try check(virStoragePoolRefresh(pointer, 0), "virStoragePoolRefresh")
    }
}

extension Connection {
    /// Every storage pool, active or not (`virsh pool-list --all`).
    public func allStoragePools() throws(LibvirtError) -> [StoragePool] {
        var list: UnsafeMutablePointer<virStoragePoolPtr?>? = nil
        let count = try check(virConnectListAllStoragePools(pointer, &list, 0), "virConnectListAllStoragePools")
        defer { free(list) }
        return (0..<Int(count)).compactMap { list?[$0].map { StoragePool(owning: $0, on: self) } }
    }

    public func storagePool(name: String) throws(LibvirtError) -> StoragePool {
        guard let pool = virStoragePoolLookupByName(pointer, name) else {
            throw LibvirtError.last("virStoragePoolLookupByName")
        }
        return StoragePool(owning: pool, on: self)
    }

    public func defineStoragePool(xml: String) throws(LibvirtError) -> StoragePool {
        guard let pool = virStoragePoolDefineXML(pointer, xml, 0) else {
            throw LibvirtError.last("virStoragePoolDefineXML")
        }
        return StoragePool(owning: pool, on: self)
    }
}
