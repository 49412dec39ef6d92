/// What the host can virtualise, read from CPU flags, /dev/kvm and the kernel's module list.
public struct HostCapability: Sendable, Equatable {
    public enum Technology: String, Sendable, CaseIterable {
        case vtx = "VT-x"
        case amdv = "AMD-V"
        case none = "none"
    }

    /// From the `vmx` (Intel) or `svm` (AMD) CPU flag; `none` when neither is present.
    public var technology: Technology
    /// `vendor_id` from /proc/cpuinfo, "unknown" when unreadable.
    public var cpuVendor: String
    /// /dev/kvm opened and answered `KVM_GET_API_VERSION`.
    public var kvmDeviceUsable: Bool
    public var kvmAPIVersion: Int?
    /// Module name (kvm, kvm_intel, kvm_amd) to whether it is loaded.
    public var modulesLoaded: [String: Bool]
    /// The loaded vendor module's `nested` parameter is on.
    public var nestedEnabled: Bool
    /// Linux bridge name to whether its operstate is up.
    public var bridges: [String: Bool]

    public init(
        technology: Technology, cpuVendor: String, kvmDeviceUsable: Bool, kvmAPIVersion: Int?,
        modulesLoaded: [String: Bool], nestedEnabled: Bool, bridges: [String: Bool]
    ) {
        self.technology = technology
        self.cpuVendor = cpuVendor
        self.kvmDeviceUsable = kvmDeviceUsable
        self.kvmAPIVersion = kvmAPIVersion
        self.modulesLoaded = modulesLoaded
        self.nestedEnabled = nestedEnabled
        self.bridges = bridges
    }
}

/// The agent's own process, for the standard `process_*` families.
public struct ProcessSample: Sendable, Equatable {
    public var cpuSeconds: Double
    public var residentMemoryBytes: Double
    public var virtualMemoryBytes: Double
    public var openFDs: Int
    public var maxFDs: Int?
    public var startTimeSeconds: Double

    public init(
        cpuSeconds: Double, residentMemoryBytes: Double, virtualMemoryBytes: Double, openFDs: Int,
        maxFDs: Int?, startTimeSeconds: Double
    ) {
        self.cpuSeconds = cpuSeconds
        self.residentMemoryBytes = residentMemoryBytes
        self.virtualMemoryBytes = virtualMemoryBytes
        self.openFDs = openFDs
        self.maxFDs = maxFDs
        self.startTimeSeconds = startTimeSeconds
    }
}

/// A systemd unit's state, as `systemctl is-active` and `is-enabled` report it.
public struct HostServiceState: Sendable, Equatable {
    public var active: Bool
    public var enabled: Bool

    public init(active: Bool, enabled: Bool) {
        self.active = active
        self.enabled = enabled
    }
}
