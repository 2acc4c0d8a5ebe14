import OutpostCore
import XCTest

/// The request parser on whole, split and refused requests (RFC 9112).
final class HTTPRequestParserTests: XCTestCase {
    let limits = HTTPLimits(targetBytes: 64, headBytes: 512, headerLines: 8, bodyBytes: 128)

    func parse(_ text: String) -> HTTPParseOutcome {
        Array(text.utf8).withUnsafeBytes { HTTPRequestParser.parse($0, limits: limits) }
    }

    func request(_ text: String) throws -> (HTTPRequest, [UInt8]) {
        guard case .complete(let r) = parse(text) else { throw XCTSkip("not complete: \(parse(text))") }
        return (r, Array(text.utf8))
    }

    func testGetWithQueryAndKeepAlive() throws {
        let (r, bytes) = try request("GET /api/sensors?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(r.method, .get)
        XCTAssertEqual(String(decoding: bytes.withUnsafeBytes { Array(r.path(in: $0)) }, as: UTF8.self), "/api/sensors")
        XCTAssertTrue(r.keepAlive)
        XCTAssertEqual(r.length, bytes.count)
    }

    func testPostBodyAuthorizationAndClose() throws {
        let text = "POST /api/sensors/a/command HTTP/1.1\r\nauthorization:  Bearer t0k  \r\nCONTENT-LENGTH: 5\r\nConnection: Close\r\n\r\nhello"
        let (r, bytes) = try request(text)
        XCTAssertEqual(r.method, .post)
        XCTAssertFalse(r.keepAlive)
        bytes.withUnsafeBytes {
            XCTAssertEqual(Array(r.authorization(in: $0)), Array("Bearer t0k".utf8))
            XCTAssertEqual(Array(r.body(in: $0)), Array("hello".utf8))
        }
    }

    func testHTTP10KeepsAliveOnlyWhenAsked() throws {
        XCTAssertFalse(try request("GET / HTTP/1.0\r\n\r\n").0.keepAlive)
        XCTAssertTrue(try request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").0.keepAlive)
    }

    func testBareLineFeedsAndLeadingEmptyLines() throws {
        let (r, bytes) = try request("\r\n\nHEAD /x HTTP/1.1\nA: b\n\n")
        XCTAssertEqual(r.method, .head)
        XCTAssertEqual(r.length, bytes.count)
    }

    func testEverySplitPointIsIncompleteUntilTheLastByte() {
        let text = Array("POST /p HTTP/1.1\r\nContent-Length: 3\r\nX: y\r\n\r\nabc".utf8)
        for cut in 1..<text.count {
            let outcome = Array(text[0..<cut]).withUnsafeBytes { HTTPRequestParser.parse($0, limits: limits) }
            XCTAssertEqual(outcome, .incomplete, "cut at \(cut)")
        }
        guard case .complete = text.withUnsafeBytes({ HTTPRequestParser.parse($0, limits: limits) }) else { return XCTFail() }
    }

    func testRefusals() {
        XCTAssertEqual(parse("GARBAGE\r\n\r\n"), .failed(.malformedRequestLine))
        XCTAssertEqual(parse("GET  / HTTP/1.1\r\n\r\n"), .failed(.malformedRequestLine))
        XCTAssertEqual(parse("GET http://x/ HTTP/1.1\r\n\r\n"), .failed(.badTarget))
        XCTAssertEqual(parse("GET / HTTP/2.0\r\n\r\n"), .failed(.versionNotSupported))
        XCTAssertEqual(parse("GET / HTTQ/1.1\r\n\r\n"), .failed(.malformedRequestLine))
        XCTAssertEqual(parse("GET /" + String(repeating: "a", count: 70) + " HTTP/1.1\r\n\r\n"), .failed(.targetTooLong))
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), .failed(.malformedHeader))
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), .failed(.malformedHeader))
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), .failed(.malformedHeader))
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nA: b\u{1}c\r\n\r\n"), .failed(.malformedHeader))
        XCTAssertEqual(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), .failed(.badContentLength))
        XCTAssertEqual(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), .failed(.badContentLength))
        XCTAssertEqual(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), .failed(.transferEncodingUnsupported))
        XCTAssertEqual(parse("POST / HTTP/1.1\r\nContent-Length: 129\r\n\r\n"), .failed(.bodyTooLarge))
        let many = (0..<9).map { "H\($0): v\r\n" }.joined()
        XCTAssertEqual(parse("GET / HTTP/1.1\r\n" + many + "\r\n"), .failed(.headersTooLarge))
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nX: " + String(repeating: "z", count: 600)), .failed(.headersTooLarge))
        // Refused before the request line ends: an overlong target, a bad method byte.
        XCTAssertEqual(parse("GET /" + String(repeating: "a", count: 70)), .failed(.targetTooLong))
        XCTAssertEqual(parse("G{T"), .failed(.malformedRequestLine))
    }

    func testStatusesOfTheErrors() {
        XCTAssertEqual(HTTPParseError.targetTooLong.status, 414)
        XCTAssertEqual(HTTPParseError.headersTooLarge.status, 431)
        XCTAssertEqual(HTTPParseError.bodyTooLarge.status, 413)
        XCTAssertEqual(HTTPParseError.versionNotSupported.status, 505)
        XCTAssertEqual(HTTPParseError.malformedHeader.status, 400)
    }
}
