import Foundation
import LibXML

/// Reads libvirt's capabilities XML (`virsh capabilities`).
public enum Capabilities {
    /// Guest domain types (kvm, qemu, test, …) offered for the host's own architecture.
    public static func domainTypes(xml: String) -> Set<String> {
        guard let root = try? XMLTree.parse(xml) else { return [] }
        let hostArch = root.child("host")?.child("cpu")?.child("arch")?.stringValue
        var types = Set<String>()
        for guest in root.children("guest") {
            for arch in guest.children("arch") where hostArch == nil || arch.attr("name") == hostArch {
                for domain in arch.children("domain") {
                    if let type = domain.attr("type") { types.insert(type) }
                }
            }
        }
        return types
    }
}
