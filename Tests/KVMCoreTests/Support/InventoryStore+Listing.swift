@testable import KVMCore

extension InventoryStore {
    /// A listing begun and applied at once: the newest, so always applied.
    func applyListing(_ listing: [DomainSummary], startedAt: Double) {
        applyListing(listing, ticket: beginListing(at: startedAt))
    }
}
