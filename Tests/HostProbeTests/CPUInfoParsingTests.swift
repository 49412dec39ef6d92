import KVMCore
import Testing

@testable import HostProbe

@Suite struct CPUInfoParsingTests {
    @Test func intelWithVMXIsVTx() {
        let text = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz
            flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic vmx smx est tm2 ssse3

            processor\t: 1
            vendor_id\t: GenuineIntel
            flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic vmx smx est tm2 ssse3
            vmx flags\t: vnmi preemption_timer posted_intr invvpid ept_x_only ept_ad
            """
        let result = HostProbe.parseCPUInfo(text)
        #expect(result.technology == .vtx)
        #expect(result.vendor == "GenuineIntel")
    }

    @Test func amdWithSVMIsAMDV() {
        let text = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            cpu family\t: 25
            flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr svm extapic cr8_legacy abm
            """
        let result = HostProbe.parseCPUInfo(text)
        #expect(result.technology == .amdv)
        #expect(result.vendor == "AuthenticAMD")
    }

    @Test func neitherFlagIsNone() {
        let text = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep hypervisor lahf_lm
            """
        let result = HostProbe.parseCPUInfo(text)
        #expect(result.technology == .none)
        #expect(result.vendor == "GenuineIntel")
    }

    @Test func flagsMatchAsWholeWordsOnly() {
        let text = """
            vendor_id\t: GenuineIntel
            flags\t\t: fpu vmx_foo svm2 xsvm avx512f
            """
        #expect(HostProbe.parseCPUInfo(text).technology == .none)
    }

    @Test func missingVendorIsUnknown() {
        let result = HostProbe.parseCPUInfo("processor\t: 0\nflags\t\t: fpu svm\n")
        #expect(result.vendor == "unknown")
        #expect(result.technology == .amdv)
    }
}
