import Foundation
import Logging
import Synchronization

/// Asks the guest agents of running domains what the guest sees (OS, hostname, file systems, addresses), on
/// an interval of its own: these calls reach into guests and are slower than the host-side counters. It
/// goes through the collector's `call`, so every round has `--collector.timeout` as its deadline and a
/// round that overruns counts against the shared cap of abandoned calls, under a key of its own: a guest
/// whose agent hangs holds up neither the other guests nor its own host-side counters.
public final class GuestAgentCollector: Sendable {
    let collector: Collector
    let source: any GuestAgentSource
    let interval: Duration
    private let pending = Mutex(false)
    private let requested = Wakeup()

    public init(collector: Collector, source: any GuestAgentSource, interval: Duration) {
        self.collector = collector
        self.source = source
        self.interval = interval
    }

    /// How often a round waiting for the first listing on a connection looks again.
    static let listingPoll = Duration.milliseconds(250)

    /// The abandoned-call key of a domain's guest agent rounds, apart from its host-side calls.
    static func key(_ ref: DomainRef) -> String { "agent:" + ref.uuid }

    /// Asks for a round now (an agent just connected, or the connection to libvirt is new).
    public func requestCollection() {
        pending.withLock { $0 = true }
        requested.signal()
    }

    public func run() async {
        var next = ContinuousClock.now
        while !Task.isCancelled {
            let now = ContinuousClock.now
            // Until the first pass on this connection has listed the domains there is nobody to ask: a round
            // due (or asked for on connect) waits for it rather than for the next interval.
            let listed = collector.store.snapshot().collectedSinceConnecting
            let due =
                listed
                && pending.withLock { pending in
                    defer { pending = false }
                    return pending || now >= next
                }
            if due {
                await collectOnce()
                next = ContinuousClock.now + interval
            } else {
                await requested.wait(upTo: listed ? next - now : Self.listingPoll)
            }
        }
    }

    private enum Outcome: Sendable {
        case answered(GuestAgentReport)
        case timedOut
        case failed
    }

    /// One round: learns unknown channel states, then asks every connected agent. Returns how many answered.
    @discardableResult
    public func collectOnce() async -> Int {
        let store = collector.store
        guard store.snapshot().libvirtUp else { return 0 }
        await learnChannels()
        let connected = store.snapshot().sortedDomains.filter { $0.state.isActive && $0.guest.channel == .connected }
        let source = self.source
        let decoder = GuestAgentDecoder()
        let outcomes = await concurrentMap(connected, limit: collector.options.concurrency) {
            entry -> (DomainRef, Outcome) in
            let ref = entry.ref
            let key = Self.key(ref)
            // Still stuck from an earlier round; or it timed out last time and the cap on abandoned calls is
            // reached, so the slot is left to the domains that answer.
            if self.collector.isStuck(key) || (entry.guest.timedOut && self.collector.abandonedCallsAtCap) {
                return (ref, .timedOut)
            }
            do {
                let answer = try await self.collector.call("guest agent", key: key) { _ in
                    try await source.guestAgentAnswer(ref)
                }
                return (ref, .answered(decoder.decode(answer.info, interfaces: answer.interfaces)))
            } catch is DeadlineExceeded {
                return (ref, .timedOut)
            } catch {
                self.collector.logger.debug(
                    "guest agent did not answer", metadata: ["domain": "\(ref.name)", "error": "\(error)"])
                return (ref, .failed)
            }
        }
        let now = Date().timeIntervalSince1970
        store.update { inventory in
            for (ref, outcome) in outcomes {
                // Disconnected (or stopped, or libvirt lost) while the round ran: its answer is not news.
                guard var entry = inventory.domains[ref.uuid], entry.state.isActive, entry.guest.channel == .connected
                else { continue }
                switch outcome {
                case .answered(let report):
                    entry.guest.report = report
                    entry.guest.reportedAt = now
                    entry.guest.timedOut = false
                    entry.guest.answered = true
                case .timedOut, .failed:
                    entry.guest.answered = false
                    entry.guest.report = nil
                    entry.guest.timedOut = { if case .timedOut = outcome { true } else { false } }()
                }
                inventory.domains[ref.uuid] = entry
            }
        }
        return outcomes.filter { if case .answered = $0.1 { true } else { false } }.count
    }

    /// Reads the channel state of running domains not known on this connection yet; an agent lifecycle event
    /// that arrives meanwhile wins.
    private func learnChannels() async {
        let store = collector.store
        let unknown = store.snapshot().sortedDomains.filter { $0.state.isActive && $0.guest.channel == .unknown }
        let source = self.source
        let learned = await concurrentMap(unknown, limit: collector.options.concurrency) {
            entry -> (DomainRef, UInt64, GuestAgentChannel?) in
            let channel = try? await self.collector.call("guest agent channel", key: nil) { _ in
                try await source.guestAgentChannel(entry.ref)
            }
            return (entry.ref, entry.guest.eventSerial, channel)
        }
        store.update { inventory in
            for (ref, serial, channel) in learned {
                guard let channel, inventory.domains[ref.uuid]?.guest.eventSerial == serial else { continue }
                inventory.domains[ref.uuid]?.guest.channel = channel
            }
        }
    }
}
