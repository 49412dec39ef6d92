import Foundation
import Libvirt
import Testing

/// A real libvirtd on this machine (started by scripts/libvirtd-up.sh). CI sets
/// KVM_AGENT_REQUIRE_LIBVIRTD=1 so that these tests fail rather than skip when it is missing.
enum RealLibvirtd {
    static let uri = "qemu:///system"
    static let required = ProcessInfo.processInfo.environment["KVM_AGENT_REQUIRE_LIBVIRTD"] == "1"
    static var enabled: Bool {
        required || (getuid() == 0 && FileManager.default.fileExists(atPath: "/run/libvirt/libvirt-sock"))
    }

    static func connect() throws -> Connection { try Connection(uri: uri) }

    /// Runs scripts/libvirtd-up.sh, which starts virtlogd and libvirtd if they are not running.
    static func ensureUp() throws {
        let result = try run("/bin/bash", [Repo.root.appending(path: "scripts/libvirtd-up.sh").path])
        try #require(result.status == 0, "libvirtd-up.sh failed: \(result.output)")
    }

    static func qemuPID(_ domain: String) throws -> pid_t {
        let text = try String(contentsOfFile: "/run/libvirt/qemu/\(domain).pid", encoding: .utf8)
        return try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}

/// A test guest defined from the scripts in scripts/guests, removed again by `remove()`.
struct Guest {
    enum Kind: String {
        /// Boots to a halted vCPU; ignores ACPI shutdown.
        case halted = "halted-guest.sh"
        /// A Linux kernel and busybox that power off on ACPI shutdown.
        case linux = "linux-guest.sh"
        /// Reports a panic (pvpanic) at once and is kept crashed but active (`on_crash` preserve).
        case panicking = "panicking-guest.sh"
    }

    let name: String
    let kind: Kind
    let xml: String
    static let imageDirectory = "/var/lib/libvirt/images/kvm-agent"

    init(_ kind: Kind, purpose: String) throws {
        self.kind = kind
        name = "kvmagent-it-\(purpose)-\(getpid())"
        let script = Repo.root.appending(path: "scripts/guests/\(kind.rawValue)").path
        let result = try run("/bin/bash", [script, name])
        try #require(result.status == 0, "\(kind.rawValue) failed: \(result.output)")
        // The scripts print progress on stderr, which run() merges: keep the XML only.
        let start = try #require(result.output.range(of: "<domain"))
        xml = String(result.output[start.lowerBound...])
    }

    @discardableResult
    func define(on connection: Connection) throws -> Domain {
        try connection.define(xml: xml)
    }

    var consoleLog: String { "\(Self.imageDirectory)/\(name).console.log" }

    /// Destroys and undefines the domain and removes its files; errors are ignored, it may be gone already.
    func remove() {
        if let connection = try? RealLibvirtd.connect(), let domain = try? connection.domain(name: name) {
            try? domain.destroy()
            try? domain.undefine()
        }
        for suffix in [".img", ".console.log"] {
            try? FileManager.default.removeItem(atPath: "\(Self.imageDirectory)/\(name)\(suffix)")
        }
    }

    /// Waits until the Linux guest has printed its ready line (acpid listening).
    func waitUntilBooted(within deadline: Duration = .seconds(90)) async throws -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if let log = try? String(contentsOfFile: consoleLog, encoding: .utf8), log.contains("KVM-AGENT-GUEST-READY")
            {
                return true
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}
