/// Reads one HTTP/1.1 request (RFC 9112) from the start of a connection's input, without copying:
/// the request line, the header lines the server needs (`Content-Length`, `Transfer-Encoding`,
/// `Connection`, `Authorization`), and a `Content-Length` body.
///
/// The parser keeps no state between calls: the connection calls it again on everything it has
/// whenever more bytes arrive. That costs O(head bytes) per read, bounded by `HTTPLimits.headBytes`
/// (a few KiB), and makes a request split at any byte read exactly like one that came whole.
/// Anything outside the limits is refused as soon as it is seen, not when the rest arrives, so a
/// client cannot make the server wait for bytes it will refuse anyway.
///
/// Line ends are CRLF; a bare LF is accepted too (RFC 9112 §2.2). Up to four empty lines before
/// the request line are skipped (§2.2: clients may send a CRLF after a POST body).
public enum HTTPRequestParser {
    /// Longest method, separators and version around the target on a request line; also the
    /// longest method token taken (no method of ours comes near it).
    static var requestLineOverheadBytes: Int { 32 }

    /// Parses the request at the start of `input`.
    /// - Complexity: O(min(input.count, limits.headBytes)), plus nothing for the body.
    public static func parse(_ input: UnsafeRawBufferPointer, limits: HTTPLimits) -> HTTPParseOutcome {
        var start = 0
        // Bounded: at most four empty lines are skipped.
        for _ in 0..<4 {
            if start < input.count && input[start] == 0x0A {
                start += 1
            } else if start + 1 < input.count && input[start] == 0x0D && input[start + 1] == 0x0A {
                start += 2
            } else {
                break
            }
        }
        // A CR as the last byte may be the start of one more empty line: wait for its LF.
        if start + 1 == input.count && input[start] == 0x0D { return .incomplete }
        let headLimit = min(input.count, start + limits.headBytes)
        guard let lineEnd = lineFeed(input, from: start, to: headLimit) else {
            return unfinishedRequestLine(input, start: start, limits: limits)
        }
        var request = HTTPRequest()
        if let error = requestLine(input, start: start, end: contentEnd(input, start: start, lineFeed: lineEnd), limits: limits, into: &request) {
            return .failed(error)
        }
        var position = lineEnd + 1
        var lines = 0
        var contentLength: Int? = nil
        var keepAliveAsked = false
        var closeAsked = false
        // Bounded by the head limit: every pass consumes one line.
        while true {
            guard let end = lineFeed(input, from: position, to: headLimit) else {
                return input.count - start >= limits.headBytes ? .failed(.headersTooLarge) : .incomplete
            }
            let contentEnd = contentEnd(input, start: position, lineFeed: end)
            if contentEnd == position {
                position = end + 1
                break
            }
            lines += 1
            if lines > limits.headerLines { return .failed(.headersTooLarge) }
            // obs-fold (a line starting with white space) is refused (RFC 9112 §5.2).
            if input[position] == 0x20 || input[position] == 0x09 { return .failed(.malformedHeader) }
            var colon = position
            while colon < contentEnd && input[colon] != 0x3A { colon += 1 }
            if colon == contentEnd || colon == position { return .failed(.malformedHeader) }
            for i in position..<colon where !isTokenByte(input[i]) { return .failed(.malformedHeader) }
            let name = UnsafeRawBufferPointer(rebasing: input[position..<colon])
            var valueStart = colon + 1
            var valueEnd = contentEnd
            while valueStart < valueEnd && (input[valueStart] == 0x20 || input[valueStart] == 0x09) { valueStart += 1 }
            while valueEnd > valueStart && (input[valueEnd - 1] == 0x20 || input[valueEnd - 1] == 0x09) { valueEnd -= 1 }
            for i in valueStart..<valueEnd where input[i] < 0x20 && input[i] != 0x09 { return .failed(.malformedHeader) }
            let value = UnsafeRawBufferPointer(rebasing: input[valueStart..<valueEnd])
            if equalsIgnoringCase(name, "content-length") {
                guard let length = decimal(value) else { return .failed(.badContentLength) }
                if let previous = contentLength, previous != length { return .failed(.badContentLength) }
                contentLength = length
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                return .failed(.transferEncodingUnsupported)
            } else if equalsIgnoringCase(name, "connection") {
                if containsToken(value, "close") { closeAsked = true }
                if containsToken(value, "keep-alive") { keepAliveAsked = true }
            } else if equalsIgnoringCase(name, "authorization") {
                request.authorizationStart = valueStart
                request.authorizationCount = valueEnd - valueStart
            } else if equalsIgnoringCase(name, "content-type") {
                request.contentTypeStart = valueStart
                request.contentTypeCount = valueEnd - valueStart
            }
            position = end + 1
        }
        request.keepAlive = !closeAsked && (request.minorVersion == 1 || keepAliveAsked)
        let length = contentLength ?? 0
        if length > limits.bodyBytes { return .failed(.bodyTooLarge) }
        request.bodyStart = position
        request.bodyCount = length
        // The empty lines skipped before the request line are part of what it consumes.
        if input.count - position < length { return .incomplete }
        return .complete(request)
    }

