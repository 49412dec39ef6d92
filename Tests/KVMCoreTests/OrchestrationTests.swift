import Testing

@testable import KVMCore

/// `kvm_domain_orchestrator_info`: what nova and oVirt write into a domain's metadata, read and exported once
/// per domain so that dashboards join on `domain` instead of carrying the labels on every series.
@Suite struct OrchestrationTests {
    /// The shape nova writes (its `<nova:instance>` element, namespace version 1.1 and later).
    static let nova = """
        <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
          <nova:package version="27.1.0"/>
          <nova:name>web-frontend-1</nova:name>
          <nova:creationTime>2026-11-02 09:14:55</nova:creationTime>
          <nova:flavor name="m1.small">
            <nova:memory>2048</nova:memory>
            <nova:disk>20</nova:disk>
            <nova:vcpus>1</nova:vcpus>
          </nova:flavor>
          <nova:owner>
            <nova:user uuid="4c3a0f6e2b1d4e8f9a7b6c5d4e3f2a1b">alice</nova:user>
            <nova:project uuid="9f8e7d6c5b4a49382716a5b4c3d2e1f0"> shop </nova:project>
          </nova:owner>
          <nova:root type="image" uuid="0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"/>
        </nova:instance>
        """

    static func config(_ metadata: String) throws -> DomainConfig {
        try DomainConfig(xml: DomainOwnershipTests.xml(metadata: metadata), persistent: true, autostart: false)
    }

    @Test func novaNamesInstanceProjectUserAndFlavor() throws {
        let o = try #require(try Self.config(Self.nova).orchestration)
        #expect(o.system == "nova")
        #expect(o.instanceName == "web-frontend-1")
        #expect(o.flavor == "m1.small")
        #expect(o.user == "alice")
        #expect(o.project == "shop")
        #expect(o.projectID == "9f8e7d6c5b4a49382716a5b4c3d2e1f0")
    }

    @Test func oVirtIsKnownByItsNamespaceAlone() throws {
        let o = try #require(
            try Self.config(
                """
                <ovirt-tune:qos xmlns:ovirt-tune="http://ovirt.org/vm/tune/1.0"/>
                <ovirt-vm:vm xmlns:ovirt-vm="http://ovirt.org/vm/1.0">
                  <ovirt-vm:clusterVersion>4.5</ovirt-vm:clusterVersion>
                </ovirt-vm:vm>
                """
            ).orchestration)
        #expect(o == DomainConfig.Orchestration(system: "ovirt"))
    }

    /// A second nova element after the instance (or an empty one before it) does not blank what was read.
    @Test func theElementThatNamesTheInstanceWins() throws {
        let other = #"<nova:other xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"/>"#
        let before = try Self.config(other + Self.nova)
        #expect(before.orchestration?.instanceName == "web-frontend-1")
        let after = try Self.config(Self.nova + other)
        #expect(after.orchestration?.instanceName == "web-frontend-1")
    }

    @Test func lookalikesAreNotOrchestrators() throws {
        // The element names without nova's namespace, and an unrelated namespace: nobody owns these.
        #expect(try Self.config("<instance><name>x</name></instance>").orchestration == nil)
        #expect(
            try Self.config("<n:instance xmlns:n=\"http://example.com/openstack\"><n:name>x</n:name></n:instance>")
                .orchestration == nil)
    }

    @Test func renderedOncePerOrchestratedDomain() throws {
        var nova = Fixtures.sampledEntry("instance-0000002a", 1)
        nova.config = try Self.config(Self.nova)
        let plain = Fixtures.sampledEntry("plain", 2)
        var ovirt = Fixtures.shutOffEntry("ovirt-vm", 3)
        ovirt.config?.orchestrator = "ovirt"
        let text = InventoryRenderer().render(Fixtures.inventory([nova, plain, ovirt])).text
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("kvm_domain_orchestrator_info{") }
        #expect(
            lines == [
                #"kvm_domain_orchestrator_info{domain="instance-0000002a",orchestrator="nova",instance_name="web-frontend-1",project="shop",project_id="9f8e7d6c5b4a49382716a5b4c3d2e1f0",user="alice",flavor="m1.small"} 1"#,
                #"kvm_domain_orchestrator_info{domain="ovirt-vm",orchestrator="ovirt",instance_name="",project="",project_id="",user="",flavor=""} 1"#,
            ])
        #expect(text.contains("# HELP kvm_domain_orchestrator_info "))
    }
}
