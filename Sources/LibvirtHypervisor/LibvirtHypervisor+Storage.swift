import KVMCore
import Libvirt

/// Pools and networks are read on the control connection: none of these calls waits on a qemu monitor.
/// A pool's figures are libvirt's from its last refresh, so listing them does not touch the storage itself
/// (a dead NFS server does not hang the pass). Cost per pass: one listing call, then per pool four calls
/// (info, autostart, persistent, XML) and one more for the volume count of a running pool; per network four
/// (active, autostart, persistent, bridge) and one for the leases of an active one.
extension LibvirtHypervisor {
    public func listStoragePools() async throws -> [StoragePoolEntry] {
        let connection = try current().control
        return try await blocking {
            try Self.noneWhereUnsupported { try connection.allStoragePools() }.compactMap { pool in
                do {
                    return try Self.entry(pool)
                } catch LibvirtError.Code.noStoragePool {
                    return nil  // undefined between the listing and the question
                }
            }
        }
    }

    /// A driver without storage or networks (VIR_ERR_NO_SUPPORT) has none: not a failed pass.
    static func noneWhereUnsupported<T>(_ list: () throws -> [T]) throws -> [T] {
        do {
            return try list()
        } catch LibvirtError.Code.noSupport {
            return []
        }
    }

    static func entry(_ pool: StoragePool) throws -> StoragePoolEntry {
        let info = try pool.info()
        let state = StoragePoolState(rawValue: info.state)
        let figures = state?.hasFigures == true
        // The definition only names the pool's type and path: a pool whose XML cannot be read is still listed.
        let definition = (try? StoragePoolEntry.definition(xml: try pool.xml())) ?? (type: "", path: "")
        return StoragePoolEntry(
            name: pool.name, uuid: pool.uuid, state: state, type: definition.type, path: definition.path,
            autostart: (try? pool.autostart()) ?? false, persistent: try pool.isPersistent(),
            capacityBytes: figures ? Double(info.capacity) : nil,
            allocationBytes: figures ? Double(info.allocation) : nil,
            availableBytes: figures ? Double(info.available) : nil,
            volumes: figures ? (try? pool.volumeCount()).map(Double.init) : nil)
    }

    public func listNetworks() async throws -> [NetworkEntry] {
        let connection = try current().control
        return try await blocking {
            try Self.noneWhereUnsupported { try connection.allNetworks() }.compactMap { network in
                do {
                    return try Self.entry(network)
                } catch LibvirtError.Code.noNetwork {
                    return nil
                }
            }
        }
    }

    static func entry(_ network: Network) throws -> NetworkEntry {
        let active = try network.isActive()
        // Drivers without DHCP (the test driver) or a network without a bridge leave these out.
        return NetworkEntry(
            name: network.name, uuid: network.uuid, active: active, autostart: (try? network.autostart()) ?? false,
            persistent: try network.isPersistent(), bridge: (try? network.bridgeName()) ?? "",
            dhcpLeases: active ? (try? network.dhcpLeaseCount()).map(Double.init) : nil)
    }
}