    /// A request line still without its end: refused already when its target or the head is
    /// over the limit, or its method is not a token.
    static func unfinishedRequestLine(_ input: UnsafeRawBufferPointer, start: Int, limits: HTTPLimits) -> HTTPParseOutcome {
        var i = start
        while i < input.count && input[i] != 0x20 {
            if !isTokenByte(input[i]) { return .failed(.malformedRequestLine) }
            i += 1
        }
        // Checked whether or not the space came: a prefix of a request is refused exactly when
        // the whole request would be.
        if i - start > requestLineOverheadBytes { return .failed(.malformedRequestLine) }
        if i < input.count {
            // The target has started: refused at its first bad byte, or once it is longer than
            // the limit, as `requestLine` would refuse it (with or without its closing space).
            var j = i + 1
            while j < input.count && input[j] != 0x20 {
                if input[j] < 0x20 || input[j] >= 0x7F {
                    // A CR may end the line (CRLF after a missing version): `requestLine` decides.
                    if input[j] == 0x0D && j + 1 == input.count { break }
                    return .failed(.malformedRequestLine)
                }
                j += 1
            }
            if j - (i + 1) > limits.targetBytes { return .failed(.targetTooLong) }
        }
        if input.count - start >= limits.headBytes { return .failed(.headersTooLarge) }
        return .incomplete
    }

    /// Parses `METHOD SP TARGET SP HTTP/d.d` in `input[start..<end]` into `request`.
    static func requestLine(
        _ input: UnsafeRawBufferPointer, start: Int, end: Int, limits: HTTPLimits, into request: inout HTTPRequest
    ) -> HTTPParseError? {
        var i = start
        while i < end && input[i] != 0x20 {
            if !isTokenByte(input[i]) { return .malformedRequestLine }
            i += 1
        }
        if i == start || i == end || i - start > requestLineOverheadBytes { return .malformedRequestLine }
        let method = UnsafeRawBufferPointer(rebasing: input[start..<i])
        if equals(method, "GET") {
            request.method = .get
        } else if equals(method, "HEAD") {
            request.method = .head
        } else if equals(method, "POST") {
            request.method = .post
        } else {
            request.method = .other
        }
        let targetStart = i + 1
        var targetEnd = targetStart
        while targetEnd < end && input[targetEnd] != 0x20 {
            if input[targetEnd] <= 0x20 || input[targetEnd] >= 0x7F { return .malformedRequestLine }
            targetEnd += 1
        }
        if targetEnd - targetStart > limits.targetBytes { return .targetTooLong }
        if targetEnd == targetStart || targetEnd == end { return .malformedRequestLine }
        if input[targetStart] != 0x2F { return .badTarget }
        var pathEnd = targetStart
        while pathEnd < targetEnd && input[pathEnd] != 0x3F && input[pathEnd] != 0x23 { pathEnd += 1 }
        request.pathStart = targetStart
        request.pathCount = pathEnd - targetStart
        let version = UnsafeRawBufferPointer(rebasing: input[(targetEnd + 1)..<end])
        if version.count != 8 || !equals(UnsafeRawBufferPointer(rebasing: version[0..<5]), "HTTP/") || version[6] != 0x2E
            || !isDigit(version[5]) || !isDigit(version[7])
        {
            return .malformedRequestLine
        }
        if version[5] != 0x31 || (version[7] != 0x30 && version[7] != 0x31) { return .versionNotSupported }
        request.minorVersion = version[7] &- 0x30
        return nil
    }

    /// Index of the first LF in `input[from..<to]`, or nil.
    static func lineFeed(_ input: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var i = from
        while i < to {
            if input[i] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    /// Where the content of the line starting at `start` and ending with the LF at `lineFeed`
    /// ends (before a CR).
    static func contentEnd(_ input: UnsafeRawBufferPointer, start: Int, lineFeed: Int) -> Int {
        lineFeed > start && input[lineFeed - 1] == 0x0D ? lineFeed - 1 : lineFeed
    }

    /// tchar of RFC 9110 §5.6.2.
    static func isTokenByte(_ b: UInt8) -> Bool {
        if isDigit(b) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) { return true }
        switch b {
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// A decimal of 1 to 15 digits (far above any body limit), or nil.
    static func decimal(_ text: UnsafeRawBufferPointer) -> Int? {
        if text.count == 0 || text.count > 15 { return nil }
        var value = 0
        for b in text {
            if !isDigit(b) { return nil }
            value = value * 10 + Int(b &- 0x30)
        }
        return value
    }

    /// Byte equality with a static string.
    static func equals(_ text: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        if text.count != literal.utf8CodeUnitCount { return false }
        for i in 0..<text.count where text[i] != literal.utf8Start[i] { return false }
        return true
    }

    /// ASCII case-insensitive equality with a lower-case static string.
    public static func equalsIgnoringCase(_ text: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        if text.count != literal.utf8CodeUnitCount { return false }
        for i in 0..<text.count {
            var b = text[i]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if b != literal.utf8Start[i] { return false }
        }
        return true
    }

    /// Whether the comma-separated list `value` holds `token` (case-insensitive).
    static func containsToken(_ value: UnsafeRawBufferPointer, _ token: StaticString) -> Bool {
        var i = 0
        // Bounded by the value length: every pass consumes one element.
        while i < value.count {
            var end = i
            while end < value.count && value[end] != 0x2C { end += 1 }
            var a = i
            var b = end
            while a < b && (value[a] == 0x20 || value[a] == 0x09) { a += 1 }
            while b > a && (value[b - 1] == 0x20 || value[b - 1] == 0x09) { b -= 1 }
            if equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: value[a..<b]), token) { return true }
            i = end + 1
        }
        return false
    }
}
