import Glibc

/// `_IO(KVMIO, 0x00)` from <linux/kvm.h>; the C macro is not importable into Swift.
private let kvmGetAPIVersion: UInt = 0xAE00

/// The API version the kernel has promised since Linux 2.6.22; anything else is an incompatible KVM.
let kvmStableAPIVersion = 12

/// Asks the KVM device at `path` for its API version; nil when it cannot be opened or does not answer.
///
/// Opening read-write matches what a hypervisor needs, so a device only readable by this user reports unusable.
func kvmAPIVersion(devicePath path: String) -> Int? {
    let fd = open(path, O_RDWR | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    let version = ioctl(fd, kvmGetAPIVersion)
    return version < 0 ? nil : Int(version)
}
