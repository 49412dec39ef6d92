import Foundation

/// An Alertmanager webhook notification (payload version 4) with every field Alertmanager sends,
/// including those the agent skips: the decoder has to read past them too.
struct Notification: Encodable {
    struct Alert: Encodable {
        var status: String
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        var endsAt: String
        var generatorURL: String
        var fingerprint: String
    }

    var receiver = "kvm-agent"
    var status: String
    var alerts: [Alert]
    var groupLabels: [String: String]
    var commonLabels: [String: String]
    var commonAnnotations: [String: String]
    var externalURL = "http://alertmanager.example.net:9093"
    var version = "4"
    var groupKey: String
    var truncatedAlerts = 0

    /// The request body. Sorted keys keep it byte-identical from run to run, whatever the hash seed.
    func body() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
