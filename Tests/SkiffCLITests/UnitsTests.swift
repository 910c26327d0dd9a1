import Testing

@testable import SkiffCLI

@Test(arguments: [
    ("10s", 10_000_000_000), ("1m30s", 90_000_000_000), ("1.5h", 5_400_000_000_000), ("300ms", 300_000_000),
    ("-2h45m", -9_900_000_000_000), ("0", 0), ("1us", 1000), ("2µs", 2000), (".5s", 500_000_000),
] as [(String, Int64)])
func durationsParseAsGo(text: String, nanos: Int64) throws {
    #expect(try GoDuration.parse(text) == nanos)
}

@Test(arguments: [
    ("x", "time: invalid duration \"x\""), ("1", "time: missing unit in duration \"1\""),
    ("1x", "time: unknown unit \"x\" in duration \"1x\""), ("", "time: invalid duration \"\""),
])
func badDurationsAreWordedAsGo(text: String, message: String) {
    #expect(throws: ParseError.self) { try GoDuration.parse(text) }
    do { _ = try GoDuration.parse(text) } catch { #expect(error.description == message) }
}

@Test(arguments: [
    (0, "0s"), (90_000_000_000, "1m30s"), (1_500_000_000, "1.5s"), (300_000_000, "300ms"),
    (3_600_000_000_000, "1h0m0s"), (1500, "1.5µs"), (-2_000_000_000, "-2s"),
] as [(Int64, String)])
func durationsPrintAsGo(nanos: Int64, text: String) {
    #expect(GoDuration.string(nanos) == text)
}

@Test(arguments: [
    ("512m", 536_870_912), ("1g", 1_073_741_824), ("1.5GiB", 1_610_612_736), ("100", 100), ("10k", 10240),
    ("2MB", 2_097_152), ("7b", 7), ("1 kb", 1024),
] as [(String, Int64)])
func sizesParseAsRAMInBytes(text: String, bytes: Int64) throws {
    #expect(try Units.ramInBytes(text) == bytes)
}

@Test(arguments: [("abc", "invalid size: 'abc'"), ("1x", "invalid suffix: 'x'"), ("1kbb", "invalid suffix: 'kbb'"), ("-1", "invalid size: '-1'")])
func badSizesAreWordedAsDocker(text: String, message: String) {
    do {
        _ = try Units.ramInBytes(text)
        Issue.record("expected an error")
    } catch {
        #expect(error.description == message)
    }
}

@Test(arguments: [("1.5", 1_500_000_000), ("2", 2_000_000_000), ("3/2", 1_500_000_000), ("0.001", 1_000_000), ("1e-3", 1_000_000)] as [(String, Int64)])
func cpusBecomeNanoCPUs(text: String, nanos: Int64) throws {
    #expect(try Units.nanoCPUs(text) == nanos)
}

@Test func cpusTooPreciseOrNotANumber() {
    #expect(throws: ParseError.self) { try Units.nanoCPUs("abc") }
    do { _ = try Units.nanoCPUs("abc") } catch { #expect(error.description == "failed to parse abc as a rational number") }
    do { _ = try Units.nanoCPUs("0.0000000001") } catch { #expect(error.description == "value is too precise") }
}

@Test(arguments: [
    (0.0, "0B"), (999.0, "999B"), (999.5, "1e+03B"), (1000.0, "1kB"), (1_984_000.0, "1.98MB"), (4_260_000.0, "4.26MB"),
    (1_500_000_000.0, "1.5GB"), (123_456_789.0, "123MB"),
] as [(Double, String)])
func humanSizesUseThreeSignificantDigits(bytes: Double, text: String) {
    #expect(Units.humanSize(bytes) == text)
}

@Test func binarySizes() {
    #expect(Units.bytesSize(25_277_370_368) == "23.54GiB")
    #expect(Units.bytesSize(1024) == "1KiB")
}

@Test(arguments: [
    (0.4, "Less than a second"), (1, "1 second"), (3, "3 seconds"), (59, "59 seconds"), (60, "About a minute"),
    (119, "About a minute"), (120, "2 minutes"), (3599, "59 minutes"), (3600, "About an hour"), (5400, "2 hours"),
    (169_200, "47 hours"), (172_800, "2 days"), (1_209_600, "2 weeks"), (5_184_000, "2 months"),
    (63_072_000, "2 years"),
] as [(Double, String)])
func humanDurations(seconds: Double, text: String) {
    #expect(Units.humanDuration(seconds: seconds) == text)
}

@Test func goTimesParseAndPrint() {
    let t = GoTime.parse("2026-11-26T17:58:39.321050563Z")
    #expect(t?.seconds == 1_795_715_919 && t?.nanos == 321_050_563)
    #expect(GoTime.parse("2026-11-26T18:58:39+01:00")?.seconds == 1_795_715_919)
    #expect(GoTime.parse("not a time") == nil)
    #expect(VersionCommand.ansiC("2026-05-07T21:09:36.000000000+00:00") == "Thu May  7 21:09:36 2026")
}

@Test func logTimestampsAsDocker() throws {
    #expect(try GoTime.apiTimestamp("10m", now: 1000.5) == "400")
    #expect(try GoTime.apiTimestamp("1700000000.5", now: 0) == "1700000000.5")
    #expect(try GoTime.apiTimestamp("2026-11-26T17:58:39Z", now: 0) == "1795715919.000000000")
    #expect(throws: CLIError.self) { try GoTime.apiTimestamp("soon", now: 0) }
}
