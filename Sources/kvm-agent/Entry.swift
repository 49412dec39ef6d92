import ArgumentParser
import Foundation

@main
enum Entry {
    /// On the main actor, so the first line runs on the main thread before any job reaches Dispatch's threads.
    @MainActor
    static func main() async {
        quietLibdispatch()
        await KVMAgentCommand.main()
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
}
