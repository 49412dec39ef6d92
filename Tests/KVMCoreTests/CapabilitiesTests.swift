import Testing

@testable import KVMCore

@Suite struct CapabilitiesTests {
    static func capabilities(hostArch: String) -> String {
        """
        <capabilities>
          <host>
            <uuid>3a1b2c3d-0000-0000-0000-000000000001</uuid>
            <cpu>
              <arch>\(hostArch)</arch>
              <model>Skylake-Client-IBRS</model>
              <vendor>Intel</vendor>
              <topology sockets='1' dies='1' cores='4' threads='2'/>
              <feature name='vmx'/>
            </cpu>
            <power_management><suspend_mem/></power_management>
          </host>
          <guest>
            <os_type>hvm</os_type>
            <arch name='i686'>
              <wordsize>32</wordsize>
              <emulator>/usr/bin/qemu-system-i386</emulator>
              <machine maxCpus='255'>pc-i440fx-8.2</machine>
              <domain type='qemu'/>
              <domain type='kvm'/>
            </arch>
            <features><pae/><nonpae/></features>
          </guest>
          <guest>
            <os_type>hvm</os_type>
            <arch name='x86_64'>
              <wordsize>64</wordsize>
              <emulator>/usr/bin/qemu-system-x86_64</emulator>
              <machine maxCpus='288'>pc-q35-8.2</machine>
              <domain type='qemu'/>
              <domain type='kvm'/>
            </arch>
          </guest>
          <guest>
            <os_type>hvm</os_type>
            <arch name='aarch64'>
              <wordsize>64</wordsize>
              <emulator>/usr/bin/qemu-system-aarch64</emulator>
              <machine maxCpus='512'>virt-8.2</machine>
              <domain type='qemu'/>
            </arch>
          </guest>
        </capabilities>
        """
    }

    @Test func x86HostOffersKVMAndQEMU() {
        #expect(Capabilities.domainTypes(xml: Self.capabilities(hostArch: "x86_64")) == ["kvm", "qemu"])
    }

    @Test func onlyTheHostArchitectureCounts() {
        #expect(Capabilities.domainTypes(xml: Self.capabilities(hostArch: "aarch64")) == ["qemu"])
        #expect(Capabilities.domainTypes(xml: Self.capabilities(hostArch: "s390x")).isEmpty)
    }

    @Test func unreadableCapabilitiesGiveNoTypes() {
        #expect(Capabilities.domainTypes(xml: "<capabilities><host>").isEmpty)
        #expect(Capabilities.domainTypes(xml: "").isEmpty)
    }
}
