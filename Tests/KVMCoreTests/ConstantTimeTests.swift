import KVMCore
import Testing

@Suite struct ConstantTimeTests {
    @Test func comparesEveryLength() {
        #expect(ConstantTime.equal([], []))
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equal([1, 2], [1, 2, 0]))
        #expect(!ConstantTime.equal(Array(repeating: 0, count: 256), []))
        #expect(!ConstantTime.equal([], [0]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([0x80], [0x00]))
    }
}
