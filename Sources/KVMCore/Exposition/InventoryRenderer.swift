/// Renders an inventory snapshot as Prometheus text. Families come in a fixed order and series in
/// domain-name order, so two renders of the same inventory are byte-identical.
public struct InventoryRenderer: Sendable {
    static let sampled = " Sampled by the collector loop."
    static let fromEvents = " Updated at once from libvirt lifecycle events."

    public init() {}

    public func render(_ inventory: Inventory) -> (text: String, duplicatesDropped: Int) {
        let rendered = renderBytes(inventory)
        return (String(decoding: rendered.bytes, as: UTF8.self), rendered.duplicatesDropped)
    }

    /// The same text as UTF-8 bytes, for the scrape: a String would be checked as UTF-8 once more on the
    /// way into the response, a tenth of a render's instructions at 100 domains (callgrind).
    public func renderBytes(_ inventory: Inventory) -> (bytes: [UInt8], duplicatesDropped: Int) {
        var writer = ExpositionWriter(reservingCapacity: 4096 + inventory.domains.count * 6000)
        writeLibvirt(inventory, into: &writer)
        writeHost(inventory, into: &writer)
        writeServices(inventory, into: &writer)
        if inventory.libvirtUp {
            let domains = inventory.sortedDomains
            writeDomains(domains, into: &writer)
            writeDiskEvents(domains, into: &writer)
            writeHangEvents(domains, into: &writer)
            writeJobs(domains, into: &writer)
            writeVCPUs(domains, into: &writer)
            writeBlocks(domains, into: &writer)
            writeInterfaces(domains, into: &writer)
            writeStorage(inventory, into: &writer)
            writeGuestAgent(domains, into: &writer)
        }
        return (writer.bytes, writer.duplicatesDropped)
    }

    private func writeLibvirt(_ inventory: Inventory, into w: inout ExpositionWriter) {
        w.family("kvm_libvirt_up", .gauge, help: "1 while the agent holds a live connection to libvirt.") {
            $0.add(inventory.libvirtUp)
        }
        let state = inventory.connectionState.name
        w.family(
            "kvm_agent_libvirt_connection_state", .gauge,
            help:
                "1 for where the agent stands with libvirt, 0 for the other states: connecting (no attempt has "
                + "finished yet), permission_denied (libvirt refuses the agent's user), unreachable, collecting "
                + "(connected, no pass finished since), connected."
        ) { samples in
            for name in LibvirtConnectionState.names { samples.add(["state": name], name == state) }
        }
        guard inventory.libvirtUp, let id = inventory.identity else { return }
        w.family("kvm_libvirt_info", .gauge, help: "The libvirt library and hypervisor driver the agent talks to.") {
            $0.add(
                [
                    "libvirt_version": id.libvirtVersion, "hypervisor": id.hypervisor,
                    "hypervisor_version": id.hypervisorVersion,
                ], 1)
        }
        w.family("kvm_host_cpus", .gauge, help: "Logical CPUs of the host, from libvirt's node info.") {
            $0.add(id.hostCPUs)
        }
        w.family("kvm_host_memory_bytes", .gauge, help: "Memory of the host in bytes, from libvirt's node info.") {
            $0.add(id.hostMemoryBytes)
        }
        w.family(
            "kvm_host_domain_type_supported", .gauge,
            help:
                "1 when libvirt can run guests of this domain type here (its domain capabilities answer for kvm, qemu)."
        ) { samples in
            for type in Set(["kvm", "qemu"]).union(id.domainTypes).sorted() {
                samples.add(["type": type], id.domainTypes.contains(type))
            }
        }
    }

    private func writeHost(_ inventory: Inventory, into w: inout ExpositionWriter) {
        guard let host = inventory.host else { return }
        w.family(
            "kvm_host_virtualization_info", .gauge,
            help: "Hardware virtualization the CPU flags announce (vmx: VT-x, svm: AMD-V), and the CPU vendor."
        ) {
            $0.add(["technology": host.technology.rawValue, "cpu_vendor": host.cpuVendor], 1)
        }
        w.family(
            "kvm_host_kvm_device_usable", .gauge,
            help: "1 when /dev/kvm opens and answers KVM_GET_API_VERSION with the stable API version 12."
        ) {
            $0.add(host.kvmDeviceUsable)
        }
        w.family("kvm_host_kvm_module_loaded", .gauge, help: "1 when the kernel module is loaded.") { samples in
            for (module, loaded) in host.modulesLoaded.sorted(by: { $0.key < $1.key }) {
                samples.add(["module": module], loaded)
            }
        }
        w.family(
            "kvm_host_kvm_nested_enabled", .gauge,
            help: "1 when the loaded kvm_intel or kvm_amd module allows nested virtualization."
        ) {
            $0.add(host.nestedEnabled)
        }
        w.family("kvm_host_bridge_up", .gauge, help: "1 when the host's Linux bridge is operationally up.") { samples in
            for (bridge, up) in host.bridges.sorted(by: { $0.key < $1.key }) {
                samples.add(["bridge": bridge], up)
            }
        }
    }

    /// Present only where systemd answers on D-Bus; absent (not 0) elsewhere, since no state is known.
    private func writeServices(_ inventory: Inventory, into w: inout ExpositionWriter) {
        guard let services = inventory.hostServices else { return }
        let units = services.sorted { $0.key < $1.key }
        w.family(
            "kvm_host_service_active", .gauge, help: "1 when systemd reports the unit active (libvirt's daemons)."
        ) { samples in
            for (unit, state) in units { samples.add(["unit": unit], state.active) }
        }
        w.family(
            "kvm_host_service_enabled", .gauge, help: "1 when the unit is enabled to start at boot, as systemd reports."
        ) { samples in
            for (unit, state) in units { samples.add(["unit": unit], state.enabled) }
        }
    }

    /// The standard `process_*` families every Prometheus client library exports.
    public func writeProcessFamilies(_ p: ProcessSample, into w: inout ExpositionWriter) {
        w.family("process_cpu_seconds_total", .counter, help: "Total user and system CPU time spent in seconds.") {
            $0.add(p.cpuSeconds)
        }
        w.family("process_resident_memory_bytes", .gauge, help: "Resident memory size in bytes.") {
            $0.add(p.residentMemoryBytes)
        }
        w.family("process_virtual_memory_bytes", .gauge, help: "Virtual memory size in bytes.") {
            $0.add(p.virtualMemoryBytes)
        }
        w.family("process_open_fds", .gauge, help: "Number of open file descriptors.") {
            $0.add(Double(p.openFDs))
        }
        w.family("process_max_fds", .gauge, help: "Maximum number of open file descriptors.") {
            $0.add(p.maxFDs.map(Double.init))
        }
        w.family("process_start_time_seconds", .gauge, help: "Start time of the process since unix epoch in seconds.") {
            $0.add(p.startTimeSeconds)
        }
    }
}
