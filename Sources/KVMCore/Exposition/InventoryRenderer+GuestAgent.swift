extension InventoryRenderer {
    static let fromGuestAgent =
        " Reported by the QEMU guest agent inside the guest, every --collector.guest-agent.interval; absent when"
        + " the agent is not connected or did not answer."

    /// The guest's own view. The channel state is shown for running domains that have a guest agent channel;
    /// every other family is absent, not zero, unless the agent answered the last round.
    func writeGuestAgent(_ domains: [DomainEntry], into w: inout ExpositionWriter) {
        let active = domains.filter { $0.state.isActive }
        let withChannel = active.filter { $0.guest.channel == .connected || $0.guest.channel == .disconnected }
        let reports = active.compactMap { d in d.guest.report.map { (d, $0) } }
        w.family(
            "kvm_domain_guest_agent_connected", .gauge,
            help: "1 while the domain's QEMU guest agent channel is connected, from libvirt's agent lifecycle events;"
                + " absent for domains without a guest agent channel."
        ) { samples in
            for d in withChannel { samples.add(["domain": d.ref.name], d.guest.channel == .connected) }
        }
        w.family(
            "kvm_domain_guest_agent_timed_out", .gauge,
            help: "1 when the connected guest agent's last round ran past --collector.timeout (or an earlier one is"
                + " still stuck); its guest figures are then absent."
        ) { samples in
            for d in withChannel where d.guest.channel == .connected {
                samples.add(["domain": d.ref.name], d.guest.timedOut)
            }
        }
        w.family(
            "kvm_domain_guest_agent_responsive", .gauge,
            help: "1 when the connected guest agent answered the last round, 0 when it timed out or failed (a hung "
                + "guest keeps its channel connected but stops answering); absent before the first round."
        ) { samples in
            for d in withChannel where d.guest.channel == .connected {
                guard let answered = d.guest.answered else { continue }
                samples.add(["domain": d.ref.name], answered)
            }
        }
        w.family(
            "kvm_domain_guest_agent_timestamp_seconds", .gauge,
            help: "When the guest agent last answered, in seconds since the epoch."
        ) { samples in
            for (d, _) in reports { samples.add(["domain": d.ref.name], d.guest.reportedAt) }
        }
        w.family(
            "kvm_domain_guest_os_info", .gauge,
            help: "The guest's operating system: os-release's ID, NAME, PRETTY_NAME, VERSION, VERSION_ID, and the"
                + " kernel release and machine." + Self.fromGuestAgent
        ) { samples in
            for (d, report) in reports {
                guard let os = report.os else { continue }
                samples.add(
                    [
                        "domain": d.ref.name, "id": os.id, "name": os.name, "pretty_name": os.prettyName,
                        "version": os.version, "version_id": os.versionID, "kernel_release": os.kernelRelease,
                        "machine": os.machine,
                    ], 1)
            }
        }
        w.family("kvm_domain_guest_hostname_info", .gauge, help: "The guest's hostname." + Self.fromGuestAgent) {
            samples in
            for (d, report) in reports {
                guard let hostname = report.hostname else { continue }
                samples.add(["domain": d.ref.name, "hostname": hostname], 1)
            }
        }
        writeGuestFileSystems(reports, into: &w)
        w.family(
            "kvm_domain_guest_interface_address_info", .gauge,
            help: "An address of a guest interface (loopback and IPv6 link-local left out, at most "
                + "\(GuestAgentDecoder.maximumAddresses) per domain)." + Self.fromGuestAgent
        ) { samples in
            for (d, report) in reports {
                for a in report.addresses {
                    samples.add(
                        [
                            "domain": d.ref.name, "interface": a.interface, "family": a.family, "address": a.address,
                            "prefix_length": String(a.prefixLength),
                        ], 1)
                }
            }
        }
    }

    private func writeGuestFileSystems(_ reports: [(DomainEntry, GuestAgentReport)], into w: inout ExpositionWriter) {
        let families: [(String, String, (GuestAgentReport.FileSystem) -> Double?)] = [
            ("kvm_domain_guest_filesystem_size_bytes", "Size of the guest file system, in bytes.", \.totalBytes),
            ("kvm_domain_guest_filesystem_used_bytes", "Bytes used on the guest file system.", \.usedBytes),
        ]
        for (name, help, value) in families {
            w.family(
                name, .gauge,
                help: help + " At most \(GuestAgentDecoder.maximumFileSystems) file systems per domain."
                    + Self.fromGuestAgent
            ) { samples in
                for (d, report) in reports {
                    for fs in report.fileSystems {
                        samples.add(
                            [
                                "domain": d.ref.name, "mountpoint": fs.mountPoint, "fstype": fs.type,
                                "device": fs.device,
                            ],
                            value(fs))
                    }
                }
            }
        }
    }
}
