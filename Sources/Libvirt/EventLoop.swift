import CLibvirt
import Foundation
import Synchronization

/// libvirt's default event loop, run on a thread of its own. It must be registered before the first
/// connection opens; keepalive, close callbacks and domain events all depend on it running.
public enum LibvirtEventLoop {
    private static let started = Mutex(false)

    /// Registers the default implementation and starts its thread, once per process. Also installs an error
    /// handler that prints nothing: libvirt otherwise writes every error to stderr.
    public static func start() throws(LibvirtError) {
        let alreadyStarted = started.withLock { started -> Bool in
            defer { started = true }
            return started
        }
        guard !alreadyStarted else { return }
        virSetErrorFunc(nil, { _, _ in })
        _ = try check(virInitialize(), "virInitialize")
        _ = try check(virEventRegisterDefaultImpl(), "virEventRegisterDefaultImpl")
        let thread = Thread {
            while true {
                if virEventRunDefaultImpl() < 0 {
                    // Only fails on a broken internal pipe; back off rather than spin.
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
        }
        thread.name = "libvirt-events"
        thread.start()
    }
}
