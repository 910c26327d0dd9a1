@testable import SkiffEngine
import Testing

/// Where `logs -f` stops when the run it follows ends: exactly at the run's
/// last line, even when the engine learns of the next run late.
struct FollowCutTests {
    let run = "2026-11-27T10:00:00.000000000Z"
    let end = "2026-11-27T10:00:05.000000000Z"

    func line(_ time: String, _ text: String) -> LogEntry {
        LogEntry(stream: 1, time: time, line: Array(text.utf8))
    }

    @Test func theRunGoingOnPassesEverything() {
        let fresh = [line("2026-11-27T10:00:01.000000000Z", "a"), line("2026-11-27T10:00:02.000000000Z", "b")]
        let cut = FollowCut.cut(fresh, run: run, now: run, runEnd: nil)
        #expect(cut.entries == fresh)
        #expect(!cut.ended)
    }

    @Test func aRunThatEndedStopsAtItsExitEvenBeforeTheNextRunIsKnown() {
        // Restarted: the engine has the exit, not yet the new start, and the new
        // process has written its first line.
        let old = line("2026-11-27T10:00:04.999999000Z", "last")
        let next = line("2026-11-27T10:00:05.020000000Z", "first of the next run")
        let cut = FollowCut.cut([old, next], run: run, now: nil, runEnd: end)
        #expect(cut.entries == [old])
        #expect(cut.ended)
    }

    @Test func aNextRunsFirstLineBeforeItsNotedStartStaysOut() {
        // The monitor notes a start just after the process began.
        let old = line("2026-11-27T10:00:04.000000000Z", "last")
        let next = line("2026-11-27T10:00:05.010000000Z", "first of the next run")
        let cut = FollowCut.cut([old, next], run: run, now: "2026-11-27T10:00:05.012000000Z", runEnd: end)
        #expect(cut.entries == [old])
        #expect(cut.ended)
    }

    @Test func withoutItsEndTheNextStartBoundsTheRun() {
        let old = line("2026-11-27T10:00:04.000000000Z", "last")
        let next = line("2026-11-27T10:00:06.000000000Z", "next")
        let cut = FollowCut.cut([old, next], run: run, now: "2026-11-27T10:00:05.500000000Z", runEnd: nil)
        #expect(cut.entries == [old])
        #expect(cut.ended)
    }

    @Test func aContainerNotRunningEndsTheFollowWithWhatIsThere() {
        let fresh = [line("2026-11-27T10:00:01.000000000Z", "a")]
        let cut = FollowCut.cut(fresh, run: nil, now: nil, runEnd: nil)
        #expect(cut.entries == fresh)
        #expect(cut.ended)
    }
}
