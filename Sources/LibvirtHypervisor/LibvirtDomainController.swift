import KVMCore
import Libvirt
import Remediation

/// The action module's `DomainController` on libvirt.
public struct LibvirtDomainController: DomainController {
    let hypervisor: LibvirtHypervisor

    public init(hypervisor: LibvirtHypervisor) {
        self.hypervisor = hypervisor
    }

    public func state(_ domain: DomainRef) async throws -> DomainState {
        try await hypervisor.withDomain(domain) { DomainState(code: try $0.state().state) }
    }

    public func start(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.create() }
    }

    public func resume(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.resume() }
    }

    /// The ACPI power button; a driver that takes no shutdown flags (libvirt's test driver) gets the plain call.
    public func shutdown(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { domain in
            do {
                try domain.shutdownByACPI()
            } catch LibvirtError.Code.invalidArgument, LibvirtError.Code.argumentUnsupported {
                try domain.shutdown()
            }
        }
    }

    public func agentShutdown(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.shutdownByGuestAgent() }
    }

    public func destroy(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.destroy() }
    }

    public func reset(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.reset() }
    }

    public func reboot(_ domain: DomainRef) async throws {
        try await hypervisor.withDomain(domain) { try $0.reboot() }
    }
}
