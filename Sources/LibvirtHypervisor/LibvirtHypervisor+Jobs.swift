import KVMCore
import Libvirt

extension LibvirtHypervisor {
    /// On the stats connection: for a running job libvirt asks qemu (`query-migrate`, `query-dump`), which
    /// can hang with a stuck monitor like any stats call.
    public func jobProgress(_ ref: DomainRef) async throws -> JobProgress? {
        let domain = try await handle(ref, in: try current())
        let stats = try await blocking { try domain.jobStats() }
        return JobProgress(typeCode: stats.type, values: stats.values.mapValues(StatValue.init))
    }
}

extension DomainEvent {
    /// Decodes what the Libvirt layer's callback delivered, stamped with the time it arrived.
    public init(_ info: DomainEventInfo, time: Double) {
        let kind: Kind
        switch info.kind {
        case .ioError(let path, let alias, let action, let reason):
            kind = .ioError(IOError(sourcePath: path, deviceAlias: alias, actionCode: action, reason: reason))
        case .blockThreshold(let device, _, let threshold, let excess):
            kind = .blockThreshold(BlockThreshold(device: device, thresholdBytes: threshold, excessBytes: excess))
        case .jobCompleted(let values):
            kind = .jobCompleted(JobCompletion(values: values.mapValues(StatValue.init)))
        case .migrationIteration(let iteration):
            kind = .migrationIteration(iteration)
        case .watchdog(let action):
            kind = .watchdog(WatchdogAction(code: action))
        case .reboot:
            kind = .reboot
        case .tunable(let parameters):
            kind = .tunable(vcpuPinning: parameters.contains { $0.hasPrefix("cputune.vcpupin") })
        case .balloonChange(let actualKiB):
            kind = .balloonChange(bytes: Double(actualKiB) * 1024)
        }
        self.init(domain: DomainRef(uuid: info.uuid, name: info.name), kind: kind, time: time)
    }
}
