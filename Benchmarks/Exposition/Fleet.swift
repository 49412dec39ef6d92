import KVMCore

/// A host with many guests, brought into an `Inventory` the way the agent does it: lifecycle events
/// first (state, reason and the event counters), then the collector's definition and samples.
struct Fleet {
    static let gibibyte = 1_073_741_824.0

    let guests: [Guest]

    init(domains: Int) {
        guests = (0..<domains).map(Guest.init(index:))
    }

    func inventory() throws -> Inventory {
        let store = InventoryStore()
        store.connected(
            HypervisorIdentity(
                libvirtVersion: "9.0.0", hypervisor: "QEMU", hypervisorVersion: "7.2.0", uri: "qemu:///system",
                hostCPUs: 64, hostMemoryBytes: 512 * Self.gibibyte, domainTypes: ["kvm", "qemu"]))
        store.setHost(
            HostCapability(
                technology: .vtx, cpuVendor: "GenuineIntel", kvmDeviceUsable: true, kvmAPIVersion: 12,
                modulesLoaded: ["kvm": true, "kvm_intel": true, "kvm_amd": false], nestedEnabled: false,
                bridges: ["br0": true, "br-backend": true, "br-storage": true, "virbr0": false]))

        let bootedAt = 1_764_000_000.0
        for guest in guests {
            store.applyLifecycle(event(guest, .defined, detail: 0, at: bootedAt - 86_400))
            store.applyLifecycle(event(guest, .started, detail: 0, at: bootedAt + Double(guest.index)))
            if !guest.running {
                store.applyLifecycle(event(guest, .stopped, detail: 0, at: bootedAt + 3_600))
            }
        }

        // Parsed before taking the lock: the store is not the place for slow work.
        let configs = try guests.map { try $0.config() }
        let decoder = BulkStatsDecoder()
        store.update { inventory in
            inventory.hostServices = [
                "libvirtd.service": HostServiceState(active: true, enabled: true),
                "virtqemud.service": HostServiceState(active: false, enabled: false),
            ]
            for (guest, config) in zip(guests, configs) {
                let uuid = guest.ref.uuid
                inventory.domains[uuid]?.config = config
                inventory.domains[uuid]?.configStale = false
                guard guest.running else { continue }
                inventory.domains[uuid]?.stats = decoder.decode(guest.bulkRecord)
                inventory.domains[uuid]?.statsSampledAt = bootedAt + 7_200.25
                inventory.domains[uuid]?.vcpus = guest.vcpuInfo
            }
        }
        return store.snapshot()
    }

    private func event(_ guest: Guest, _ kind: LifecycleEvent.Kind, detail: Int, at time: Double) -> LifecycleEvent {
        LifecycleEvent(domain: guest.ref, kindCode: kind.rawValue, detailCode: detail, time: time)
    }
}
