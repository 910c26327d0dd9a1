#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install what skiff
# needs, build it (release), install skiff-runtime to /usr/local/bin, and run
# a container from a locally made busybox image.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# A fully static executable: no dynamic loading at start (see docs/ARCHITECTURE.md).
swift build -c release -Xswiftc -static-executable --product skiff-runtime
install -m 0755 -s .build/release/skiff-runtime /usr/local/bin/skiff-runtime

bundle=/var/lib/skiff/bundles/hello
mkdir -p "$bundle"
scripts/make-busybox-rootfs.sh "$bundle/rootfs" >/dev/null
rm -f "$bundle/config.json"
(cd "$bundle" && skiff-runtime spec)
python3 - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "echo \"hello from skiff: pid $$ on $(hostname), $(id)\""]
c["hostname"] = "skiff"
json.dump(c, open(path, "w"), indent=2)
PY
skiff-runtime run --bundle "$bundle" "hello-$$"
