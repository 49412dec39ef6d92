import KVMCore

extension StatusPage {
    /// Storage pools, a nearly full one marked as such (`virsh pool-list --all --details`), and the virtual
    /// networks (`virsh net-list --all`, with bridge and DHCP leases).
    func storage(_ inventory: Inventory) -> String {
        guard inventory.libvirtUp else { return "" }
        let pools = inventory.sortedStoragePools
        let full = pools.filter(\.isNearlyFull).count
        let percent = Int(StoragePoolEntry.nearlyFullRatio * 100)
        var html = "<h2>Storage pools <small>\(pools.count) pools"
        html += full > 0 ? ", <span class=bad>\(full) nearly full</span>" : ""
        html += "</small></h2>\n"
        html += "<table><tr><th>pool</th><th>state</th><th>type</th><th>capacity</th><th>allocation</th>"
        html += "<th>available</th><th>volumes</th></tr>\n"
        for pool in pools {
            let state = pool.state?.name ?? "unknown"
            var available = pool.availableBytes.map(Self.bytes) ?? "–"
            if let ratio = pool.availableRatio {
                available += " <small>(\(Int((min(max(ratio, 0), 1) * 100).rounded(.down))) %)</small>"
            }
            if pool.isNearlyFull {
                available = "<span class=bad>\(available) nearly full</span> <small>(under \(percent) % free)</small>"
            }
            let stateClass = pool.state == .running ? "running" : pool.state == .inactive ? "shutoff" : "crashed"
            html += "<tr><td>\(escape(pool.name))</td><td><span class=\"state \(stateClass)\">\(state)</span></td>"
            html += "<td>\(escape(pool.type))</td><td>\(pool.capacityBytes.map(Self.bytes) ?? "–")</td>"
            html += "<td>\(pool.allocationBytes.map(Self.bytes) ?? "–")</td><td>\(available)</td>"
            html += "<td>\(pool.volumes.map { String(Int($0)) } ?? "–")</td></tr>\n"
        }
        html += "</table>\n"
        let networks = inventory.sortedNetworks
        html += "<h2>Networks <small>\(networks.filter(\.active).count) of \(networks.count) active</small></h2>\n"
        html += "<table><tr><th>network</th><th>state</th><th>bridge</th><th>autostart</th><th>DHCP leases</th></tr>\n"
        for network in networks {
            let state =
                network.active
                ? "<span class=\"state running\">active</span>" : "<span class=\"state shutoff\">inactive</span>"
            html += "<tr><td>\(escape(network.name))</td><td>\(state)</td><td>\(escape(network.bridge))</td>"
            html += "<td>\(network.autostart ? "yes" : "no")</td>"
            html += "<td>\(network.dhcpLeases.map { String(Int($0)) } ?? "–")</td></tr>\n"
        }
        return html + "</table>\n"
    }
}
