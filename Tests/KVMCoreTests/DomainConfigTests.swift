import Testing

@testable import KVMCore

@Suite struct DomainConfigTests {
    /// A running guest's live XML as virt-install and the qemu driver write it.
    static let liveXML = """
        <domain type='kvm' id='3'>
          <name>web-01</name>
          <uuid>6f3c0a0e-8d2b-4a57-9a56-3c1f5f1e2b11</uuid>
          <metadata>
            <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
              <libosinfo:os id="http://centos.org/centos/7.0"/>
            </libosinfo:libosinfo>
          </metadata>
          <memory unit='KiB'>4194304</memory>
          <currentMemory unit='KiB'>2097152</currentMemory>
          <vcpu placement='static'>4</vcpu>
          <resource>
            <partition>/machine</partition>
          </resource>
          <os>
            <type arch='x86_64' machine='pc-q35-rhel8.6.0'>hvm</type>
            <boot dev='hd'/>
          </os>
          <features><acpi/><apic/></features>
          <cpu mode='host-passthrough' check='none' migratable='on'/>
          <clock offset='utc'/>
          <on_poweroff>destroy</on_poweroff>
          <devices>
            <emulator>/usr/libexec/qemu-kvm</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='/var/lib/libvirt/images/web-01.qcow2' index='2'/>
              <backingStore/>
              <target dev='vda' bus='virtio'/>
              <alias name='virtio-disk0'/>
              <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
            </disk>
            <disk type='block' device='disk'>
              <driver name='qemu' type='raw' cache='none' io='native'/>
              <source dev='/dev/vg0/web-01-data' index='1'/>
              <target dev='vdb' bus='virtio'/>
            </disk>
            <disk type='file' device='cdrom'>
              <driver name='qemu' type='raw'/>
              <target dev='sda' bus='sata'/>
              <readonly/>
              <alias name='sata0-0-0'/>
            </disk>
            <interface type='bridge'>
              <mac address='52:54:00:6b:3c:58'/>
              <source bridge='br0'/>
              <target dev='vnet0'/>
              <model type='virtio'/>
              <alias name='net0'/>
            </interface>
            <interface type='network'>
              <mac address='52:54:00:aa:bb:cc'/>
              <source network='default'/>
              <target dev='vnet1'/>
              <model type='e1000e'/>
            </interface>
            <console type='pty' tty='/dev/pts/1'/>
          </devices>
        </domain>
        """

    @Test func readsOSAndLibosinfoVariant() throws {
        let config = try DomainConfig(xml: Self.liveXML, persistent: true, autostart: true)
        #expect(config.osType == "hvm")
        #expect(config.arch == "x86_64")
        #expect(config.osVariant == "http://centos.org/centos/7.0")
        #expect(config.vcpusMaximum == 4)
        #expect(config.persistent)
        #expect(config.autostart)
    }

    @Test func memoryHonoursItsUnit() throws {
        let config = try DomainConfig(xml: Self.liveXML, persistent: true, autostart: false)
        #expect(config.memoryMaximumBytes == 4_294_967_296)
        let sized = { (memory: String) in
            try DomainConfig(
                xml: "<domain type='kvm'><name>m</name>\(memory)</domain>", persistent: false, autostart: false
            )
            .memoryMaximumBytes
        }
        #expect(try sized("<memory unit='GiB'>2</memory>") == 2_147_483_648)
        #expect(try sized("<memory unit='MiB'>512</memory>") == 536_870_912)
        #expect(try sized("<memory unit='MB'>512</memory>") == 512_000_000)
        #expect(try sized("<memory unit='bytes'>1000</memory>") == 1000)
        #expect(try sized("<memory>1024</memory>") == 1_048_576, "no unit means KiB")
        #expect(try sized("") == nil)
    }

    @Test func disksKeepTargetBusSourceAndDeviceKind() throws {
        let config = try DomainConfig(xml: Self.liveXML, persistent: true, autostart: false)
        #expect(config.disks.map(\.target) == ["vda", "vdb", "sda"])
        #expect(config.disks.map(\.bus) == ["virtio", "virtio", "sata"])
        #expect(config.disks.map(\.source) == ["/var/lib/libvirt/images/web-01.qcow2", "/dev/vg0/web-01-data", ""])
        #expect(config.disks.map(\.device) == ["disk", "disk", "cdrom"])
    }

