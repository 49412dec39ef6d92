import LibXML

/// A storage pool's state, with libvirt's numbering (`virStoragePoolState`).
public enum StoragePoolState: Int, Sendable, CaseIterable {
    case inactive = 0
    case building = 1
    case running = 2
    /// Running, but some of its storage is missing (a RAID or LVM pool with a lost device).
    case degraded = 3
    /// Running, but its storage cannot be reached (an unmounted NFS or a removed disk).
    case inaccessible = 4

    /// Spelled out for the reason `DomainState.name` gives.
    public var name: String {
        switch self {
        case .inactive: "inactive"
        case .building: "building"
        case .running: "running"
        case .degraded: "degraded"
        case .inaccessible: "inaccessible"
        }
    }

    /// Whether libvirt has sizes and volumes for the pool.
    public var hasFigures: Bool { self == .running || self == .degraded }
}

/// One storage pool as the collector last read it (`virsh pool-list --all --details`, `pool-info`).
public struct StoragePoolEntry: Sendable, Equatable {
    public var name: String
    public var uuid: String
    /// nil for a state number this agent does not know.
    public var state: StoragePoolState?
    /// The pool's backend from its definition (`dir`, `logical`, `netfs`, …), empty when unknown.
    public var type: String
    /// Its target path (the directory of a `dir` pool), empty when it has none.
    public var path: String
    public var autostart: Bool
    public var persistent: Bool
    /// Sizes in bytes and the number of volumes: nil unless the pool runs (libvirt reports 0 otherwise).
    public var capacityBytes: Double?
    public var allocationBytes: Double?
    public var availableBytes: Double?
    public var volumes: Double?

    public init(
        name: String, uuid: String, state: StoragePoolState?, type: String = "", path: String = "",
        autostart: Bool = false, persistent: Bool = true, capacityBytes: Double? = nil,
        allocationBytes: Double? = nil, availableBytes: Double? = nil, volumes: Double? = nil
    ) {
        self.name = name
        self.uuid = uuid.lowercased()
        self.state = state
        self.type = type
        self.path = path
        self.autostart = autostart
        self.persistent = persistent
        self.capacityBytes = capacityBytes
        self.allocationBytes = allocationBytes
        self.availableBytes = availableBytes
        self.volumes = volumes
    }

    /// Below this share of its capacity available, a pool is nearly full: on the status page, and in the
    /// shipped alert KVMStoragePoolNearlyFull (deploy/prometheus/rules).
    public static let nearlyFullRatio = 0.10

    /// The share of the capacity still available, nil without figures or capacity.
    public var availableRatio: Double? {
        guard let capacityBytes, let availableBytes, capacityBytes > 0 else { return nil }
        return availableBytes / capacityBytes
    }

    public var isNearlyFull: Bool { availableRatio.map { $0 < Self.nearlyFullRatio } ?? false }

    /// The backend type and target path from a pool's XML definition; empty strings where absent.
    public static func definition(xml: String) throws -> (type: String, path: String) {
        let root = try XMLTree.parse(xml, root: "pool", what: "storage pool")
        let path = root.child("target")?.child("path")?.stringValue ?? ""
        return (root.attr("type") ?? "", String(path.trimmingBlanks()))
    }
}

/// A storage pool event (`virStoragePoolEventLifecycleType`, or a refresh).
public struct StoragePoolEvent: Sendable, Equatable {
    public enum Kind: Int, Sendable, CaseIterable {
        case defined = 0
        case undefined = 1
        case started = 2
        case stopped = 3
        /// The pool's storage was built (`virsh pool-build`).
        case created = 4
        /// The pool's storage was deleted (`virsh pool-delete`).
        case deleted = 5
        /// Not a lifecycle event: libvirt refreshed the pool's sizes and volumes.
        case refreshed = -1
    }

    public var name: String
    public var uuid: String
    /// nil for a lifecycle event number this agent does not know.
    public var kind: Kind?

    public init(name: String, uuid: String, kind: Kind?) {
        self.name = name
        self.uuid = uuid.lowercased()
        self.kind = kind
    }
}
