import ServiceLifecycle

extension ServiceGroup {
    /// Runs the group, shuts it down gracefully once `ready` returns, and says whether both finished within
    /// `deadline`: the shape of every test here that checks what services do while they stop.
    public func runAndShutDown(
        once ready: @escaping @Sendable () async -> Void, within deadline: Duration = .seconds(30)
    ) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                await ready()
                await self.triggerGracefulShutdown()
                return true
            }
            tasks.addTask {
                try await self.run()
                return true
            }
            tasks.addTask {
                try await Task.sleep(for: deadline)
                return false
            }
            var done = 0
            for try await result in tasks {
                guard result else { break }
                done += 1
                if done == 2 { break }
            }
            tasks.cancelAll()
            return done == 2
        }
    }
}
