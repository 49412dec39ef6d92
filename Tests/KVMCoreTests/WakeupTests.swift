import Testing

@testable import KVMCore

@Suite struct WakeupTests {
    @Test func signalBeforeWaitIsKeptOnce() async {
        let wakeup = Wakeup()
        wakeup.signal()
        // The kept signal ends the first wait at once; the second runs into its (short) timeout.
        let first: Void? = await within(.seconds(5)) { await wakeup.wait(upTo: .seconds(60)) }
        #expect(first != nil)
        let started = ContinuousClock.now
        await wakeup.wait(upTo: .milliseconds(200))
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }

    @Test func aTimeoutLeavesNothingPending() async {
        let wakeup = Wakeup()
        await wakeup.wait(upTo: .milliseconds(10))
        // Had the timeout left a signal behind, this wait would return before its 200 ms.
        let started = ContinuousClock.now
        await wakeup.wait(upTo: .milliseconds(200))
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }

    @Test func cancellationEndsTheWait() async {
        let wakeup = Wakeup()
        let waiter = Task { await wakeup.wait(upTo: .seconds(3600)) }
        waiter.cancel()
        let ended: Void? = await within(.seconds(5)) { await waiter.value }
        #expect(ended != nil)
    }

    @Test func signalWakesAWaiter() async {
        let wakeup = Wakeup()
        let waiter = Task { await wakeup.wait(upTo: .seconds(3600)) }
        // Signals until the waiter has registered and returned; each is kept at most once.
        let ended = await within(.seconds(5)) {
            while true {
                wakeup.signal()
                if await within(.milliseconds(50), { await waiter.value }) != nil { return true }
            }
        }
        #expect(ended == true)
    }
}
