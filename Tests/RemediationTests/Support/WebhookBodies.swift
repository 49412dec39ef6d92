/// Notification bodies built from parts, so each decoding test changes exactly one thing.
enum WebhookBodies {
    static let labels = #"{"alertname": "KVMDomainNotRunning", "domain": "vm_centos7", "instance": "kvm01:9760"}"#

    /// One alert object; `nil` for a field leaves it out.
    static func alert(
        status: String? = #""firing""#, labels: String? = labels, startsAt: String? = #""2026-11-26T10:15:02Z""#,
        fingerprint: String? = #""6a3c1f0d9b2e4c7a""#, extra: String = ""
    ) -> String {
        var fields: [String] = []
        if let status { fields.append(#""status": \#(status)"#) }
        if let labels { fields.append(#""labels": \#(labels)"#) }
        if let startsAt { fields.append(#""startsAt": \#(startsAt)"#) }
        if let fingerprint { fields.append(#""fingerprint": \#(fingerprint)"#) }
        if !extra.isEmpty { fields.append(extra) }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// A whole notification; `nil` for a field leaves it out.
    static func body(
        version: String? = #""4""#, status: String? = #""firing""#, alerts: String? = "[\(alert())]",
        truncatedAlerts: String? = "0", extra: String = ""
    ) -> String {
        var fields: [String] = [#""receiver": "kvm-agent""#, #""groupKey": "{}:{}""#]
        if let version { fields.append(#""version": \#(version)"#) }
        if let status { fields.append(#""status": \#(status)"#) }
        if let alerts { fields.append(#""alerts": \#(alerts)"#) }
        if let truncatedAlerts { fields.append(#""truncatedAlerts": \#(truncatedAlerts)"#) }
        if !extra.isEmpty { fields.append(extra) }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
