import CLibvirt
import Foundation
import Synchronization

/// libvirt's default event loop, run on a thread of its own. It must be registered before the first
/// connection opens; keepalive, close callbacks and domain events all depend on it running.
public enum LibvirtEventLoop {
    private static let started = Mutex(false)
    /// When the loop last came back from an iteration, in DispatchTime nanoseconds; 0 before the first.
    private static let lastTurn = Atomic<UInt64>(0)

    /// How long ago the loop last turned; nil before it started. A timer wakes it every few seconds, so a
    /// large figure means its thread is stuck, and with it every event and keepalive.
    public static var secondsSinceLastTurn: Double? {
        let last = lastTurn.load(ordering: .relaxed)
        guard last > 0 else { return nil }
        return Double(DispatchTime.now().uptimeNanoseconds &- last) / 1e9
    }

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
        // Without connections the loop has no timer and would block forever: this one makes it turn every
        // 5 s, so that its liveness can be told from its last turn.
        _ = try check(virEventAddTimeout(5000, { _, _ in }, nil, nil), "virEventAddTimeout")
        let thread = Thread {
            while true {
                if virEventRunDefaultImpl() < 0 {
                    // Only fails on a broken internal pipe; back off rather than spin.
                    Thread.sleep(forTimeInterval: 0.1)
                }
                lastTurn.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
            }
        }
        thread.name = "libvirt-events"
        thread.start()
    }
}
