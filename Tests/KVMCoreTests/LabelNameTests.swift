import Testing

@testable import KVMCore

/// The label values these enums give are spelled out by hand (reflection was too slow for the render path);
/// they must stay what the case names said before, which is what dashboards and alert rules match on.
@Suite struct LabelNameTests {
    private func spelledAsCases<E: CaseIterable>(_: E.Type, _ name: (E) -> String) -> [String] {
        E.allCases.compactMap { name($0) == String(describing: $0) ? nil : "\($0) is named \(name($0))" }
    }

    @Test func domainStates() {
        #expect(spelledAsCases(DomainState.self, \.name).isEmpty)
    }

    @Test func vcpuStates() {
        #expect(spelledAsCases(VCPUInfo.State.self, \.name).isEmpty)
    }

    @Test func storagePoolStates() {
        #expect(spelledAsCases(StoragePoolState.self, \.name).isEmpty)
    }

    @Test func lifecycleEventKinds() {
        #expect(spelledAsCases(LifecycleEvent.Kind.self, \.name).isEmpty)
        #expect(
            LifecycleEvent(domain: DomainRef(uuid: "u", name: "a"), kindCode: 99, detailCode: 0, time: 0).eventName
                == "unknown")
    }
}
