import Testing

@testable import KVMCore

/// `kvm_host_service_*`: one series per unit where systemd answered, no family at all where it did not.
@Suite struct HostServicesRenderingTests {
    @Test func unitsAreRenderedSortedWithOneSeriesEach() {
        var inventory = Fixtures.inventory([])
        inventory.hostServices = [
            "virtqemud.service": HostServiceState(active: false, enabled: false),
            "libvirtd.service": HostServiceState(active: true, enabled: true),
        ]
        let text = InventoryRenderer().render(inventory).text
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("kvm_host_service_") }
        #expect(
            lines == [
                #"kvm_host_service_active{unit="libvirtd.service"} 1"#,
                #"kvm_host_service_active{unit="virtqemud.service"} 0"#,
                #"kvm_host_service_enabled{unit="libvirtd.service"} 1"#,
                #"kvm_host_service_enabled{unit="virtqemud.service"} 0"#,
            ])
        #expect(text.contains("# HELP kvm_host_service_active "))
    }

    @Test func noSystemdMeansNoFamilies() {
        let text = InventoryRenderer().render(Fixtures.inventory([])).text
        #expect(!text.contains("kvm_host_service_"))
    }
}
