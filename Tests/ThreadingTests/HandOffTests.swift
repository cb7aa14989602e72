import Foundation
import Threading
import XCTest

/// Stands for a single-owner object (a hash, a cipher): mutable, and not Sendable.
private final class Tally {
    var values: [Int] = []
}

final class HandOffTests: XCTestCase {
    func testAValueMovesToAnotherThreadAndBackAsTheSameObjectWithWhatWasDoneThere() {
        let tally = Tally()
        tally.values.append(1)
        let returned = ConditionLock<HandOff<Tally>?>(nil)
        let outgoing = HandOff(tally)
        Thread {
            let mine = outgoing.take()
            mine.values.append(2)
            returned.change { $0 = HandOff(mine) }
        }.start()
        let back = returned.wait(until: { $0 != nil }, then: { $0.take()! }).take()
        XCTAssertTrue(back === tally)
        back.values.append(3)
        XCTAssertEqual(back.values, [1, 2, 3])
    }

    func testEachOfManyValuesReachesItsReceiverOnce() {
        let received = ConditionLock<[Int]>([])
        for index in 0..<64 {
            let tally = Tally()
            tally.values = [index]
            let handOff = HandOff(tally)
            Thread { received.change { $0 += handOff.take().values } }.start()
        }
        received.wait(until: { $0.count == 64 }, then: { _ in })
        XCTAssertEqual(received.withLock { $0.sorted() }, Array(0..<64))
    }
}
