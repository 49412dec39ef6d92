import CLibvirt

/// A lifecycle event as the callback receives it; the domain is given by name and UUID only, so no
/// handle outlives the callback.
public struct LifecycleEventInfo: Sendable, Equatable {
    public var name: String
    public var uuid: String
    /// `virDomainEventType`
    public var event: Int
    /// The event's detail enum (`virDomainEventStartedDetailType`, …).
    public var detail: Int
}

/// Why libvirt closed a connection (`virConnectCloseReason`).
public enum CloseReason: Int, Sendable {
    case error = 0
    case eof = 1
    case keepalive = 2
    case client = 3
    case unknown = -1
}

/// Holds a Swift handler for C. It is retained once when handed to libvirt and released by libvirt's free
/// callback after deregistration. The handler is `@Sendable` and the box immutable, so sharing is safe.
final class HandlerBox<Argument>: Sendable {
    let handler: @Sendable (Argument) -> Void
    init(_ handler: @escaping @Sendable (Argument) -> Void) { self.handler = handler }
}

let releaseBox: virFreeCallback = { opaque in
    guard let opaque else { return }
    Unmanaged<AnyObject>.fromOpaque(opaque).release()
}

/// Hands `handler` to a libvirt registration call, retained in a `HandlerBox` that libvirt releases through
/// `releaseBox` when the callback is deregistered; releases it here and throws when libvirt refuses (`call`
/// names the function for the error). Returns the callback ID.
func registerCallback<Argument>(
    _ handler: @escaping @Sendable (Argument) -> Void, _ call: String,
    _ register: (UnsafeMutableRawPointer) -> Int32
) throws(LibvirtError) -> Int32 {
    let box = Unmanaged.passRetained(HandlerBox(handler)).toOpaque()
    let id = register(box)
    guard id >= 0 else {
        Unmanaged<AnyObject>.fromOpaque(box).release()
        throw LibvirtError.last(call)
    }
    return id
}

private let lifecycleTrampoline: virConnectDomainEventCallback = { _, domain, event, detail, opaque in
    guard let opaque, let domain else { return 0 }
    let box = Unmanaged<HandlerBox<LifecycleEventInfo>>.fromOpaque(opaque).takeUnretainedValue()
    let name = Domain.nameString(domain)
    box.handler(
        LifecycleEventInfo(name: name, uuid: Domain.uuidString(domain), event: Int(event), detail: Int(detail)))
    return 0
}

let closeTrampoline: virConnectCloseFunc = { _, reason, opaque in
    guard let opaque else { return }
    let box = Unmanaged<HandlerBox<CloseReason>>.fromOpaque(opaque).takeUnretainedValue()
    box.handler(CloseReason(rawValue: Int(reason)) ?? .unknown)
}

extension Connection {
    /// Calls `handler` on libvirt's event thread for every lifecycle event of every domain. Keep it short:
    /// it holds up the event loop. Registrations are removed when the connection is released.
    public func onLifecycleEvent(_ handler: @escaping @Sendable (LifecycleEventInfo) -> Void) throws(LibvirtError) {
        let id = try registerCallback(handler, "virConnectDomainEventRegisterAny") {
            kvmshim_register_lifecycle(pointer, lifecycleTrampoline, $0, releaseBox)
        }
        rememberEventCallback(id)
    }

    /// Calls `handler` once when the connection closes (daemon gone, keepalive timeout).
    public func onClose(_ handler: @escaping @Sendable (CloseReason) -> Void) throws(LibvirtError) {
        let box = Unmanaged.passRetained(HandlerBox(handler)).toOpaque()
        guard virConnectRegisterCloseCallback(pointer, closeTrampoline, box, releaseBox) >= 0 else {
            Unmanaged<AnyObject>.fromOpaque(box).release()
            throw LibvirtError.last("virConnectRegisterCloseCallback")
        }
        markCloseCallbackRegistered()
    }
}
