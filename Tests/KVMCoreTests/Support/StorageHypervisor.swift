import Synchronization
import TestSupport

@testable import KVMCore

/// A `Hypervisor` with no domains and the storage pools and networks a test gives it. The next pool listing
/// can be held on a gate after it has taken its answer, as a slow libvirtd would.
final class StorageHypervisor: Hypervisor {
    struct Failure: Error {}

    private struct State {
        var pools: [StoragePoolEntry] = []
        var networks: [NetworkEntry] = []
        var poolListings = 0
        var nextPoolListingHold: Gate?
        var poolListingsHeld = 0
        var poolsFail = false
    }

    private let state = Mutex(State())

    init(pools: [StoragePoolEntry] = [], networks: [NetworkEntry] = []) {
        state.withLock {
            $0.pools = pools
            $0.networks = networks
        }
    }

    func setPools(_ pools: [StoragePoolEntry]) { state.withLock { $0.pools = pools } }
    func setNetworks(_ networks: [NetworkEntry]) { state.withLock { $0.networks = networks } }
    func setPoolsFail(_ fails: Bool) { state.withLock { $0.poolsFail = fails } }
    var poolListings: Int { state.withLock { $0.poolListings } }
    var poolListingsHeld: Int { state.withLock { $0.poolListingsHeld } }

    func holdNextPoolListing() -> Gate {
        let gate = Gate()
        state.withLock { $0.nextPoolListingHold = gate }
        return gate
    }

    func listStoragePools() async throws -> [StoragePoolEntry] {
        let (answer, hold, fails) = state.withLock { state in
            state.poolListings += 1
            let hold = state.nextPoolListingHold.take()
            if hold != nil { state.poolListingsHeld += 1 }
            return (state.pools, hold, state.poolsFail)
        }
        if let hold {
            await hold.wait()
            state.withLock { $0.poolListingsHeld -= 1 }
        }
        if fails { throw Failure() }
        return answer
    }

    func listNetworks() async throws -> [NetworkEntry] { state.withLock { $0.networks } }

    func listDomains() async throws -> [DomainSummary] { [] }
    func bulkStats(_ domains: [DomainRef], groups: Set<StatsGroup>) async throws -> [DomainRef: [String: StatValue]] {
        [:]
    }
    func basicInfo(_ domain: DomainRef) async throws -> DomainBasicInfo { throw Failure() }
    func blockStats(_ domain: DomainRef, device: String) async throws -> BlockDeviceStats { throw Failure() }
    func interfaceStats(_ domain: DomainRef, device: String) async throws -> InterfaceDeviceStats { throw Failure() }
    func vcpuInfo(_ domain: DomainRef) async throws -> [VCPUInfo] { throw Failure() }
    func config(_ domain: DomainRef) async throws -> DomainConfig { throw Failure() }
}
