import KVMCore
import Logging
import NIOPosix
import ServiceLifecycle
import Systemd

/// Reads the libvirt daemons' unit states from systemd every collector interval, for
/// `kvm_host_service_active` and `kvm_host_service_enabled`. sd-bus calls block, so they run on the
/// libvirt thread pool. Where systemd does not answer, the families stay absent and the log says why once.
///
/// Asked for: the monolithic daemon (what Debian 12 and 13 run) and the modular QEMU daemon (other
/// distributions), each as socket and service, and virtlogd's socket, without which no guest starts. Only
/// the units this host has are exported. The daemons are socket-activated and exit after 120 s without
/// clients (`--timeout 120`), so an inactive service behind an active socket is a healthy, idle daemon.
struct HostServicesProbe: Service {
    static let units = [
        "libvirtd.service", "libvirtd.socket", "virtqemud.service", "virtqemud.socket", "virtlogd.socket",
    ]

    let store: InventoryStore
    let pool: NIOThreadPool
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastFailure = ""
            while !Task.isCancelled {
                do {
                    let states = try await pool.runIfActive { try unitStates(Self.units) }
                    store.update { inventory in
                        inventory.hostServices = states.filter { $0.value.exists }.mapValues {
                            HostServiceState(active: $0.active, enabled: $0.enabled)
                        }
                    }
                } catch SystemdError.notAvailable(let reason) {
                    logger.info(
                        "no systemd: kvm_host_service_active and kvm_host_service_enabled are not exported",
                        metadata: ["reason": "\(reason)"])
                    // A service that returns ends the whole application: without systemd, idle until shutdown.
                    try? await gracefulShutdown()
                    return
                } catch {
                    if "\(error)" != lastFailure {
                        logger.warning("cannot read unit states from systemd", metadata: ["error": "\(error)"])
                        lastFailure = "\(error)"
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
