import Foundation

/// The safety state on disk, as JSON, replaced atomically on every change.
public struct StateFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// An empty state when the file does not exist yet; an error when it exists and does not parse, or holds a
    /// value out of range (a ``StateFileError`` naming the field), since starting with forgotten quarantines and
    /// dedupe keys, or with a counter that overflows at the next action, would be unsafe.
    public func load() throws -> SafetyState {
        guard let bytes = try DurableFile.read(path) else { return SafetyState() }
        let state: SafetyState
        do {
            state = try JSONDecoder().decode(SafetyState.self, from: Data(bytes))
        } catch {
            throw DurableFile.Failure(description: "\(path) is not a kvm-agent state file: \(error)")
        }
        do {
            try state.validate()
        } catch {
            throw StateFileError(path: path, field: error.field, message: error.message)
        }
        return state
    }

    public func save(_ state: SafetyState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.replace(path, with: Array(try encoder.encode(state)))
    }
}
