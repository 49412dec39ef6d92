import Foundation
import KVMCore
import Libvirt
import NIOPosix

@testable import LibvirtHypervisor

/// Hosts for libvirt's test driver. Every connection to a file URI gets its own copy of the host, so two
/// connections to the same file can disagree, which is how the tests tell one connection from another.
enum TestHosts {
    static let demoURI =
        "test://"
        + URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appending(path: "demo/demo-host.xml").path

    /// vm_centos7 in demo/demo-host.xml: running.
    static let centos = DomainRef(uuid: "6a0b7e5c-1f7d-4c52-9a0e-3c1d2b7e0001", name: "vm_centos7")

    /// A host with no domains at all, written to a temporary file: a new hypervisor.
    static func emptyHostURI() throws -> String {
        let xml = """
            <node>
              <cpu><mhz>2400</mhz><model>x86_64</model><active>2</active><nodes>1</nodes><sockets>1</sockets>\
            <cores>2</cores><threads>1</threads></cpu>
              <memory>4194304</memory>
            </node>
            """
        let directory = FileManager.default.temporaryDirectory.appending(
            path: "kvm-agent-libvirt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appending(path: "empty-host.xml")
        try Data(xml.utf8).write(to: file)
        return "test://" + file.path
    }

    /// A hypervisor on its own started pool, with one connection to `uri` installed as both its control and
    /// its stats connection.
    static func hypervisor(on uri: String) throws -> (LibvirtHypervisor, Connection, NIOThreadPool) {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        let hypervisor = LibvirtHypervisor(pool: pool)
        let connection = try Connection(uri: uri)
        hypervisor.install(control: connection, stats: connection, hostCPUs: try connection.hostCPUCount())
        return (hypervisor, connection, pool)
    }
}
