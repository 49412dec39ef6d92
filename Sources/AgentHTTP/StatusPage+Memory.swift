import KVMCore

extension StatusPage {
    /// Under a running domain's memory: whether the guest's own memory figures can be trusted to move.
    func memoryNote(_ entry: DomainEntry) -> String {
        guard entry.state.isActive, entry.config?.memoryStatsPeriodSeconds == 0 else { return "" }
        return "<br><small class=warn title=\"virsh dommemstat --period N, or --collector.balloon-period\">"
            + "guest figures frozen: balloon stats period 0</small>"
    }
}
