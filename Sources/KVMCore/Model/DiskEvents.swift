/// What libvirt's disk events told of one domain since the agent started.
public struct DiskEvents: Sendable, Equatable {
    /// I/O errors by device, reason and action.
    public var ioErrors: [IOErrorKey: Double] = [:]
    /// The last I/O error and when it arrived, for the status page.
    public var lastIOError: LastIOError?
    /// Block threshold events by device.
    public var thresholds: [String: ThresholdRecord] = [:]

    public init() {}

    public var ioErrorCount: Double { ioErrors.values.reduce(0, +) }
}

public struct IOErrorKey: Sendable, Hashable, Comparable {
    public var device: String
    public var reason: String
    public var action: String

    public init(device: String, reason: String, action: String) {
        self.device = device
        self.reason = reason
        self.action = action
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.device, a.reason, a.action) < (b.device, b.reason, b.action)
    }
}

public struct LastIOError: Sendable, Equatable {
    public var key: IOErrorKey
    public var sourcePath: String
    public var time: Double

    public init(key: IOErrorKey, sourcePath: String, time: Double) {
        self.key = key
        self.sourcePath = sourcePath
        self.time = time
    }
}

public struct ThresholdRecord: Sendable, Equatable {
    public var count: Double = 0
    /// Bytes written past the threshold when it last fired (0 where the hypervisor does not say).
    public var lastExcessBytes: Double = 0
}
