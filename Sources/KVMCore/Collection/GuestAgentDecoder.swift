import Foundation
import LibXML

/// Turns what libvirt relays from a guest agent into a `GuestAgentReport`. Everything here comes from inside
/// the guest, so it is bounded: a guest cannot make the agent export more than a few dozen series.
public struct GuestAgentDecoder: Sendable {
    /// File systems kept per domain (a container host can mount hundreds of overlays).
    public static let maximumFileSystems = 32
    /// Addresses kept per domain.
    public static let maximumAddresses = 16
    /// `fs.count` values above this are not believed.
    static let maximumFileSystemCount = 4096

    public init() {}

    /// `params` are `virDomainGetGuestInfo`'s (os, hostname, filesystem types); `interfaces` the agent's
    /// interface listing, nil when that call failed.
    public func decode(_ params: [String: StatValue], interfaces: [GuestInterfaceAddresses]?) -> GuestAgentReport {
        var report = GuestAgentReport()
        report.os = decodeOS(params)
        report.hostname = params["hostname"]?.text
        report.fileSystems = decodeFileSystems(params)
        report.addresses = decodeAddresses(interfaces ?? [])
        return report
    }

    private func decodeOS(_ params: [String: StatValue]) -> GuestAgentReport.OS? {
        guard params.keys.contains(where: { $0.hasPrefix("os.") }) else { return nil }
        var os = GuestAgentReport.OS()
        os.id = params["os.id"]?.text ?? ""
        os.name = params["os.name"]?.text ?? ""
        os.prettyName = params["os.pretty-name"]?.text ?? ""
        os.version = params["os.version"]?.text ?? ""
        os.versionID = params["os.version-id"]?.text ?? ""
        os.kernelRelease = params["os.kernel-release"]?.text ?? ""
        os.machine = params["os.machine"]?.text ?? ""
        return os
    }

    private func decodeFileSystems(_ params: [String: StatValue]) -> [GuestAgentReport.FileSystem] {
        guard let count = params["fs.count"]?.number, count.isFinite, count >= 0 else { return [] }
        var result: [GuestAgentReport.FileSystem] = []
        var seen = Set<String>()
        for index in 0..<Int(min(count, Double(Self.maximumFileSystemCount))) {
            guard result.count < Self.maximumFileSystems else { break }
            let prefix = "fs.\(index)."
            // A mount point listed twice (bind mounts) would be two series with the same labels.
            guard let mountPoint = params[prefix + "mountpoint"]?.text, seen.insert(mountPoint).inserted else {
                continue
            }
            result.append(
                GuestAgentReport.FileSystem(
                    mountPoint: mountPoint, type: params[prefix + "fstype"]?.text ?? "",
                    device: params[prefix + "name"]?.text ?? "",
                    totalBytes: Self.bytes(params[prefix + "total-bytes"]),
                    usedBytes: Self.bytes(params[prefix + "used-bytes"])))
        }
        return result.sorted { $0.mountPoint < $1.mountPoint }
    }

    private static func bytes(_ value: StatValue?) -> Double? {
        guard let number = value?.number, number.isFinite, number >= 0 else { return nil }
        return number
    }

    /// Loopback and IPv6 link-local addresses are left out: every guest has them and they say nothing.
    private func decodeAddresses(_ interfaces: [GuestInterfaceAddresses]) -> [GuestAgentReport.Address] {
        var result: [GuestAgentReport.Address] = []
        var seen = Set<String>()
        for interface in interfaces {
            for address in interface.addresses where !Self.isLocal(address) {
                guard seen.insert(interface.name + " " + address.address).inserted else { continue }
                result.append(
                    GuestAgentReport.Address(
                        interface: interface.name, family: address.isIPv6 ? "ipv6" : "ipv4", address: address.address,
                        prefixLength: address.prefixLength))
            }
        }
        return Array(result.sorted().prefix(Self.maximumAddresses))
    }

    static func isLocal(_ address: GuestInterfaceAddresses.Address) -> Bool {
        let text = address.address.lowercased()
        if address.isIPv6 {
            return text == "::1" || text.hasPrefix("fe8") || text.hasPrefix("fe9") || text.hasPrefix("fea")
                || text.hasPrefix("feb")
        }
        return text.hasPrefix("127.")
    }

    /// The guest agent channel's state in a running domain's live XML: `<channel type='unix'><target
    /// type='virtio' name='org.qemu.guest_agent.0' state='connected'/>`. `.absent` without such a channel.
    public func channel(domainXML xml: String) throws -> GuestAgentChannel {
        let root = try XMLTree.parse(xml)
        guard root.localName == "domain" else { return .absent }
        let targets = (root.child("devices")?.children("channel") ?? []).flatMap { $0.children("target") }
        guard
            let target = targets.first(where: {
                $0.attr("type") == "virtio" && $0.attr("name") == "org.qemu.guest_agent.0"
            })
        else { return .absent }
        return target.attr("state") == "connected" ? .connected : .disconnected
    }
}
