import Crypto
import Dispatch
import HummingbirdBcrypt
import KVMCore
import Synchronization

/// Checks basic-auth credentials against the configured bcrypt hashes, remembering successes so that only the first
/// request of a scraper pays bcrypt's tens of milliseconds.
final class BasicAuthVerifier: Sendable {
    /// User to hash, with `$2y$` rewritten as `$2b$`: the same algorithm (the letter only records which bug-fixed
    /// implementation wrote it), but HummingbirdBcrypt, from OpenBSD, knows only `$2a$` and `$2b$`.
    private let hashes: [String: String]
    /// A real hash checked for unknown users, so a wrong user name costs the same time as a wrong password.
    private let decoyHash: String
    /// Random per process, so the cached fingerprints are useless outside it.
    private let salt: [UInt8]
    /// User to the fingerprint of the password that last verified. Only configured users are stored, one entry each,
    /// so the size is bounded by the file; failures are never stored.
    private let verified = Mutex<[String: [UInt8]]>([:])
    /// One bcrypt at a time, off the Swift concurrency pool: a flood of bad passwords then costs one core and queues,
    /// instead of occupying every cooperative thread the agent's own work needs.
    private let bcryptQueue = DispatchQueue(label: "kvm-agent.web-security.bcrypt")

    init?(users: [String: String]) {
        guard let decoy = users.keys.min() else { return nil }
        self.hashes = users.mapValues(Self.canonicalHash)
        self.decoyHash = Self.canonicalHash(users[decoy]!)
        var generator = SystemRandomNumberGenerator()
        self.salt = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    func verify(user: String, password: String) async -> Bool {
        guard let hash = self.hashes[user] else {
            _ = await self.bcrypt(password, hash: self.decoyHash)
            return false
        }
        let fingerprint = Array(SHA256.hash(data: self.salt + Array(user.utf8) + [0] + Array(password.utf8)))
        let cached = self.verified.withLock { $0[user] }
        if let cached, ConstantTime.equal(cached, fingerprint) { return true }
        guard await self.bcrypt(password, hash: hash) else { return false }
        self.verified.withLock { $0[user] = fingerprint }
        return true
    }

    /// For tests: how many users have a remembered success.
    var cachedUserCount: Int { self.verified.withLock { $0.count } }

    private func bcrypt(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            self.bcryptQueue.async {
                continuation.resume(returning: Bcrypt.verify(password, hash: hash))
            }
        }
    }

    private static func canonicalHash(_ hash: String) -> String {
        hash.hasPrefix("$2y$") ? "$2b$" + hash.dropFirst(4) : hash
    }
}
