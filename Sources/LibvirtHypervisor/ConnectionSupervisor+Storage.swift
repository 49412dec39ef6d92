import KVMCore
import Libvirt

extension ConnectionSupervisor {
    /// Registers the storage pool and network callbacks on a new connection, as the domain callback is: a
    /// restarted daemon has forgotten them. A driver without pools or networks (VIR_ERR_NO_SUPPORT) still
    /// connects; any other failure fails the attempt, which is retried.
    static func registerStorageEvents(on connection: Connection, hooks: Hooks) throws {
        do {
            try connection.onStoragePoolEvent { info in
                let kind: StoragePoolEvent.Kind? =
                    switch info.kind {
                    case .lifecycle(let event, _): StoragePoolEvent.Kind(rawValue: event)
                    case .refresh: .refreshed
                    }
                hooks.storagePoolEvent(StoragePoolEvent(name: info.name, uuid: info.uuid, kind: kind))
            }
        } catch LibvirtError.Code.noSupport {}
        do {
            try connection.onNetworkEvent { info in
                hooks.networkEvent(
                    NetworkEvent(name: info.name, uuid: info.uuid, kind: NetworkEvent.Kind(rawValue: info.event)))
            }
        } catch LibvirtError.Code.noSupport {}
    }
}
