/// The Alertmanager webhook samples from the shared reference, copied so the suite runs anywhere.
enum SampleNotifications {
    /// A firing KVMDomainNotRunning for vm_centos7 on kvm01.
    static let firing = #"""
        {
          "receiver": "kvm-agent",
          "status": "firing",
          "alerts": [
            {
              "status": "firing",
              "labels": {
                "alertname": "KVMDomainNotRunning",
                "domain": "vm_centos7",
                "instance": "kvm01.example.net:9760",
                "job": "kvm",
                "severity": "critical"
              },
              "annotations": {
                "summary": "vm_centos7 is shut off but marked autostart"
              },
              "startsAt": "2026-11-26T10:15:02.123Z",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "http://prometheus.example.net:9090/graph?g0.expr=kvm_domain_state",
              "fingerprint": "6a3c1f0d9b2e4c7a"
            }
          ],
          "groupLabels": { "alertname": "KVMDomainNotRunning", "domain": "vm_centos7" },
          "commonLabels": {
            "alertname": "KVMDomainNotRunning",
            "domain": "vm_centos7",
            "instance": "kvm01.example.net:9760",
            "job": "kvm",
            "severity": "critical"
          },
          "commonAnnotations": { "summary": "vm_centos7 is shut off but marked autostart" },
          "externalURL": "http://alertmanager.example.net:9093",
          "version": "4",
          "groupKey": "{}/{remediation=\"start\"}:{alertname=\"KVMDomainNotRunning\", domain=\"vm_centos7\"}",
          "truncatedAlerts": 0
        }
        """#

    /// Two KVMDomainHung alerts on kvm02, one resolved, with `truncatedAlerts` and `notification_reason`.
    static let groupTruncated = #"""
        {
          "receiver": "kvm-agent",
          "status": "firing",
          "alerts": [
            {
              "status": "firing",
              "labels": {
                "alertname": "KVMDomainHung",
                "domain": "db01",
                "instance": "kvm02.example.net:9760",
                "action": "shutdown"
              },
              "annotations": {},
              "startsAt": "2026-11-26T11:00:00Z",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "",
              "fingerprint": "0f1e2d3c4b5a6978"
            },
            {
              "status": "resolved",
              "labels": {
                "alertname": "KVMDomainHung",
                "domain": "db02",
                "instance": "kvm02.example.net:9760",
                "action": "shutdown"
              },
              "annotations": {},
              "startsAt": "2026-11-26T10:50:00Z",
              "endsAt": "2026-11-26T10:59:00Z",
              "generatorURL": "",
              "fingerprint": "1122334455667788"
            }
          ],
          "groupLabels": { "alertname": "KVMDomainHung" },
          "commonLabels": { "alertname": "KVMDomainHung", "instance": "kvm02.example.net:9760", "action": "shutdown" },
          "commonAnnotations": {},
          "externalURL": "http://alertmanager.example.net:9093",
          "version": "4",
          "groupKey": "{}:{alertname=\"KVMDomainHung\"}",
          "truncatedAlerts": 3,
          "notification_reason": "new alerts added"
        }
        """#

    /// The firing sample, resolved.
    static let resolved = #"""
        {
          "receiver": "kvm-agent",
          "status": "resolved",
          "alerts": [
            {
              "status": "resolved",
              "labels": {
                "alertname": "KVMDomainNotRunning",
                "domain": "vm_centos7",
                "instance": "kvm01.example.net:9760",
                "job": "kvm",
                "severity": "critical"
              },
              "annotations": { "summary": "vm_centos7 is shut off but marked autostart" },
              "startsAt": "2026-11-26T10:15:02.123Z",
              "endsAt": "2026-11-26T10:16:32.123Z",
              "generatorURL": "http://prometheus.example.net:9090/graph?g0.expr=kvm_domain_state",
              "fingerprint": "6a3c1f0d9b2e4c7a"
            }
          ],
          "groupLabels": { "alertname": "KVMDomainNotRunning", "domain": "vm_centos7" },
          "commonLabels": {
            "alertname": "KVMDomainNotRunning",
            "domain": "vm_centos7",
            "instance": "kvm01.example.net:9760",
            "job": "kvm",
            "severity": "critical"
          },
          "commonAnnotations": { "summary": "vm_centos7 is shut off but marked autostart" },
          "externalURL": "http://alertmanager.example.net:9093",
          "version": "4",
          "groupKey": "{}/{remediation=\"start\"}:{alertname=\"KVMDomainNotRunning\", domain=\"vm_centos7\"}",
          "truncatedAlerts": 0
        }
        """#

    static let all = [firing, groupTruncated, resolved]
}
