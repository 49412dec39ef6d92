import Synchronization
import TestSupport

@testable import KVMCore

/// Guest agents held in memory: each domain has a channel state (what its live XML says) and an answer, or
/// none (the agent fails). Answers and channel reads can be made to hang until the test releases them.
final class FakeGuestAgents: GuestAgentSource {
    struct Failure: Error {}

    private struct State {
        var channels: [String: GuestAgentChannel] = [:]
        var answers: [String: GuestAgentAnswer] = [:]
        var hungAnswers: [String: Gate] = [:]
        var hungChannels: [String: Gate] = [:]
        var answerCalls: [String: Int] = [:]
        var channelCalls: [String: Int] = [:]
    }

    private let state = Mutex(State())

    func set(_ ref: DomainRef, channel: GuestAgentChannel, answer: GuestAgentAnswer? = nil) {
        state.withLock {
            $0.channels[ref.uuid] = channel
            $0.answers[ref.uuid] = answer
        }
    }

    func hangAnswers(_ ref: DomainRef) { state.withLock { $0.hungAnswers[ref.uuid] = Gate() } }
    func releaseAnswers(_ ref: DomainRef) { state.withLock { $0.hungAnswers.removeValue(forKey: ref.uuid) }?.open() }
    func hangChannel(_ ref: DomainRef) { state.withLock { $0.hungChannels[ref.uuid] = Gate() } }
    func releaseChannel(_ ref: DomainRef) {
        state.withLock { $0.hungChannels.removeValue(forKey: ref.uuid) }?.open()
    }

    func answerCalls(_ ref: DomainRef) -> Int { state.withLock { $0.answerCalls[ref.uuid] ?? 0 } }
    func channelCalls(_ ref: DomainRef) -> Int { state.withLock { $0.channelCalls[ref.uuid] ?? 0 } }

    func guestAgentChannel(_ domain: DomainRef) async throws -> GuestAgentChannel {
        let gate = state.withLock { state -> Gate? in
            state.channelCalls[domain.uuid, default: 0] += 1
            return state.hungChannels[domain.uuid]
        }
        await gate?.wait()
        return state.withLock { $0.channels[domain.uuid] ?? .absent }
    }

    func guestAgentAnswer(_ domain: DomainRef) async throws -> GuestAgentAnswer {
        let gate = state.withLock { state -> Gate? in
            state.answerCalls[domain.uuid, default: 0] += 1
            return state.hungAnswers[domain.uuid]
        }
        await gate?.wait()
        guard let answer = state.withLock({ $0.answers[domain.uuid] }) else { throw Failure() }
        return answer
    }
}

extension Fixtures {
    /// What libvirt relays from a Linux guest's agent: two file systems, loopback, a NIC with IPv4, global
    /// and link-local IPv6.
    static let guestAnswer = GuestAgentAnswer(
        info: [
            "os.id": .string("debian"), "os.name": .string("Debian GNU/Linux"),
            "os.pretty-name": .string("Debian GNU/Linux 12 (bookworm)"), "os.version": .string("12 (bookworm)"),
            "os.version-id": .string("12"), "os.kernel-release": .string("6.1.0-56-cloud-amd64"),
            "os.machine": .string("x86_64"), "hostname": .string("web01.example.org"), "fs.count": .uint(2),
            "fs.0.mountpoint": .string("/"), "fs.0.name": .string("vda1"), "fs.0.fstype": .string("ext4"),
            "fs.0.total-bytes": .uint(20_000_000_000), "fs.0.used-bytes": .uint(19_000_000_000),
            "fs.1.mountpoint": .string("/boot/efi"), "fs.1.name": .string("vda15"), "fs.1.fstype": .string("vfat"),
            "fs.1.total-bytes": .uint(130_000_000), "fs.1.used-bytes": .uint(12_000_000),
        ],
        interfaces: [
            GuestInterfaceAddresses(
                name: "lo",
                addresses: [
                    .init(isIPv6: false, address: "127.0.0.1", prefixLength: 8),
                    .init(isIPv6: true, address: "::1", prefixLength: 128),
                ]),
            GuestInterfaceAddresses(
                name: "eth0",
                addresses: [
                    .init(isIPv6: false, address: "192.0.2.10", prefixLength: 24),
                    .init(isIPv6: true, address: "2001:db8::10", prefixLength: 64),
                    .init(isIPv6: true, address: "fe80::5054:ff:fe12:3456", prefixLength: 64),
                ]),
        ])
}
