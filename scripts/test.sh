#!/usr/bin/env bash
# The whole test suite (as root): unit tests (swift test) and the integration
# suite, which runs real containers under skiff-runtime, crun and runc.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee /tmp/skiff-swift-test.log | grep -E '✘|error|Test run with|passed after|failed after' || true
grep -q 'Test run with .* passed' /tmp/skiff-swift-test.log

export SKIFF_RUNTIME="$PWD/.build/debug/skiff-runtime"
python3 -m pytest Tests/integration -q -p no:cacheprovider
