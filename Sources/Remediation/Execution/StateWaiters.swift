import KVMCore
import Synchronization

/// Lets an action wait for the lifecycle event (or, for a reset or reboot, the reset event) that confirms it. A waiter is registered before the
/// libvirt call, so an event that arrives before the call returns is not missed.
final class StateWaiters: Sendable {
    struct Waiter: Sendable {
        let id: UInt64
        let wakeup: Wakeup
    }

    private struct Entry {
        var uuid: String
        var targets: Set<DomainState>
        /// Confirmed by the domain's reset (libvirt's reboot event) rather than by a state.
        var reset = false
        var wakeup: Wakeup
        var seen = false
    }

    private let entries = Mutex<(next: UInt64, waiting: [UInt64: Entry])>((0, [:]))

    func register(_ uuid: String, until targets: Set<DomainState>, orReset reset: Bool = false) -> Waiter {
        let wakeup = Wakeup()
        let id = entries.withLock { state in
            state.next &+= 1
            state.waiting[state.next] = Entry(uuid: uuid, targets: targets, reset: reset, wakeup: wakeup)
            return state.next
        }
        return Waiter(id: id, wakeup: wakeup)
    }

    /// Called for every lifecycle event, on libvirt's event thread: only flags and signals.
    func observe(_ event: LifecycleEvent) {
        guard let state = event.resultingState else { return }
        let woken = entries.withLock { entries -> [Wakeup] in
            var woken: [Wakeup] = []
            for (id, entry) in entries.waiting where entry.uuid == event.domain.uuid && entry.targets.contains(state) {
                entries.waiting[id]?.seen = true
                woken.append(entry.wakeup)
            }
            return woken
        }
        woken.forEach { $0.signal() }
    }

    /// Called for every reset of a domain (libvirt's reboot event), on libvirt's event thread.
    func observeReset(_ uuid: String) {
        let woken = entries.withLock { entries -> [Wakeup] in
            var woken: [Wakeup] = []
            for (id, entry) in entries.waiting where entry.uuid == uuid && entry.reset {
                entries.waiting[id]?.seen = true
                woken.append(entry.wakeup)
            }
            return woken
        }
        woken.forEach { $0.signal() }
    }

    /// True when the confirming event arrived within `timeout`. Removes the waiter.
    func wait(_ waiter: Waiter, upTo timeout: Duration) async -> Bool {
        await waiter.wakeup.wait(upTo: timeout)
        return entries.withLock { $0.waiting.removeValue(forKey: waiter.id)?.seen ?? false }
    }

    func cancel(_ waiter: Waiter) {
        _ = entries.withLock { $0.waiting.removeValue(forKey: waiter.id) }
    }
}
