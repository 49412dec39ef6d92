import KVMCore
import Libvirt

extension ConnectionSupervisor {
    /// Registers the storage pool and network callbacks on a new connection, as the domain callback is: a
    /// restarted daemon has forgotten them. Never fails the connection: a driver without pools or networks
    /// (VIR_ERR_NO_SUPPORT) has no events to send, and where the storage or network daemon cannot be reached
    /// (modular daemons, virtstoraged stopped) the domains still matter more; the collector's listing every
    /// pass keeps pools and networks current then. Returns the failures other than the missing support.
    static func registerStorageEvents(on connection: Connection, hooks: Hooks) -> [LibvirtError] {
        var failures: [LibvirtError] = []
        do {
            try connection.onStoragePoolEvent { info in
                let kind: StoragePoolEvent.Kind? =
                    switch info.kind {
                    case .lifecycle(let event, _): StoragePoolEvent.Kind(rawValue: event)
                    case .refresh: .refreshed
                    }
                hooks.storagePoolEvent(StoragePoolEvent(name: info.name, uuid: info.uuid, kind: kind))
            }
        } catch LibvirtError.Code.noSupport {
        } catch {
            failures.append(error)
        }
        do {
            try connection.onNetworkEvent { info in
                hooks.networkEvent(
                    NetworkEvent(name: info.name, uuid: info.uuid, kind: NetworkEvent.Kind(rawValue: info.event)))
            }
        } catch LibvirtError.Code.noSupport {
        } catch {
            failures.append(error)
        }
        return failures
    }
}
