import CLibvirt

extension Domain {
    public struct JobStats: Sendable, Equatable {
        /// `virDomainJobType`: 0 none, 1 bounded, 2 unbounded (3–5 only for a completed job's stats).
        public var type: Int
        /// The job's figures by libvirt's field names (`operation`, `data_processed`, `memory_dirty_rate`, …).
        public var values: [String: TypedValue]
    }

    /// The domain's current job (`virsh domjobinfo`). With no job running libvirt answers from its own
    /// bookkeeping, type 0 and no figures, without asking qemu.
    public func jobStats() throws(LibvirtError) -> JobStats {
        var type: Int32 = 0
        var params: virTypedParameterPtr? = nil
        var count: Int32 = 0
        _ = try check(virDomainGetJobStats(pointer, &type, &params, &count, 0), "virDomainGetJobStats")
        defer { virTypedParamsFree(params, count) }
        return JobStats(type: Int(type), values: TypedValue.dictionary(params, count: count))
    }

    /// Sets the write offset past which libvirt sends a block threshold event for `device` (`virsh
    /// domblkthreshold`); libvirt clears it once the event has fired.
    public func setBlockThreshold(_ device: String, bytes: UInt64) throws(LibvirtError) {
        _ = try check(virDomainSetBlockThreshold(pointer, device, bytes, 0), "virDomainSetBlockThreshold")
    }

    /// Starts the domain with its vCPUs paused, so that a test can set things up before the guest runs.
    public func createPaused() throws(LibvirtError) {
        _ = try check(
            virDomainCreateWithFlags(pointer, VIR_DOMAIN_START_PAUSED.rawValue), "virDomainCreateWithFlags")
    }
}
