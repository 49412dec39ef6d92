extension Notification {
    /// One notification for an alert group of `size` domains on one host, the shape a remediation route
    /// groups by (alertname). One alert in ten has resolved already, as happens while a group is open.
    static func group(size: Int) -> Notification {
        let alertname = "KVMDomainNotRunning"
        let instance = "kvm01.example.net:9760"
        let alerts = (0..<size).map { index in
            let domain = "vm-\(index)"
            let resolved = index % 10 == 9
            let minute = 10 + index % 50
            return Alert(
                status: resolved ? "resolved" : "firing",
                labels: [
                    "alertname": alertname, "domain": domain, "instance": instance, "job": "kvm",
                    "severity": "critical",
                ],
                annotations: ["summary": "\(domain) is shut off but marked autostart"],
                startsAt: "2026-11-26T10:\(minute):02.\(100 + index % 900)Z",
                endsAt: resolved ? "2026-11-26T11:\(minute):32.5Z" : "0001-01-01T00:00:00Z",
                generatorURL: "http://prometheus.example.net:9090/graph?g0.expr=kvm_domain_state",
                fingerprint: fingerprint(index))
        }
        let common = ["alertname": alertname, "instance": instance, "job": "kvm", "severity": "critical"]
        return Notification(
            status: alerts.contains { $0.status == "firing" } ? "firing" : "resolved",
            alerts: alerts,
            groupLabels: ["alertname": alertname],
            commonLabels: size == 1 ? alerts[0].labels : common,
            commonAnnotations: size == 1 ? alerts[0].annotations : [:],
            groupKey: "{}/{remediation=\"start\"}:{alertname=\"\(alertname)\"}")
    }

    /// Sixteen hex digits, distinct per alert, like Alertmanager's label-set hash.
    private static func fingerprint(_ index: Int) -> String {
        let digits = String(UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
