import Foundation
import KVMCore
import Testing

@testable import HostProbe

/// Checks against the machine running the tests, using independent reads of the same files.
@Suite struct RealHostTests {
    @Test func technologyMatchesCPUFlags() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(
            cpuinfo.components(separatedBy: "\n")
                .filter { $0.hasPrefix("flags") }
                .flatMap { $0.components(separatedBy: .whitespaces) })
        let expected: HostCapability.Technology =
            flags.contains("vmx") ? .vtx : flags.contains("svm") ? .amdv : .none

        let capability = HostProbe().probe()

        #expect(capability.technology == expected)
        let vendorLine = cpuinfo.components(separatedBy: "\n").first { $0.hasPrefix("vendor_id") }
        let vendor = vendorLine?.components(separatedBy: ":").last?.trimmingCharacters(in: .whitespaces)
        #expect(capability.cpuVendor == vendor ?? "unknown")
    }

    @Test func modulesMatchSysModule() {
        let capability = HostProbe().probe()

        let otherVendorModules = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/module")) ?? [])
            .filter { $0.hasPrefix("kvm_") }
        #expect(Set(capability.modulesLoaded.keys) == Set(["kvm", "kvm_intel", "kvm_amd"] + otherVendorModules))
        for (name, loaded) in capability.modulesLoaded {
            #expect(loaded == FileManager.default.fileExists(atPath: "/sys/module/\(name)"), "module \(name)")
        }
    }

    @Test func kvmUsableExactlyWhenAPIVersionIsTwelve() {
        let capability = HostProbe().probe()

        #expect(capability.kvmDeviceUsable == (capability.kvmAPIVersion == 12))
        let accessible =
            FileManager.default.isReadableFile(atPath: "/dev/kvm")
            && FileManager.default.isWritableFile(atPath: "/dev/kvm")
        // An accessible character device must answer the ioctl; an absent or locked one must not report a version.
        #expect((capability.kvmAPIVersion != nil) == accessible)
    }

    @Test func processSampleDescribesThisTestProcess() throws {
        let sample = try #require(ProcessProbe().sample())
        let now = Date().timeIntervalSince1970

        #expect(sample.residentMemoryBytes > 1_048_576)
        #expect(sample.virtualMemoryBytes >= sample.residentMemoryBytes)
        #expect(sample.openFDs >= 3)
        if let maxFDs = sample.maxFDs { #expect(maxFDs >= sample.openFDs) }
        #expect(sample.startTimeSeconds <= now + 1)
        #expect(sample.startTimeSeconds > now - 86_400)
        #expect(sample.cpuSeconds >= 0)
    }
}
