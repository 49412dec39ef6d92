import LibXML

/// What the agent reads from a domain's XML definition, plus the two flags libvirt keeps beside it.
public struct DomainConfig: Sendable, Equatable {
    public struct Disk: Sendable, Equatable {
        public var target: String
        public var bus: String
        public var source: String
        public var device: String
    }

    public struct Interface: Sendable, Equatable {
        /// The host-side device name; libvirt assigns it only while the domain runs.
        public var target: String?
        public var mac: String
        public var bridge: String
        public var model: String
        public var type: String
    }

    /// `<domain type=…>`: kvm, qemu (TCG), test…
    public var domainType = ""
    public var osType = ""
    public var arch = ""
    /// libosinfo's id from `<metadata><libosinfo:os id=…/>`, empty when absent.
    public var osVariant = ""
    public var vcpusMaximum: Double?
    /// `<vcpu current=…>`: the vCPUs the domain starts with; the maximum when absent.
    public var vcpusCurrent: Double?
    public var memoryMaximumBytes: Double?
    /// `<memballoon><stats period=…/>` in seconds: 0 when the balloon has no period, nil when the domain has
    /// no balloon device. At 0 the guest never reports its memory figures.
    public var memoryStatsPeriodSeconds: Double?
    public var disks: [Disk] = []
    public var interfaces: [Interface] = []
    public var persistent = true
    public var autostart = false
    /// The management system that owns the domain and what it says about it, from the domain's metadata.
    public var orchestration: Orchestration?
    /// `<kvm-agent:remediation allow="yes"/>` in the domain's metadata: the owner opted in to remediation.
    public var remediationOptIn = false
    /// `<kvm-agent:remediation allow="no"/>`: the agent never acts on the domain, whatever the policy allows.
    public var remediationOptOut = false

    /// The metadata namespace of kvm-agent's own opt-in element.
    public static let remediationNamespace = "https://kvm-agent.dev/xmlns/remediation/1.0"
    public init() {}

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a domain XML. Elements the agent does not know are ignored.
    public init(xml: String, persistent: Bool, autostart: Bool) throws {
        let root = try XMLTree.parse(xml, root: "domain", what: "domain")
        self.persistent = persistent
        self.autostart = autostart
        domainType = root.attr("type") ?? ""
        if let type = root.child("os")?.child("type") {
            osType = type.stringValue
            arch = type.attr("arch") ?? ""
        }
        let metadata = root.child("metadata")?.children("") ?? []
        osVariant = metadata.first { $0.localName == "libosinfo" }?.child("os")?.attr("id") ?? ""
        for element in metadata {
            let namespace = element.uri
            // oVirt writes two elements, nova may write more than its instance: the one that names most wins.
            if let found = Orchestration(metadata: element), orchestration?.instanceName.isEmpty ?? true {
                orchestration = found
            }
            if namespace == Self.remediationNamespace, element.localName == "remediation" {
                let allow = element.attr("allow")?.lowercased() ?? ""
                remediationOptIn = ["yes", "true"].contains(allow)
                remediationOptOut = ["no", "false"].contains(allow)
            }
        }
        let vcpu = root.child("vcpu")
        vcpusMaximum = vcpu.flatMap { Double($0.stringValue.trimmingBlanks()) }
        vcpusCurrent = vcpu?.attr("current").flatMap { Double($0.trimmingBlanks()) } ?? vcpusMaximum
        if let memory = root.child("memory") {
            memoryMaximumBytes = Double(memory.stringValue.trimmingBlanks())
                .map { $0 * Self.bytesPerUnit(memory.attr("unit") ?? "KiB") }
        }
        let devices = root.child("devices")
        if let balloon = devices?.child("memballoon"), balloon.attr("model") != "none" {
            let period = balloon.child("stats")?.attr("period").flatMap {
                Double($0.trimmingBlanks())
            }
            memoryStatsPeriodSeconds = period.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } ?? 0
        }
        for disk in devices?.children("disk") ?? [] {
            guard let target = disk.child("target")?.attr("dev") else { continue }
            let source = disk.child("source")
            let path =
                source?.attr("file") ?? source?.attr("dev") ?? source?.attr("volume") ?? source?.attr("name") ?? ""
            disks.append(
                Disk(
                    target: target, bus: disk.child("target")?.attr("bus") ?? "", source: path,
                    device: disk.attr("device") ?? "disk"))
        }
        for interface in devices?.children("interface") ?? [] {
            let source = interface.child("source")
            interfaces.append(
                Interface(
                    target: interface.child("target")?.attr("dev"),
                    mac: interface.child("mac")?.attr("address") ?? "",
                    bridge: source?.attr("bridge") ?? source?.attr("network") ?? source?.attr("dev") ?? "",
                    model: interface.child("model")?.attr("type") ?? "",
                    type: interface.attr("type") ?? ""))
        }
    }

    static func bytesPerUnit(_ unit: String) -> Double {
        switch unit.lowercased() {
        case "b", "bytes": 1
        case "kb": 1e3
        case "k", "kib": 1024
        case "mb": 1e6
        case "m", "mib": 1_048_576
        case "gb": 1e9
        case "g", "gib": 1_073_741_824
        case "tb": 1e12
        case "t", "tib": 1_099_511_627_776
        default: 1024
        }
    }
}
