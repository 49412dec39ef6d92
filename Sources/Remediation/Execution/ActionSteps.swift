import Synchronization

/// The steps of one action as they end, in order: filled by the action's task, read when it finishes.
final class ActionSteps: Sendable {
    private let steps = Mutex<[ActionStep]>([])

    var all: [ActionStep] { steps.withLock { $0 } }

    func append(_ step: ActionStep) { steps.withLock { $0.append(step) } }
}
