import Logging

/// One message the engine logged, with its metadata rendered.
struct LoggedMessage: Sendable, Equatable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]
}

/// Keeps every message in an `Observed` list, so tests can wait for the engine to log something: the
/// outcome line is logged after the audit record is written, which makes it the last sign of a finished action.
struct RecordingLogHandler: LogHandler {
    let sink: Observed<[LoggedMessage]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let entry = LoggedMessage(
            level: event.level, message: event.message.description,
            metadata: (event.metadata ?? [:]).mapValues(\.description))
        sink.update { $0.append(entry) }
    }
}
