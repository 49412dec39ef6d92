import LibXML

extension DomainConfig {
    /// What an orchestrator wrote into the domain's metadata: who owns the domain there and under what name,
    /// so that dashboards can join on it (`kvm_domain_orchestrator_info`) without a label on every series.
    public struct Orchestration: Sendable, Equatable {
        /// `nova` or `ovirt`.
        public var system: String
        public var instanceName = ""
        public var project = ""
        public var projectID = ""
        public var user = ""
        public var flavor = ""

        public init(system: String) {
            self.system = system
        }

        static let nova = "http://openstack.org/xmlns/libvirt/nova/"
        static let ovirt = "http://ovirt.org/vm/"

        /// Reads one child of `<metadata>`; nil for elements no orchestrator wrote. Nova's
        /// `<nova:instance>` names the instance, its flavor and its owner; oVirt's `<ovirt-vm:vm>` carries
        /// none of these (oVirt names the domain after the VM), so only the owner is known.
        init?(metadata element: XMLTree) {
            let namespace = element.uri
            if namespace.hasPrefix(Self.nova) {
                self.init(system: "nova")
                guard element.localName == "instance" else { return }
                instanceName = Self.text(element.child("name"))
                flavor = element.child("flavor")?.attr("name") ?? ""
                let owner = element.child("owner")
                user = Self.text(owner?.child("user"))
                project = Self.text(owner?.child("project"))
                projectID = owner?.child("project")?.attr("uuid") ?? ""
            } else if namespace.hasPrefix(Self.ovirt) {
                self.init(system: "ovirt")
            } else {
                return nil
            }
        }

        private static func text(_ element: XMLTree?) -> String {
            element.map { String($0.stringValue.trimmingBlanks()) } ?? ""
        }
    }

    /// The orchestrator that owns the domain, nil when none does: remediation leaves such domains alone
    /// unless a rule allows orchestrated ones.
    public var orchestrator: String? {
        get { orchestration?.system }
        set { orchestration = newValue.map(Orchestration.init(system:)) }
    }
}
