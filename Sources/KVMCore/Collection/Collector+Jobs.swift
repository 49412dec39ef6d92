import Foundation
import Logging

extension Collector {
    /// Asks for the job of each domain that likely has one (see `DomainEntry.jobLikely`): one call per such
    /// domain, none for the rest, so a host without jobs pays nothing. A domain whose calls are stuck is not
    /// asked; a domain that stopped loses its job figures.
    func pollJobs() async {
        guard options.collectors.contains(.jobs) else { return }
        let domains = store.snapshot().domains.values
        let stale = domains.filter { !$0.state.isActive && $0.jobs.current != nil }.map(\.ref.uuid)
        if !stale.isEmpty {
            store.update { inventory in for uuid in stale { inventory.applyJobPoll(uuid, progress: nil) } }
        }
        let wanted = domains.filter { $0.jobLikely && !isStuck($0.ref.uuid) }.map(\.ref)
        guard !wanted.isEmpty else { return }
        let answers = await concurrentMap(wanted, limit: options.concurrency) { ref -> (String, JobProgress?)? in
            do {
                return (ref.uuid, try await self.call("job stats", key: ref.uuid) { try await $0.jobProgress(ref) })
            } catch {
                self.logger.debug("reading job stats failed", metadata: ["domain": "\(ref.name)", "error": "\(error)"])
                return nil
            }
        }
        store.update { inventory in
            for case let (uuid, progress)? in answers { inventory.applyJobPoll(uuid, progress: progress) }
        }
    }
}
