import Glibc
import KVMCore
import Libvirt

extension ConnectionFailure {
    /// Sorts a failed attempt to connect: libvirt refusing `user` (see `LibvirtError.refusesAccess`), or
    /// anything else (daemon down, socket missing, the connect deadline) as unreachable.
    public init(connecting error: any Error, user: String) {
        if let error = error as? LibvirtError {
            self.init(kind: error.refusesAccess ? .permissionDenied : .unreachable, reason: error.message, user: user)
        } else {
            self.init(kind: .unreachable, reason: "\(error)", user: user)
        }
    }

    /// The name of the user the process runs as (the effective one, which libvirt checks), or its number.
    public static let processUser: String = {
        let uid = geteuid()
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, let found = result,
            let name = found.pointee.pw_name
        else { return "uid \(uid)" }
        return String(cString: name)
    }()
}
