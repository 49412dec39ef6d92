import CLibvirt
import Glibc
import KVMCore
import Libvirt
import LibvirtHypervisor
import Testing

/// A failed connect is told apart as the operator needs it: libvirt refusing the agent's user (access must be
/// granted) or libvirt not there. The errors are the ones libvirt 9 and 11 were seen to raise, by number.
@Suite struct ConnectionFailureTests {
    static func kind(code: Int32, domain: Int, errno: Int32? = nil) -> ConnectionFailure.Kind {
        let error = LibvirtError(
            code: .init(rawValue: code), domain: domain, message: "m", operation: "virConnectOpen",
            systemErrno: errno)
        return ConnectionFailure(connecting: error, user: "kvm-agent").kind
    }

    @Test func theNumbersAreLibvirts() {
        #expect(LibvirtError.Code.authFailed.rawValue == 45)
        #expect(LibvirtError.Code.accessDenied.rawValue == 88)
        #expect(LibvirtError.Code.authUnavailable.rawValue == 94)
        #expect(LibvirtError.Code.authCancelled.rawValue == Int32(VIR_ERR_AUTH_CANCELLED.rawValue))
        #expect(LibvirtError.Code.authCancelled.rawValue == 79)
        #expect(LibvirtError.Code.systemError.rawValue == 38)
        #expect(LibvirtError.Origin.rpc == 7)
        #expect(LibvirtError.Origin.dbus == 47)
        #expect(LibvirtError.Origin.accessControl == 55)
        #expect(LibvirtError.Origin.polkit == 60)
    }

    @Test func refusalsArePermission() {
        // "authentication unavailable: no polkit agent available to authenticate action
        // 'org.libvirt.unix.manage'": the user is in no group or rule polkit knows (issue 15).
        #expect(Self.kind(code: 94, domain: 60) == .permissionDenied)
        #expect(Self.kind(code: 45, domain: 60) == .permissionDenied, "polkit said no")
        #expect(Self.kind(code: 79, domain: 60) == .permissionDenied, "polkit's dialog dismissed")
        #expect(Self.kind(code: 88, domain: 55) == .permissionDenied, "an access-control driver refused")
        #expect(Self.kind(code: 1, domain: 60) == .permissionDenied, "any other polkit failure")
        // "Failed to connect socket to '/run/libvirt/libvirt-sock': Permission denied": the socket's mode.
        #expect(Self.kind(code: 38, domain: 7, errno: EACCES) == .permissionDenied)
        #expect(Self.kind(code: 38, domain: 7, errno: EPERM) == .permissionDenied)
        // "internal error: Unable to get system bus connection: Could not connect: No such file or
        // directory": libvirtd cannot ask polkit about an unprivileged client, so it cannot let it in.
        #expect(Self.kind(code: 1, domain: 47) == .permissionDenied)
    }

    @Test func everythingElseIsUnreachable() {
        #expect(Self.kind(code: 38, domain: 7, errno: ENOENT) == .unreachable, "socket missing")
        #expect(Self.kind(code: 38, domain: 7, errno: ECONNREFUSED) == .unreachable, "daemon stopped")
        #expect(Self.kind(code: 38, domain: 7) == .unreachable, "a system error without an errno")
        #expect(Self.kind(code: 5, domain: 13) == .unreachable, "no connect")
        #expect(Self.kind(code: 1, domain: 7) == .unreachable, "an internal error of the RPC layer")
        #expect(Self.kind(code: 27, domain: 12) == .unreachable, "the test driver's host file is broken")
        // Not libvirt's: the connect deadline, for instance.
        struct Silence: Error, CustomStringConvertible {
            var description: String { "connect did not answer within 10 s" }
        }
        #expect(ConnectionFailure(connecting: Silence(), user: "kvm-agent").kind == .unreachable)
        #expect(
            ConnectionFailure(connecting: Silence(), user: "kvm-agent").reason == "connect did not answer within 10 s")
    }

    /// The errno comes from libvirt itself, not only from the tests' numbers.
    @Test func aMissingSocketIsAnUnreachableSystemErrorWithItsErrno() throws {
        try LibvirtEventLoop.start()
        let uri = "qemu+unix:///system?socket=/nonexistent-kvm-agent-test/libvirt-sock"
        let error = try #require(throws: LibvirtError.self) { try Connection(uri: uri) }
        #expect(error.code == .systemError)
        #expect(error.systemErrno == ENOENT)
        #expect(error.domain == LibvirtError.Origin.rpc)
        let failure = ConnectionFailure(connecting: error, user: "kvm-agent")
        #expect(failure.kind == .unreachable)
        #expect(failure.reason.contains("/nonexistent-kvm-agent-test/libvirt-sock"), "\(failure.reason)")
        #expect(!failure.reason.contains("virConnectOpen"), "libvirt's words, without the agent's wrapping")
    }

    @Test func otherErrorsCarryNoErrno() throws {
        let error = try #require(throws: LibvirtError.self) { try Connection(uri: "test:///nonexistent/host.xml") }
        #expect(error.code != .systemError)
        #expect(error.systemErrno == nil)
    }
}