    @Test func interfacesKeepTargetMacBridgeModelAndType() throws {
        let config = try DomainConfig(xml: Self.liveXML, persistent: true, autostart: false)
        #expect(config.interfaces.count == 2)
        let bridged = config.interfaces[0]
        #expect(bridged.target == "vnet0")
        #expect(bridged.mac == "52:54:00:6b:3c:58")
        #expect(bridged.bridge == "br0")
        #expect(bridged.model == "virtio")
        #expect(bridged.type == "bridge")
        let network = config.interfaces[1]
        #expect(network.target == "vnet1")
        #expect(network.bridge == "default")
        #expect(network.model == "e1000e")
        #expect(network.type == "network")
    }

    @Test func inactiveDefinitionHasNoTargetsOrVariant() throws {
        let xml = """
            <domain type='kvm'>
              <name>idle</name>
              <memory unit='KiB'>1048576</memory>
              <vcpu>1</vcpu>
              <os><type arch='aarch64' machine='virt'>hvm</type></os>
              <devices>
                <disk type='network' device='disk'>
                  <source protocol='rbd' name='pool/idle-disk'/>
                  <target dev='sdb' bus='scsi'/>
                </disk>
                <disk type='file' device='disk'><source file='/x.img'/></disk>
                <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>
              </devices>
            </domain>
            """
        let config = try DomainConfig(xml: xml, persistent: true, autostart: false)
        #expect(config.osVariant == "")
        #expect(config.arch == "aarch64")
        #expect(config.disks.map(\.source) == ["pool/idle-disk"], "a disk without target is skipped")
        #expect(config.interfaces.map(\.target) == [nil])
        #expect(config.interfaces.first?.bridge == "default")
    }

    /// A definition written by hand may put a figure on a line of its own; libvirt's own output never does.
    @Test func figuresMayHaveBlanksAroundThem() throws {
        let xml = """
            <domain type='kvm'>
              <name>spaced</name>
              <memory unit='MiB'>
                512
              </memory>
              <vcpu current=' 1 '>\t2&#13;\n</vcpu>
              <devices><memballoon model='virtio'><stats period=' 5 '/></memballoon></devices>
            </domain>
            """
        let config = try DomainConfig(xml: xml, persistent: true, autostart: false)
        #expect(config.memoryMaximumBytes == 536_870_912)
        #expect(config.vcpusMaximum == 2)
        #expect(config.vcpusCurrent == 1)
        #expect(config.memoryStatsPeriodSeconds == 5)
    }

    @Test func unreadableXMLThrows() {
        for xml in ["", "\u{0}<domain/>", "not xml at all", "<network><name>default</name></network>"] {
            #expect(throws: DomainConfig.ParseError.self, "\(xml.debugDescription)") {
                try DomainConfig(xml: xml, persistent: true, autostart: false)
            }
        }
    }

    /// The error says once what did not parse and why.
    @Test func parseErrorsSayWhatAndWhy() {
        let messages = [
            ("", "domain XML does not parse: empty document"), ("<pool/>", "domain XML has no <domain> root"),
        ]
        for (xml, message) in messages {
            #expect(throws: DomainConfig.ParseError(description: message)) {
                try DomainConfig(xml: xml, persistent: true, autostart: false)
            }
        }
        #expect {
            try StoragePoolEntry.definition(xml: "<pool>")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("storage pool XML does not parse: ") && !text.contains("parse: XML")
        }
    }

    /// Malformed documents are refused (XMLParser does not repair them, as XMLDocument on Linux did).
    @Test func malformedXMLThrows() throws {
        try expectThrows("<domain type='kvm'><name>broken</name><devices><disk device='disk'>")
        try expectThrows("<domain><name>broken</domain>")
    }

    private func expectThrows(_ xml: String) throws {
        #expect(throws: DomainConfig.ParseError.self, "\(xml)") {
            try DomainConfig(xml: xml, persistent: true, autostart: false)
        }
    }
}
