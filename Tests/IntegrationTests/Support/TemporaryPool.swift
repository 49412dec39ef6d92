import Foundation
import Libvirt
import Testing

/// A `dir` storage pool in a directory of its own on the real libvirtd, defined and started; `remove()`
/// stops and undefines it and deletes the directory, whatever state it was left in.
struct TemporaryPool {
    let name: String
    let directory: URL

    init(purpose: String, on connection: Connection) throws {
        name = "kvmagent-it-\(purpose)-\(getpid())"
        directory = FileManager.default.temporaryDirectory.appending(path: name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // One left behind by a killed earlier run of the same process id would make the definition fail.
        Self.remove(name, on: connection)
        let pool = try connection.defineStoragePool(xml: xml)
        try pool.create()
    }

    var xml: String {
        "<pool type='dir'><name>\(name)</name><target><path>\(directory.path)</path></target></pool>"
    }

    func remove() {
        if let connection = try? RealLibvirtd.connect() { Self.remove(name, on: connection) }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func remove(_ name: String, on connection: Connection) {
        guard let pool = try? connection.storagePool(name: name) else { return }
        try? pool.destroy()
        try? pool.undefine()
    }
}
