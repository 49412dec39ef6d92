@testable import Remediation

/// Alerts and notifications as Alertmanager would send them about this test host.
enum Alerts {
    static let startsAt = "2026-11-26T10:15:02.123Z"
    static let thisHost = "kvm01.example.net:9760"

    static func firing(
        _ alertname: String = "KVMDomainNotRunning", domain: String? = "vm_centos7", instance: String? = thisHost,
        fingerprint: String = "6a3c1f0d9b2e4c7a", startsAt: String = startsAt, labels extra: [String: String] = [:]
    ) -> Alert {
        var labels = extra
        labels["alertname"] = alertname
        labels["domain"] = domain
        labels["instance"] = instance
        return Alert(status: .firing, labels: labels, startsAt: startsAt, fingerprint: fingerprint)
    }

    static func resolved(_ alert: Alert) -> Alert {
        var resolved = alert
        resolved.status = .resolved
        return resolved
    }

    static func message(_ alerts: Alert...) -> WebhookMessage {
        message(alerts)
    }

    static func message(_ alerts: [Alert]) -> WebhookMessage {
        WebhookMessage(
            receiver: "kvm-agent", groupKey: "{}:{alertname=\"test\"}",
            status: alerts.contains { $0.status == .firing } ? .firing : .resolved, truncatedAlerts: 0, alerts: alerts)
    }
}
