import Logging
import Synchronization

extension Collector {
    static let poolsKey = "*storage_pools"
    static let networksKey = "*networks"

    /// Lists storage pools and virtual networks (those whose collectors are on) under the per-call deadline and applies what came back,
    /// unless an event arrived meanwhile (it has asked for another listing). A listing still stuck from an
    /// earlier pass is not asked again. Returns false when either could not be listed; the inventory then
    /// keeps the last listing, which the next pass corrects.
    @discardableResult
    func refreshStorage() async -> Bool {
        guard store.snapshot().libvirtUp else { return false }
        let ticket = store.beginStorageListing()
        var poolsListed = true
        var networksListed = true
        if options.collectors.contains(.pools) {
            poolsListed = await list("list storage pools", key: Self.poolsKey) {
                self.store.applyStoragePools(try await $0.listStoragePools(), ticket: ticket)
            }
        }
        if options.collectors.contains(.networks) {
            networksListed = await list("list networks", key: Self.networksKey) {
                self.store.applyNetworks(try await $0.listNetworks(), ticket: ticket)
            }
        }
        return poolsListed && networksListed
    }

    private func list(
        _ operation: String, key: String, _ body: @escaping @Sendable (any Hypervisor) async throws -> Void
    ) async -> Bool {
        guard !isStuck(key) else { return false }
        do {
            try await call(operation, key: key, body)
            if storageFailing.withLock({ $0.remove(key) }) != nil {
                logger.info("\(operation) works again")
            }
            return true
        } catch {
            let first = storageFailing.withLock { $0.insert(key).inserted }
            logger.log(level: first ? .warning : .debug, "\(operation) failed", metadata: ["error": "\(error)"])
            return false
        }
    }
}
