extension InventoryRenderer {
    static let poolFigures = " Sampled by the collector loop and after every pool event; absent unless the pool runs."

    func writeStorage(_ inventory: Inventory, into w: inout ExpositionWriter) {
        writePools(inventory.sortedStoragePools, into: &w)
        writeNetworks(inventory.sortedNetworks, into: &w)
    }

    private func writePools(_ pools: [StoragePoolEntry], into w: inout ExpositionWriter) {
        w.family(
            "kvm_storage_pool_info", .gauge,
            help: "Every libvirt storage pool, active or not, with its backend type and target path."
        ) { samples in
            for p in pools {
                samples.add(
                    [
                        "pool": p.name, "uuid": p.uuid, "type": p.type, "path": p.path,
                        "persistent": String(p.persistent), "autostart": String(p.autostart),
                    ], 1)
            }
        }
        w.family(
            "kvm_storage_pool_state", .gauge,
            help: "1 for the pool's current state (inactive, building, running, degraded, inaccessible), 0 for the "
                + "others. Updated at once from libvirt storage pool events."
        ) { samples in
            for p in pools {
                for state in StoragePoolState.allCases {
                    samples.add(["pool": p.name, "state": state.name], p.state == state)
                }
            }
        }
        let figures: [(String, String, (StoragePoolEntry) -> Double?)] = [
            ("kvm_storage_pool_capacity_bytes", "Size of the pool's storage, in bytes.", { $0.capacityBytes }),
            ("kvm_storage_pool_allocation_bytes", "Bytes of the pool allocated to volumes.", { $0.allocationBytes }),
            (
                "kvm_storage_pool_available_bytes", "Bytes still free in the pool for new volumes and their growth.",
                { $0.availableBytes }
            ),
            ("kvm_storage_pool_volumes", "Volumes in the pool.", { $0.volumes }),
        ]
        for (name, help, value) in figures {
            w.family(name, .gauge, help: help + Self.poolFigures) { samples in
                for p in pools { samples.add(["pool": p.name], value(p)) }
            }
        }
    }

    private func writeNetworks(_ networks: [NetworkEntry], into w: inout ExpositionWriter) {
        w.family(
            "kvm_network_info", .gauge,
            help: "Every libvirt virtual network, active or not, with its Linux bridge (empty where it has none)."
        ) { samples in
            for n in networks {
                samples.add(
                    [
                        "network": n.name, "uuid": n.uuid, "bridge": n.bridge, "persistent": String(n.persistent),
                        "autostart": String(n.autostart),
                    ], 1)
            }
        }
        w.family(
            "kvm_network_active", .gauge,
            help: "1 while the virtual network is active (started). Updated at once from libvirt network events."
        ) { samples in
            for n in networks { samples.add(["network": n.name], n.active) }
        }
        w.family(
            "kvm_network_dhcp_leases", .gauge,
            help: "DHCP leases the active network's dnsmasq holds (virsh net-dhcp-leases). Sampled by the collector "
                + "loop; absent for inactive networks and drivers without DHCP."
        ) { samples in
            for n in networks { samples.add(["network": n.name], n.dhcpLeases) }
        }
    }
}
