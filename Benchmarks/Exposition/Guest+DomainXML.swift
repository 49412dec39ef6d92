import KVMCore

extension Guest {
    static let bridges = ["br0", "br-backend", "br-storage"]

    /// The definition as `virsh dumpxml` prints it, trimmed to what the agent reads. The config is parsed
    /// from it because that is the only public way to a `DomainConfig` with disks and interfaces.
    var domainXML: String {
        var devices: [String] = disks.map { disk in
            """
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='\(image(disk))'/>
                  <target dev='\(disk)' bus='virtio'/>
                </disk>
            """
        }
        if hasCDROM {
            devices.append(
                """
                    <disk type='file' device='cdrom'>
                      <target dev='hdc' bus='ide'/>
                      <readonly/>
                    </disk>
                """)
        }
        for interface in 0..<interfaces {
            let tapLine = tap(interface).map { "\n      <target dev='\($0)'/>" } ?? ""
            devices.append(
                """
                    <interface type='bridge'>
                      <mac address='\(mac(interface))'/>
                      <source bridge='\(Self.bridges[interface])'/>\(tapLine)
                      <model type='virtio'/>
                    </interface>
                """)
        }
        return """
            <domain type='kvm'>
              <name>\(name)</name>
              <uuid>\(uuid)</uuid>
              <metadata>
                <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>
                  <libosinfo:os id='http://debian.org/debian/12'/>
                </libosinfo:libosinfo>
              </metadata>
              <memory unit='KiB'>\(memoryKiB)</memory>
              <vcpu placement='static'>\(vcpus)</vcpu>
              <os>
                <type arch='x86_64' machine='pc-q35-8.2'>hvm</type>
              </os>
              <devices>
            \(devices.joined(separator: "\n"))
              </devices>
            </domain>
            """
    }

    func config() throws -> DomainConfig {
        try DomainConfig(xml: domainXML, persistent: true, autostart: running)
    }
}
