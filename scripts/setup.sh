#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install what skiff
# needs, build it (release), install skiffd, skiff, skiff-monitor,
# skiff-runtime, skiff-compose and skiff-registry to /usr/local/bin, start
# skiffd, make a busybox image locally and run a container from it, then
# make debian:bookworm (debootstrap) and bring up the example application
# (examples/todo: a web service and PostgreSQL) with `skiff compose`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# SwiftPM leaves TemporaryDirectory.* dirs in TMPDIR on every build: its own, removed after.
swift_tmp=$(mktemp -d /tmp/skiff-swiftpm.XXXXXX)
trap 'rm -rf "$swift_tmp"' EXIT
# Fully static executables (no dynamic loading at start: see docs/ARCHITECTURE.md)
# for what starts per command or per container; skiffd links SQLite and NIO.
for product in skiff-runtime skiff-monitor skiff; do
    TMPDIR=$swift_tmp swift build -c release -Xswiftc -static-executable --product "$product"
    install -m 0755 -s ".build/release/$product" "/usr/local/bin/$product"
done
for product in skiffd skiff-compose skiff-registry; do
    TMPDIR=$swift_tmp swift build -c release --static-swift-stdlib --product "$product"
    install -m 0755 -s ".build/release/$product" "/usr/local/bin/$product"
done
getent group skiff >/dev/null || groupadd --system skiff
if [[ -d /run/systemd/system ]]; then
    install -m 0644 contrib/skiffd.service /etc/systemd/system/skiffd.service
    systemctl daemon-reload
    systemctl enable --now skiffd
fi

# The first command starts skiffd when none answers (or systemd did).
if ! skiff image inspect busybox:latest >/dev/null 2>&1; then
    tar=$(mktemp --suffix=.tar)
    scripts/make-busybox-image.sh "$tar" >/dev/null
    skiff import "$tar" busybox:latest
    rm -f "$tar"
fi
skiff run --rm --hostname skiff busybox sh -c 'echo "hello from skiff: pid $$ on $(hostname), $(id)"'
skiff ps -a

# The example application: images built from its Dockerfiles on debian:bookworm.
if ! skiff image inspect debian:bookworm >/dev/null 2>&1; then
    tar=$(mktemp --suffix=.tar)
    scripts/make-debian-image.sh "$tar" >/dev/null
    skiff import "$tar" debian:bookworm
    rm -f "$tar"
fi
skiff compose -f examples/todo/compose.yaml up -d --build --wait
port=$(skiff compose -f examples/todo/compose.yaml port web 8080)
echo "The todo application is up: http://$port/  (stop it: skiff compose -f examples/todo/compose.yaml down)"
