import CLibvirt

/// A storage pool event as the callback receives it; the pool is given by name and UUID only, so no
/// handle outlives the callback.
public struct StoragePoolEventInfo: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `virStoragePoolEventLifecycleType` (0 defined … 5 deleted) and its detail.
        case lifecycle(event: Int, detail: Int)
        /// libvirt refreshed the pool (`virsh pool-refresh`): its sizes and volumes may have changed.
        case refresh
    }

    public var name: String
    public var uuid: String
    public var kind: Kind
}

/// A virtual network lifecycle event (`virNetworkEventLifecycleType`, 0 defined … 3 stopped).
public struct NetworkEventInfo: Sendable, Equatable {
    public var name: String
    public var uuid: String
    public var event: Int
    public var detail: Int
}

private func poolIdentity(_ pool: virStoragePoolPtr) -> (name: String, uuid: String) {
    (virStoragePoolGetName(pool).map { String(cString: $0) } ?? "", StoragePool.uuidString(pool))
}

private let poolLifecycleTrampoline: virConnectStoragePoolEventLifecycleCallback = { _, pool, event, detail, opaque in
    guard let opaque, let pool else { return }
    let box = Unmanaged<HandlerBox<StoragePoolEventInfo>>.fromOpaque(opaque).takeUnretainedValue()
    let (name, uuid) = poolIdentity(pool)
    box.handler(StoragePoolEventInfo(name: name, uuid: uuid, kind: .lifecycle(event: Int(event), detail: Int(detail))))
}

private let poolRefreshTrampoline: virConnectStoragePoolEventGenericCallback = { _, pool, opaque in
    guard let opaque, let pool else { return }
    let box = Unmanaged<HandlerBox<StoragePoolEventInfo>>.fromOpaque(opaque).takeUnretainedValue()
    let (name, uuid) = poolIdentity(pool)
    box.handler(StoragePoolEventInfo(name: name, uuid: uuid, kind: .refresh))
}

private let networkLifecycleTrampoline: virConnectNetworkEventLifecycleCallback = { _, network, event, detail, opaque in
    guard let opaque, let network else { return }
    let box = Unmanaged<HandlerBox<NetworkEventInfo>>.fromOpaque(opaque).takeUnretainedValue()
    box.handler(
        NetworkEventInfo(
            name: virNetworkGetName(network).map { String(cString: $0) } ?? "", uuid: Network.uuidString(network),
            event: Int(event), detail: Int(detail)))
}

extension Connection {
    /// Calls `handler` on libvirt's event thread for every lifecycle and refresh event of every storage pool.
    /// Keep it short: it holds up the event loop. Registrations are removed when the connection is released.
    public func onStoragePoolEvent(_ handler: @escaping @Sendable (StoragePoolEventInfo) -> Void) throws(LibvirtError) {
        let lifecycleID = try registerCallback(handler, "virConnectStoragePoolEventRegisterAny(lifecycle)") {
            kvmshim_register_pool_lifecycle(pointer, poolLifecycleTrampoline, $0, releaseBox)
        }
        rememberPoolEventCallback(lifecycleID)
        let refreshID = try registerCallback(handler, "virConnectStoragePoolEventRegisterAny(refresh)") {
            kvmshim_register_pool_refresh(pointer, poolRefreshTrampoline, $0, releaseBox)
        }
        rememberPoolEventCallback(refreshID)
    }

    /// Calls `handler` on libvirt's event thread for every lifecycle event of every virtual network.
    public func onNetworkEvent(_ handler: @escaping @Sendable (NetworkEventInfo) -> Void) throws(LibvirtError) {
        let id = try registerCallback(handler, "virConnectNetworkEventRegisterAny") {
            kvmshim_register_network_lifecycle(pointer, networkLifecycleTrampoline, $0, releaseBox)
        }
        rememberNetworkEventCallback(id)
    }
}
