import Testing

@testable import KVMCore

/// Who owns a domain, from its metadata: an orchestrator's namespace, or kvm-agent's own opt-in element.
@Suite struct DomainOwnershipTests {
    static func xml(metadata: String) -> String {
        """
        <domain type='kvm'>
          <name>d</name>
          <metadata>\(metadata)</metadata>
          <memory>1024</memory>
          <os><type arch='x86_64'>hvm</type></os>
        </domain>
        """
    }

    @Test func novaInstanceIsOrchestrated() throws {
        let config = try DomainConfig(
            xml: Self.xml(
                metadata: """
                    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
                      <nova:name>web</nova:name>
                    </nova:instance>
                    """), persistent: true, autostart: false)
        #expect(config.orchestrator == "nova")
        #expect(!config.remediationOptIn)
    }

    @Test func optInElementNeedsTheNamespaceAndAllowYes() throws {
        let ns = DomainConfig.remediationNamespace
        let yes = try DomainConfig(
            xml: Self.xml(metadata: "<k:remediation xmlns:k=\"\(ns)\" allow=\"yes\"/>"), persistent: true,
            autostart: false)
        #expect(yes.remediationOptIn)
        #expect(yes.orchestrator == nil)
        let no = try DomainConfig(
            xml: Self.xml(metadata: "<k:remediation xmlns:k=\"\(ns)\" allow=\"no\"/>"), persistent: true,
            autostart: false)
        #expect(!no.remediationOptIn)
        #expect(no.remediationOptOut, "allow=\"no\" opts the domain out, over every allow rule")
        #expect(!yes.remediationOptOut)
        let otherNamespace = try DomainConfig(
            xml: Self.xml(metadata: "<k:remediation xmlns:k=\"http://example.com/other\" allow=\"yes\"/>"),
            persistent: true, autostart: false)
        #expect(!otherNamespace.remediationOptIn)
        let otherNo = try DomainConfig(
            xml: Self.xml(metadata: "<k:remediation xmlns:k=\"http://example.com/other\" allow=\"no\"/>"),
            persistent: true, autostart: false)
        #expect(!otherNo.remediationOptOut)
    }

    @Test func libosinfoStillReadBesideOtherMetadata() throws {
        let config = try DomainConfig(
            xml: Self.xml(
                metadata: """
                    <ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0"/>
                    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
                      <libosinfo:os id="http://debian.org/debian/12"/>
                    </libosinfo:libosinfo>
                    """), persistent: true, autostart: false)
        #expect(config.osVariant == "http://debian.org/debian/12")
        #expect(config.orchestrator == "ovirt")
    }
}
