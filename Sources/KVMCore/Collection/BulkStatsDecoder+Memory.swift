extension BulkStatsDecoder {
    /// The guest's own memory figures in the `balloon` group; libvirt gives them only once the guest's balloon
    /// driver has reported, which it does only while the domain has a statistics period.
    func decodeGuestMemory(_ params: [String: StatValue], into balloon: inout DomainStats.Balloon) {
        func num(_ key: String) -> Double? { params[key]?.number }
        func kib(_ key: String) -> Double? { num(key).map { $0 * 1024 } }
        balloon.swapInBytes = kib("balloon.swap_in")
        balloon.swapOutBytes = kib("balloon.swap_out")
        balloon.majorFaults = num("balloon.major_fault")
        balloon.minorFaults = num("balloon.minor_fault")
        balloon.diskCachesBytes = kib("balloon.disk_caches")
        balloon.hugetlbAllocations = num("balloon.hugetlb_pgalloc")
        balloon.hugetlbFailures = num("balloon.hugetlb_pgfail")
        // 0 until the guest's first report: no time rather than 1970.
        balloon.lastUpdateTimestamp = num("balloon.last-update").flatMap { $0 > 0 ? $0 : nil }
    }

    /// KVM's counters: the per-vCPU ones summed over the vCPUs that have them, the per-VM ones as given.
    /// Nil when the driver gave none of them (TCG guests, drivers without query-stats).
    func decodeKVM(_ params: [String: StatValue], vcpus: Int) -> KVMCounters? {
        var counters = KVMCounters()
        for stat in KVMCounters.Stat.allCases {
            let keys = stat.perVCPU ? (0..<vcpus).map { "vcpu.\($0).\(stat.key)" } : ["vm.\(stat.key)"]
            let values = keys.compactMap { params[$0]?.number }
            guard !values.isEmpty else { continue }
            counters.values[stat] = values.reduce(0, +) * stat.scale
        }
        return counters.values.isEmpty ? nil : counters
    }
}
