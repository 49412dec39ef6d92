import KVMCore
import Libvirt
import LibvirtHypervisor
import Remediation

/// The action module's `DomainController` on libvirt.
struct LibvirtDomainController: DomainController {
    let hypervisor: LibvirtHypervisor

    func state(_ domain: DomainRef) async throws -> DomainState {
        try await hypervisor.withDomain(domain) { DomainState(code: try $0.state().state) }
    }

    func start(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.create() }
    }

    func resume(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.resume() }
    }

    func shutdown(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.shutdown() }
    }

    func destroy(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.destroy() }
    }
}
