#!/usr/bin/env bash
# The whole test suite (as root): unit tests (swift test) and the integration
# suite, which runs real containers under skiff-runtime, crun and runc.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# SwiftPM leaves TemporaryDirectory.* dirs in TMPDIR on every build: give it one
# of its own, removed at the end, so the host's /tmp keeps nothing of a run.
swift_tmp=$(mktemp -d /tmp/skiff-swiftpm.XXXXXX)
trap 'rm -rf "$swift_tmp"' EXIT
TMPDIR=$swift_tmp swift build --build-tests
log=.build/skiff-swift-test.log
TMPDIR=$swift_tmp swift test --skip-build 2>&1 | tee "$log" | grep -E '✘|error|Test run with|passed after|failed after' || true
grep -q 'Test run with .* passed' "$log"

export SKIFF_RUNTIME="$PWD/.build/debug/skiff-runtime"
python3 -m pytest Tests/integration -q -p no:cacheprovider
