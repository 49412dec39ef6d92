import ArgumentParser
import Foundation

@main
enum Entry {
    /// On the main actor, so the first line runs on the main thread before any job reaches Dispatch's threads.
    @MainActor
    static func main() async {
        quietLibdispatch()
        limitMallocArenas()
        await startTimers()
        await KVMAgentCommand.main()
    }

    /// libdispatch runs Swift Concurrency's timers and `asyncAfter` on Linux. It makes its epoll instance and
    /// eventfd the first time either is used, and traps (SIGILL) when it cannot (EMFILE); it makes a timerfd per
    /// clock the first time that clock is used, and when it cannot, timers on that clock never fire. A flood of
    /// connections can take every descriptor (accept then waits, see AcceptBackoffTests), and on a loaded host
    /// the flood can come before the agent's first sleep: the suite saw the agent die with SIGILL that way, and
    /// a program that exhausts its descriptors and then sleeps dies the same way every time. Both clocks the
    /// agent uses (`Task.sleep`'s continuous one, `asyncAfter`'s uptime one for HeapTrimmer) are used here
    /// once, while descriptors are plentiful, so that all of it exists for the life of the process.
    static func startTimers() async {
        try? await Task.sleep(for: .milliseconds(1))
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1)) { done.resume() }
        }
    }

    /// libdispatch (Linux, since Swift 6.3) starts its manager thread, which runs every Dispatch timer and signal
    /// source and its own pool monitor, with `setpriority(-4)`. As the unit's unprivileged user (no CAP_SYS_NICE,
    /// RLIMIT_NICE 0) that fails with EACCES and libdispatch logs "Failed to set thread priority for worker
    /// thread" to syslog, at notice level, on every start. The agent cannot avoid the thread (Swift Concurrency's
    /// pool, `Task.sleep` and the SIGTERM handling all start it) and should not be granted the priority: the
    /// thread stays at nice 0, not ahead of the guests' vCPUs. So the line is noise, and it is turned off here,
    /// before libdispatch's first message, when it reads the variable once. This also hides libdispatch's rare
    /// reports of its own or a client's bugs; an operator who sets `LIBDISPATCH_LOG` (syslog, stderr) keeps them.
    static func quietLibdispatch() {
        setenv("LIBDISPATCH_LOG", "NO", 0)
    }

    /// glibc gives threads that allocate at once heaps of their own ("arenas"), up to eight per core, and keeps
    /// what each one freed for reuse. The agent's allocations are small and its threads many (event loops,
    /// libvirt calls, Dispatch): with the default, 15 arenas and 18.0 MB of anonymous memory at 100
    /// guests; with two, 13.8 MB (docs/benchmarks.md, issue 13). Set before the first threads start; an operator's
    /// `MALLOC_ARENA_MAX` wins. Looked up at run time, as `malloc_trim` is: Swift's Glibc leaves out malloc.h.
    static func limitMallocArenas() {
        guard getenv("MALLOC_ARENA_MAX") == nil, let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        let arenaMaximum: Int32 = -8  // M_ARENA_MAX
        _ = mallopt(arenaMaximum, 2)
    }
}
