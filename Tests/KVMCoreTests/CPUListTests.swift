import Testing

@testable import KVMCore

@Suite struct CPUListTests {
    @Test func consecutiveCPUsBecomeRanges() {
        #expect(CPUList.format([0, 1, 2, 3, 8]) == "0-3,8")
        #expect(CPUList.format([0, 2, 4]) == "0,2,4")
        #expect(CPUList.format([5]) == "5")
        #expect(CPUList.format([0, 1, 4, 5, 6, 9, 10]) == "0-1,4-6,9-10")
    }

    @Test func emptyListIsEmptyString() {
        #expect(CPUList.format([]) == "")
    }

    @Test func unsortedInputWithDuplicatesIsNormalised() {
        #expect(CPUList.format([8, 3, 1, 2, 0, 3, 8, 1]) == "0-3,8")
        #expect(CPUList.format([7, 7, 7]) == "7")
    }
}
