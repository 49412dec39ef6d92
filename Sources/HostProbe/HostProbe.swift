import Foundation
import KVMCore

/// Reads what the host can virtualise from /proc, /sys and /dev/kvm under a filesystem root.
public struct HostProbe: Sendable {
    /// Prefix for every absolute path read, so tests can point the probe at a fake tree.
    let root: String

    static let moduleNames = ["kvm", "kvm_intel", "kvm_amd"]

    public init(root: String = "/") {
        self.root = root
    }

    public func probe() -> HostCapability {
        let cpu = Self.parseCPUInfo(readText("proc/cpuinfo") ?? "")
        let apiVersion = kvmAPIVersion(devicePath: path("dev/kvm"))
        return HostCapability(
            technology: cpu.technology,
            cpuVendor: cpu.vendor,
            kvmDeviceUsable: apiVersion == kvmStableAPIVersion,
            kvmAPIVersion: apiVersion,
            modulesLoaded: loadedModules(),
            nestedEnabled: nestedEnabled(),
            bridges: bridges()
        )
    }

    /// The three usual modules, loaded or not, plus any other loaded `kvm_*` vendor module (such as
    /// kvm_pvm on some cloud hosts), which is what makes /dev/kvm work there.
    private func loadedModules() -> [String: Bool] {
        var result: [String: Bool] = [:]
        for name in Self.moduleNames {
            result[name] = FileManager.default.fileExists(atPath: path("sys/module/\(name)"))
        }
        let loaded = (try? FileManager.default.contentsOfDirectory(atPath: path("sys/module"))) ?? []
        for name in loaded where name.hasPrefix("kvm_") {
            result[name] = true
        }
        return result
    }

    private func nestedEnabled() -> Bool {
        ["kvm_intel", "kvm_amd"].contains { module in
            guard let value = readText("sys/module/\(module)/parameters/nested") else { return false }
            return Self.isParameterOn(value)
        }
    }

    /// The kernel prints boolean module parameters as Y/N, but kvm_amd's `nested` is an int and prints 1/0.
    static func isParameterOn(_ value: String) -> Bool {
        ["Y", "y", "1"].contains(value.trimmingBlanks())
    }

    private func bridges() -> [String: Bool] {
        let net = path("sys/class/net")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: net) else { return [:] }
        var result: [String: Bool] = [:]
        for name in names {
            // fileExists follows symlinks, which the entries of the real /sys/class/net are.
            var isDirectory: ObjCBool = false
            let bridgeDir = "\(net)/\(name)/bridge"
            guard FileManager.default.fileExists(atPath: bridgeDir, isDirectory: &isDirectory), isDirectory.boolValue
            else { continue }
            let state = readText("sys/class/net/\(name)/operstate")?.trimmingBlanks()
            result[name] = state == "up"
        }
        return result
    }

    private func path(_ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    private func readText(_ relative: String) -> String? {
        try? String(contentsOfFile: path(relative), encoding: .utf8)
    }
}
