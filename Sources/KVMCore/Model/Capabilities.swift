import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads libvirt's capabilities XML (`virsh capabilities`).
public enum Capabilities {
    /// Guest domain types (kvm, qemu, test, …) offered for the host's own architecture.
    public static func domainTypes(xml: String) -> Set<String> {
        guard let root = try? parseXMLDocument(xml).rootElement() else { return [] }
        let hostArch = root.elements(forName: "host").first?.elements(forName: "cpu").first?
            .elements(forName: "arch").first?.stringValue
        var types = Set<String>()
        for guest in root.elements(forName: "guest") {
            for arch in guest.elements(forName: "arch")
            where hostArch == nil || arch.attribute(forName: "name")?.stringValue == hostArch {
                for domain in arch.elements(forName: "domain") {
                    if let type = domain.attribute(forName: "type")?.stringValue { types.insert(type) }
                }
            }
        }
        return types
    }
}
