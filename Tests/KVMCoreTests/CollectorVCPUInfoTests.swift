import Foundation
import Testing

@testable import KVMCore

/// vcpuinfo (`virDomainGetVcpus`, one call per running domain) is read when a domain has none, when a vCPU
/// was pinned or plugged, and every `vcpuinfoInterval`; each vCPU's state and time come from the bulk call
/// every pass.
@Suite struct CollectorVCPUInfoTests {
    let alpha = Fixtures.running("alpha", 1)
    let bravo = Fixtures.running("bravo", 2)

    @Test func readOncePerIntervalWhileStateAndTimeFollowEveryPass() async {
        let h = CollectorHarness([alpha, bravo])
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.vcpuInfo) == 2)
        #expect(h.entry(alpha.ref)?.vcpus == Fixtures.vcpuInfo)

        h.fake.modify(alpha.ref) { domain in
            domain.record["vcpu.0.state"] = .int(2)
            domain.record["vcpu.0.time"] = .uint(9_000_000_000)
        }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.vcpuInfo) == 2, "not due again within the interval")
        let entry = h.entry(alpha.ref)
        #expect(entry?.vcpus == Fixtures.vcpuInfo, "the last vcpuinfo stands")
        #expect(entry?.stats?.vcpus[0]?.state == .blocked)
        #expect(entry?.stats?.vcpus[0]?.timeSeconds == 9)

        let rendered = ParsedExposition(InventoryRenderer().render(h.store.snapshot()).text)
        let vcpu0 = ["domain": "alpha", "vcpu": "0"]
        #expect(rendered.value("kvm_domain_vcpu_state", vcpu0.merging(["state": "blocked"]) { a, _ in a }) == "1")
        #expect(rendered.value("kvm_domain_vcpu_state", vcpu0.merging(["state": "running"]) { a, _ in a }) == "0")
        #expect(rendered.value("kvm_domain_vcpu_time_seconds_total", vcpu0) == "9")
        #expect(rendered.value("kvm_domain_vcpu_physical_cpu", vcpu0) == "3")
    }

    @Test func itIsReadAgainOnceTheIntervalHasPassed() async {
        let h = CollectorHarness([alpha, bravo])
        #expect(await h.collectOnce() == .success)
        // The last read of alpha's vcpuinfo as if a minute ago (the default interval); bravo's is fresh.
        h.store.update { $0.domains[alpha.ref.uuid]?.vcpusSampledAt? -= 60 }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.vcpuInfo, for: alpha.ref) == 2)
        #expect(h.fake.calls(.vcpuInfo, for: bravo.ref) == 1)
        // A clock stepped back: read at once, not when the clock has caught up.
        h.store.update { $0.domains[bravo.ref.uuid]?.vcpusSampledAt? += 3600 }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.vcpuInfo, for: bravo.ref) == 2)
    }

    /// A restart (stopped, then started events) while a pass reads vcpuinfo from the old qemu process: what
    /// that read publishes is not taken as current, and the next pass reads it again.
    @Test func aRestartDuringAReadMakesItDueAgain() async {
        let h = CollectorHarness([alpha])
        #expect(await h.collectOnce() == .success)
        h.store.update { $0.domains[alpha.ref.uuid]?.vcpusSampledAt? -= 60 }
        h.fake.beforeVCPUInfo {
            for kind in [LifecycleEvent.Kind.stopped, .started] {
                h.store.applyLifecycle(
                    LifecycleEvent(
                        domain: alpha.ref, kindCode: kind.rawValue, detailCode: 0, time: Date().timeIntervalSince1970))
            }
        }
        #expect(await h.collectOnce() == .success)
        #expect(h.entry(alpha.ref)?.vcpusStale == true, "read before the restart")
        h.fake.beforeVCPUInfo {}
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.vcpuInfo) == 3)
        #expect(h.entry(alpha.ref)?.vcpusStale == false)
    }

    @Test func aZeroIntervalReadsItEveryPass() async {
        let h = CollectorHarness([alpha, bravo]) { $0.vcpuinfoInterval = .zero }
        for _ in 1...3 { #expect(await h.collectOnce() == .success) }
        #expect(h.fake.calls(.vcpuInfo) == 6)
    }

    @Test func aPinningEventMakesItDueAgainForThatDomainOnly() async {
        let h = CollectorHarness([alpha, bravo])
        #expect(await h.collectOnce() == .success)
        let pinned = [
            VCPUInfo(number: 0, state: .running, cpuTimeSeconds: 5, physicalCPU: 1, affinity: [1]),
            Fixtures.vcpuInfo[1],
        ]
        h.fake.modify(alpha.ref) { $0.vcpus = pinned }

        h.store.applyDomainEvent(DomainEvent(domain: alpha.ref, kind: .tunable(vcpuPinning: false), time: 1))
        #expect(h.entry(alpha.ref)?.vcpusStale == false, "a tuning change that pinned no vCPU")
        h.store.applyDomainEvent(DomainEvent(domain: alpha.ref, kind: .tunable(vcpuPinning: true), time: 2))
        #expect(h.entry(alpha.ref)?.vcpusStale == true)

        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.vcpuInfo, for: alpha.ref) == 2)
        #expect(h.fake.calls(.vcpuInfo, for: bravo.ref) == 1)
        #expect(h.entry(alpha.ref)?.vcpus == pinned)
        #expect(h.entry(alpha.ref)?.vcpusStale == false)
    }

    @Test func withTheCollectorOffAPinningIsNotAskedAboutAgain() async {
        let h = CollectorHarness([alpha]) { $0.collectors.remove(.vcpuinfo) }
        #expect(await h.collectOnce() == .success)
        h.store.applyDomainEvent(DomainEvent(domain: alpha.ref, kind: .tunable(vcpuPinning: true), time: 1))
        #expect(await h.collectOnce() == .success)
        #expect(h.entry(alpha.ref)?.vcpusStale == false)
        #expect(h.fake.calls(.vcpuInfo) == 0)
    }

    @Test func aPluggedVCPUMakesItDue() async {
        let h = CollectorHarness([alpha])
        #expect(await h.collectOnce() == .success)
        h.fake.modify(alpha.ref) { domain in
            domain.record["vcpu.current"] = .uint(3)
            domain.record["vcpu.maximum"] = .uint(3)
            domain.record["vcpu.2.state"] = .int(1)
            domain.record["vcpu.2.time"] = .uint(1_000_000_000)
            domain.vcpus.append(VCPUInfo(number: 2, state: .running, cpuTimeSeconds: 1, physicalCPU: 0, affinity: [0]))
        }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.vcpuInfo) == 2)
        #expect(h.entry(alpha.ref)?.vcpus.map(\.number) == [0, 1, 2])
    }

    @Test func aDomainStartedAgainIsReadAtOnce() async {
        let h = CollectorHarness([alpha])
        #expect(await h.collectOnce() == .success)
        h.store.update { $0.domains[alpha.ref.uuid]?.dropSamples() }
        #expect(await h.collectOnce() == .success)
        #expect(h.fake.calls(.vcpuInfo) == 2, "samples dropped (stopped, failed, libvirt lost): read again")
    }
}
