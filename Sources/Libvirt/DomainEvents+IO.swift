import CLibvirt

/// The domain events beyond lifecycle that the agent follows: disk errors, block thresholds, jobs, the
/// watchdog, resets, tuning changes and balloon sizes. As
/// with lifecycle events, the domain is given by name and UUID only, so no handle outlives the callback.
public struct DomainEventInfo: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON`. `action` is `virDomainEventIOErrorAction`; `reason` is
        /// "enospc" when the host's disk is full, "" when libvirt cannot tell.
        case ioError(sourcePath: String, deviceAlias: String, action: Int, reason: String)
        /// `VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD`: a write went `excess` bytes past `threshold`.
        case blockThreshold(device: String, path: String, threshold: UInt64, excess: UInt64)
        /// `VIR_DOMAIN_EVENT_ID_JOB_COMPLETED`, with the job's final statistics.
        case jobCompleted([String: TypedValue])
        /// `VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION`: a migration (or save) started a pass over memory.
        case migrationIteration(Int)
        /// `VIR_DOMAIN_EVENT_ID_WATCHDOG`: the guest's watchdog device fired; `action` is
        /// `virDomainEventWatchdogAction`, what the device was configured to do about it.
        case watchdog(action: Int)
        /// `VIR_DOMAIN_EVENT_ID_REBOOT`: the guest was reset (by itself, by `virDomainReset`, or by the
        /// reset that ends a `virDomainReboot`); QEMU sends it for each system reset.
        case reboot
        /// `VIR_DOMAIN_EVENT_ID_TUNABLE`: tuning of the running domain changed (`virsh vcpupin --live`,
        /// `emulatorpin`, `schedinfo`, `blkdeviotune`); the names of the parameters that did.
        case tunable(parameters: [String])
        /// `VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE`: the guest's balloon reached a new size (`virsh setmem`, or the
        /// guest's driver giving memory back), in KiB.
        case balloonChange(actualKiB: UInt64)
    }

    public var name: String
    public var uuid: String
    public var kind: Kind
}

/// Holds the handler for C; retained once when registered, released by libvirt's free callback. Immutable
/// and holding a `@Sendable` closure, so sharing it across threads is safe.
private final class DomainEventBox: Sendable {
    let handler: @Sendable (DomainEventInfo) -> Void
    init(_ handler: @escaping @Sendable (DomainEventInfo) -> Void) { self.handler = handler }

    static func deliver(_ domain: virDomainPtr?, _ opaque: UnsafeMutableRawPointer?, _ kind: DomainEventInfo.Kind) {
        guard let opaque, let domain else { return }
        let box = Unmanaged<DomainEventBox>.fromOpaque(opaque).takeUnretainedValue()
        let name = Domain.nameString(domain)
        box.handler(DomainEventInfo(name: name, uuid: Domain.uuidString(domain), kind: kind))
    }
}

private func string(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }

private let ioErrorReasonTrampoline: virConnectDomainEventIOErrorReasonCallback = {
    _, domain, path, alias, action, reason, opaque in
    DomainEventBox.deliver(
        domain, opaque,
        .ioError(sourcePath: string(path), deviceAlias: string(alias), action: Int(action), reason: string(reason)))
}

private let blockThresholdTrampoline: virConnectDomainEventBlockThresholdCallback = {
    _, domain, device, path, threshold, excess, opaque in
    DomainEventBox.deliver(
        domain, opaque,
        .blockThreshold(device: string(device), path: string(path), threshold: threshold, excess: excess))
}

private let jobCompletedTrampoline: virConnectDomainEventJobCompletedCallback = { _, domain, params, count, opaque in
    // libvirt frees `params` after the callback returns: copy them now.
    DomainEventBox.deliver(domain, opaque, .jobCompleted(TypedValue.dictionary(params, count: count)))
}

private let migrationIterationTrampoline: virConnectDomainEventMigrationIterationCallback = {
    _, domain, iteration, opaque in
    DomainEventBox.deliver(domain, opaque, .migrationIteration(Int(iteration)))
}

private let watchdogTrampoline: virConnectDomainEventWatchdogCallback = { _, domain, action, opaque in
    DomainEventBox.deliver(domain, opaque, .watchdog(action: Int(action)))
}

private let rebootTrampoline: virConnectDomainEventGenericCallback = { _, domain, opaque in
    DomainEventBox.deliver(domain, opaque, .reboot)
}

private let tunableTrampoline: virConnectDomainEventTunableCallback = { _, domain, params, count, opaque in
    DomainEventBox.deliver(
        domain, opaque, .tunable(parameters: TypedValue.dictionary(params, count: count).keys.sorted()))
}

private let balloonChangeTrampoline: virConnectDomainEventBalloonChangeCallback = { _, domain, actual, opaque in
    DomainEventBox.deliver(domain, opaque, .balloonChange(actualKiB: actual))
}

private let releaseDomainEventBox: virFreeCallback = { opaque in
    guard let opaque else { return }
    Unmanaged<DomainEventBox>.fromOpaque(opaque).release()
}

extension Connection {
    /// The event IDs `onDomainEvents` registers, with their callbacks cast to the generic type that
    /// `virConnectDomainEventRegisterAny` takes (C's `VIR_DOMAIN_EVENT_CALLBACK` cast, which Swift cannot
    /// import as a macro). libvirt calls each back with its own signature, chosen by the ID.
    static let domainEventCallbacks: [(Int32, virConnectDomainEventGenericCallback)] = [
        (
            Int32(VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON.rawValue),
            unsafeBitCast(ioErrorReasonTrampoline, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            Int32(VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD.rawValue),
            unsafeBitCast(blockThresholdTrampoline, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            Int32(VIR_DOMAIN_EVENT_ID_JOB_COMPLETED.rawValue),
            unsafeBitCast(jobCompletedTrampoline, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            Int32(VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION.rawValue),
            unsafeBitCast(migrationIterationTrampoline, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            Int32(VIR_DOMAIN_EVENT_ID_WATCHDOG.rawValue),
            unsafeBitCast(watchdogTrampoline, to: virConnectDomainEventGenericCallback.self)
        ),
        (Int32(VIR_DOMAIN_EVENT_ID_REBOOT.rawValue), rebootTrampoline),
        (
            Int32(VIR_DOMAIN_EVENT_ID_TUNABLE.rawValue),
            unsafeBitCast(tunableTrampoline, to: virConnectDomainEventGenericCallback.self)
        ),
        (
            Int32(VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE.rawValue),
            unsafeBitCast(balloonChangeTrampoline, to: virConnectDomainEventGenericCallback.self)
        ),
    ]

    /// Calls `handler` on libvirt's event thread for every I/O error, block threshold, completed job,
    /// migration iteration, watchdog firing, reset, tuning change and balloon change of every domain. Keep it
    /// short: it holds up the event loop. Registrations are
    /// removed when the connection is released. An event the daemon does not know (one older than the
    /// event) is left out rather than failing the connection: returns the IDs libvirt refused.
    @discardableResult
    public func onDomainEvents(_ handler: @escaping @Sendable (DomainEventInfo) -> Void) -> [Int32] {
        var refused: [Int32] = []
        for (eventID, callback) in Self.domainEventCallbacks {
            let box = Unmanaged.passRetained(DomainEventBox(handler)).toOpaque()
            let id = virConnectDomainEventRegisterAny(pointer, nil, eventID, callback, box, releaseDomainEventBox)
            guard id >= 0 else {
                Unmanaged<DomainEventBox>.fromOpaque(box).release()
                virResetLastError()
                refused.append(eventID)
                continue
            }
            rememberEventCallback(id)
        }
        return refused
    }
}
