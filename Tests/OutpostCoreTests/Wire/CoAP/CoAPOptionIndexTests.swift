import OutpostCore
import XCTest

/// The parsing pass's option index (`CoAPMessage.firstOption`) agrees with a walk over the options.
final class CoAPOptionIndexTests: XCTestCase {
    static let registered: [UInt16] = [1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39, 60, 258]

    func testIndexedFirstOptionEqualsTheWalkOnRandomMessages() throws {
        var random = SystemRandomNumberGenerator()
        // Registered numbers, repeats of them, and unregistered ones around them.
        let pool: [UInt16] = CoAPOptionIndexTests.registered + [2, 9, 13, 100, 257, 259, 2048, 65000]
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...8, using: &random)
            var options: [CoAPTestOption] = []
            for _ in 0..<count {
                let number = pool.randomElement(using: &random)!
                let length = Int.random(in: 0...3, using: &random)
                options.append(CoAPTestOption(number: number, value: (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }))
            }
            options.sort { $0.number < $1.number }
            let message = CoAPTestMessage(type: .nonConfirmable, code: .post, messageID: 1, token: [], options: options, payload: [1])
            try withCoAPMessage(try message.build()) { parsed in
                for number in pool {
                    let indexed = parsed.firstOption(CoAPOptionNumber(rawValue: number)).map { Array($0.value) }
                    let walked = parsed.scannedFirstOption(CoAPOptionNumber(rawValue: number)).map { Array($0.value) }
                    let expected = options.first { $0.number == number }?.value
                    XCTAssertEqual(indexed, walked, "option \(number) in \(options)")
                    XCTAssertEqual(indexed, expected, "option \(number) in \(options)")
                    var all = parsed.options(CoAPOptionNumber(rawValue: number))
                    var values: [[UInt8]] = []
                    while let option = all.next() { values.append(Array(option.value)) }
                    XCTAssertEqual(values, options.filter { $0.number == number }.map(\.value), "repeats of \(number)")
                }
            }
        }
    }
}
