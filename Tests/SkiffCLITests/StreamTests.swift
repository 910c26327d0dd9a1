import Testing

@testable import SkiffCLI

private func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
    let payload = Array(text.utf8)
    let n = UInt32(payload.count)
    return [stream, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + payload
}

@Test func demuxSplitsStreamsWhateverTheChunking() throws {
    let bytes = frame(1, "out1\n") + frame(2, "err\n") + frame(1, "out2\n") + frame(0, "in")
    for chunk in [1, 3, 7, 8, 100] {
        var demux = StreamDemux()
        var out = "", err = ""
        var i = 0
        while i < bytes.count {
            try demux.feed(bytes[i..<min(i + chunk, bytes.count)]) { stream, piece in
                let text = String(decoding: piece, as: UTF8.self)
                if stream == .stderr { err += text } else { out += text }
            }
            i += chunk
        }
        #expect(out == "out1\nout2\nin")
        #expect(err == "err\n")
    }
}

@Test func demuxReportsSystemErrorsAndBadHeaders() throws {
    var demux = StreamDemux()
    try demux.feed(frame(3, "boom")[...]) { _, _ in }
    #expect(demux.error == "boom")
    var bad = StreamDemux()
    #expect(throws: StreamDemux.Malformed.self) { try bad.feed(frame(7, "x")[...]) { _, _ in } }
}

@Test func chunkedBodiesDecodeInAnyPieces() throws {
    let body = Array("4\r\nWiki\r\n7;ext=1\r\npedia i\r\nB\r\nn \r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT".utf8)
    for size in [1, 2, 5, 64] {
        var decoder = ChunkedDecoder()
        var out: [UInt8] = []
        var consumed = 0
        var i = 0
        while i < body.count && !decoder.isDone {
            let piece = body[i..<min(i + size, body.count)]
            consumed += try decoder.decode(piece, into: &out)
            i += size
        }
        #expect(String(decoding: out, as: UTF8.self) == "Wikipedia in \r\nchunks.")
        #expect(decoder.isDone)
        #expect(consumed == body.count - 4)
    }
}

@Test func chunkedRejectsGarbage() {
    var decoder = ChunkedDecoder()
    var out: [UInt8] = []
    #expect(throws: ChunkedDecoder.Malformed.self) { _ = try decoder.decode(Array("zz\r\n".utf8)[...], into: &out) }
}

@Test func detachKeys() {
    #expect(StreamSession.parseDetachKeys("ctrl-p,ctrl-q") == [16, 17])
    #expect(StreamSession.parseDetachKeys("ctrl-a,x") == [1, 120])
    #expect(StreamSession.parseDetachKeys("ctrl-[") == [27])
    #expect(StreamSession.parseDetachKeys("ctrl-1") == nil)
}
