import Glibc
import Logging
import Testing

@testable import Systemd

@Suite struct JournalLogHandlerTests {
    @Test(arguments: [
        ("domain", "DOMAIN"), ("action", "ACTION"), ("alert_fingerprint", "ALERT_FINGERPRINT"),
        ("http.status", "HTTP_STATUS"), ("Request-ID", "REQUEST_ID"), ("vcpu0", "VCPU0"),
        ("_pid", "KVM__PID"), ("9lives", "KVM_9LIVES"), ("", "KVM_"), ("état", "KVM__TAT"),
        ("message", "KVM_MESSAGE"), ("priority", "KVM_PRIORITY"), ("logger", "KVM_LOGGER"),
    ])
    func metadataKeysBecomeJournalFieldNames(key: String, expected: String) {
        #expect(JournalLogHandler.fieldName(forMetadataKey: key) == expected)
    }

    @Test func fieldNamesAreCutTo64Bytes() {
        let name = JournalLogHandler.fieldName(forMetadataKey: String(repeating: "k", count: 100))
        #expect(name == String(repeating: "K", count: 64))
    }

    @Test func recordCarriesMessageLevelSourceAndMetadata() {
        let fields = JournalLogHandler.fields(
            level: .warning, message: "restart failed\nsecond line", metadata: ["domain": "web1", "action": "reset"],
            label: "kvm-agent.remediation", identifier: "kvm-agent", file: "Remediation/Engine.swift",
            function: "run()", line: 42, error: "timed out")
        let expected: [(String, String)] = [
            ("MESSAGE", "restart failed\nsecond line"), ("PRIORITY", "4"), ("SYSLOG_IDENTIFIER", "kvm-agent"),
            ("CODE_FILE", "Remediation/Engine.swift"), ("CODE_LINE", "42"), ("CODE_FUNC", "run()"),
            ("LOGGER", "kvm-agent.remediation"), ("ERROR", "timed out"), ("ACTION", "reset"), ("DOMAIN", "web1"),
        ]
        #expect(fields.map(\.name) == expected.map(\.0))
        #expect(fields.map(\.value) == expected.map(\.1))
    }

    @Test func metadataValuesRenderLikeOtherHandlers() {
        let fields = JournalLogHandler.fields(
            level: .info, message: "m", metadata: ["hosts": ["a", "b"], "labels": ["k": "v"]], label: "l",
            identifier: "i", file: "f", function: "g", line: 1)
        #expect(!fields.contains { $0.name == "ERROR" })
        #expect(fields.first { $0.name == "HOSTS" }?.value == #"["a", "b"]"#)
        #expect(fields.first { $0.name == "LABELS" }?.value == #"["k": "v"]"#)
    }

    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func levelsMapToSyslogPriorities(level: Logger.Level, priority: Int) {
        #expect(JournalLogHandler.priority(level) == priority)
    }

    @Test func handlerKeepsItsMetadataAndLevel() {
        var handler = JournalLogHandler(label: "kvm-agent", level: .notice)
        handler[metadataKey: "host"] = "hv1"
        #expect(handler.metadata == ["host": "hv1"])
        #expect(handler[metadataKey: "host"] == "hv1")
        #expect(handler.logLevel == .notice)
        #expect(handler.identifier == "kvm-agent")
    }

    /// libsystemd answers 0 both when the journal took the record and when there is no journal socket at all
    /// (it drops the record silently), and -EINVAL for an entry that is not `NAME=value`: this checks the iovec
    /// marshalling reaches it intact in both directions.
    @Test func sendingReportsTheJournalsAnswer() {
        #expect(JournalLogHandler.send([("MESSAGE", "kvm-agent SystemdTests probe"), ("PRIORITY", "7")]) == 0)
        #expect(JournalLogHandler.send([("MESSAGE", "ok"), ("", "no field name")]) == -EINVAL)
    }
}
