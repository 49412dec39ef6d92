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
    }

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
            return nil
        }
    }

    /// Counts out a connection that `admit` let in.
    public func release(client: String) {
        state.withLock { state in
            guard let mine = state.perClient[client] else { return }
            state.perClient[client] = mine > 1 ? mine - 1 : nil
            state.total -= 1
        }
    }

    public var openConnections: Int { state.withLock { $0.total } }

    /// Connections open from one address.
    public func openConnections(client: String) -> Int { state.withLock { $0.perClient[client, default: 0] } }
}
