import Synchronization

/// Counts open connections in total and per client address, and admits a new one only under both caps.
/// Shared by the child channels of every event loop, hence the lock; it holds an entry only for addresses with a
/// connection open, so its size is bounded by the total cap.
public final class ConnectionTable: Sendable {
    /// Why a connection was turned away; the `reason` label of kvm_agent_http_connections_rejected_total.
    public enum Rejection: String, Sendable, CaseIterable {
        case clientLimit = "client_limit"
        case totalLimit = "total_limit"
    }

    private struct State {
        var total = 0
        var perClient: [String: Int] = [:]
        /// The most connections open since the table last reported itself drained.
        var peak = 0
    }

    /// How far the count must fall, from its peak, for `release` to report the table drained.
    static let drainedDrop = 64

    private let state = Mutex(State())
    private let maxTotal: Int
    private let maxPerClient: Int

    public init(maxConnections: Int, maxConnectionsPerClient: Int) {
        self.maxTotal = maxConnections
        self.maxPerClient = maxConnectionsPerClient
    }

    /// Counts the connection in and returns nil, or returns why it may not be opened (and counts nothing).
    public func admit(client: String) -> Rejection? {
        state.withLock { state in
            let mine = state.perClient[client, default: 0]
            if mine >= maxPerClient { return .clientLimit }
            if state.total >= maxTotal { return .totalLimit }
            state.perClient[client] = mine + 1
            state.total += 1
            state.peak = max(state.peak, state.total)
            return nil
        }
    }

    /// Counts out a connection that `admit` let in. Returns true when the count has fallen to a quarter of its
    /// peak, and by at least `drainedDrop`: a burst of connections has ended (then the peak starts afresh).
    @discardableResult
    public func release(client: String) -> Bool {
        state.withLock { state in
            guard let mine = state.perClient[client] else { return false }
            state.perClient[client] = mine > 1 ? mine - 1 : nil
            state.total -= 1
            guard state.total <= state.peak / 4, state.peak - state.total >= Self.drainedDrop else { return false }
            state.peak = state.total
            return true
        }
    }

    public var openConnections: Int { state.withLock { $0.total } }

    /// Connections open from one address.
    public func openConnections(client: String) -> Int { state.withLock { $0.perClient[client, default: 0] } }
}
