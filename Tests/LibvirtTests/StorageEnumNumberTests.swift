import CLibvirt
import KVMCore
import Testing

/// KVMCore's copies of the storage pool state and the pool and network event numbers.
extension EnumNumberTests {
    @Test func storagePoolStates() {
        let states: [(StoragePoolState, virStoragePoolState)] = [
            (.inactive, VIR_STORAGE_POOL_INACTIVE), (.building, VIR_STORAGE_POOL_BUILDING),
            (.running, VIR_STORAGE_POOL_RUNNING), (.degraded, VIR_STORAGE_POOL_DEGRADED),
            (.inaccessible, VIR_STORAGE_POOL_INACCESSIBLE),
        ]
        for (state, constant) in states { #expect(state.rawValue == Self.number(constant), "\(state)") }
        #expect(states.count == StoragePoolState.allCases.count)
    }

    @Test func storagePoolAndNetworkEvents() {
        let pool: [(StoragePoolEvent.Kind, virStoragePoolEventLifecycleType)] = [
            (.defined, VIR_STORAGE_POOL_EVENT_DEFINED), (.undefined, VIR_STORAGE_POOL_EVENT_UNDEFINED),
            (.started, VIR_STORAGE_POOL_EVENT_STARTED), (.stopped, VIR_STORAGE_POOL_EVENT_STOPPED),
            (.created, VIR_STORAGE_POOL_EVENT_CREATED), (.deleted, VIR_STORAGE_POOL_EVENT_DELETED),
        ]
        for (kind, constant) in pool { #expect(kind.rawValue == Self.number(constant), "\(kind)") }
        // .refreshed is the refresh callback, not a lifecycle number: it must not collide with one.
        #expect(pool.count == StoragePoolEvent.Kind.allCases.count - 1)
        #expect(!pool.map { $0.0.rawValue }.contains(StoragePoolEvent.Kind.refreshed.rawValue))
        let network: [(NetworkEvent.Kind, virNetworkEventLifecycleType)] = [
            (.defined, VIR_NETWORK_EVENT_DEFINED), (.undefined, VIR_NETWORK_EVENT_UNDEFINED),
            (.started, VIR_NETWORK_EVENT_STARTED), (.stopped, VIR_NETWORK_EVENT_STOPPED),
        ]
        for (kind, constant) in network { #expect(kind.rawValue == Self.number(constant), "\(kind)") }
        #expect(network.count == NetworkEvent.Kind.allCases.count)
    }
}
