import Foundation
import Synchronization

/// Hands memory that a burst of connections used back to the system once they have closed. glibc keeps freed
/// heap for reuse and returns it only from the top of a heap, which the connections' scattered allocations
/// leave pinned: after 1,000 connections came and went the agent stayed 25 MB larger, 6 MB after
/// `malloc_trim` (bench/abuse.sh). Trims are coalesced and run off the event loops, a second after the request.
final class HeapTrimmer: Sendable {
    private let pending = Atomic(false)

    /// glibc's `malloc_trim`, looked up at run time: Swift's Glibc module leaves out malloc.h. Nil elsewhere
    /// (musl), where trimming is then skipped.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()

    func trimSoon() {
        guard pending.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + 1) {
            self.pending.store(false, ordering: .relaxed)
            _ = Self.mallocTrim?(0)
        }
    }
}
