import Foundation
import KVMCore
import Testing

@testable import HostProbe

/// A throwaway directory laid out like the parts of / that HostProbe reads.
private struct FakeRoot {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("hostprobe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func directory(_ relative: String) throws {
        try FileManager.default.createDirectory(
            at: url.appendingPathComponent(relative), withIntermediateDirectories: true)
    }

    func file(_ relative: String, _ contents: String) throws {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: target, atomically: false, encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

@Suite struct FakeTreeTests {
    @Test func readsModulesNestingBridgesAndRejectsFakeDevice() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.file("proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: fpu vmx sse\n")
        try root.directory("sys/module/kvm")
        try root.file("sys/module/kvm_intel/parameters/nested", "Y\n")
        try root.directory("sys/class/net/br0/bridge")
        try root.file("sys/class/net/br0/operstate", "up\n")
        try root.directory("sys/class/net/br1/bridge")
        try root.file("sys/class/net/br1/operstate", "down\n")
        try root.file("sys/class/net/eth0/operstate", "up\n")
        try root.file("dev/kvm", "")

        let capability = HostProbe(root: root.url.path).probe()

        #expect(capability.technology == .vtx)
        #expect(capability.cpuVendor == "GenuineIntel")
        #expect(capability.modulesLoaded == ["kvm": true, "kvm_intel": true, "kvm_amd": false])
        #expect(capability.nestedEnabled)
        #expect(capability.bridges == ["br0": true, "br1": false])
        #expect(!capability.kvmDeviceUsable)
        #expect(capability.kvmAPIVersion == nil)
    }

    @Test func otherLoadedKVMVendorModulesAreListed() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.directory("sys/module/kvm")
        try root.directory("sys/module/kvm_pvm")
        try root.directory("sys/module/irqbypass")

        let capability = HostProbe(root: root.url.path).probe()

        #expect(capability.modulesLoaded == ["kvm": true, "kvm_intel": false, "kvm_amd": false, "kvm_pvm": true])
    }

    @Test func bridgesBehindSymlinksAreFollowed() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.directory("sys/devices/virtual/net/br9/bridge")
        try root.file("sys/devices/virtual/net/br9/operstate", "up\n")
        try root.directory("sys/class/net")
        try FileManager.default.createSymbolicLink(
            atPath: root.url.appendingPathComponent("sys/class/net/br9").path,
            withDestinationPath: "../../devices/virtual/net/br9")

        #expect(HostProbe(root: root.url.path).probe().bridges == ["br9": true])
    }

    @Test func emptyTreeReportsNothing() throws {
        let root = try FakeRoot()
        defer { root.remove() }

        let capability = HostProbe(root: root.url.path).probe()

        #expect(capability.technology == .none)
        #expect(capability.cpuVendor == "unknown")
        #expect(capability.modulesLoaded == ["kvm": false, "kvm_intel": false, "kvm_amd": false])
        #expect(!capability.nestedEnabled)
        #expect(capability.bridges.isEmpty)
        #expect(!capability.kvmDeviceUsable)
        #expect(capability.kvmAPIVersion == nil)
    }

    @Test(arguments: [("Y\n", true), ("y", true), ("1\n", true), ("N\n", false), ("0\n", false), ("", false)])
    func nestedParameterValues(value: String, expected: Bool) {
        #expect(HostProbe.isParameterOn(value) == expected)
    }

    @Test func amdNestedParameterCounts() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.file("sys/module/kvm_amd/parameters/nested", "1\n")

        let capability = HostProbe(root: root.url.path).probe()

        #expect(capability.nestedEnabled)
        #expect(capability.modulesLoaded["kvm_amd"] == true)
    }
}
