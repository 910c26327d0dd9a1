#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install what skiff
# needs, build it (release), install skiffd, skiff, skiff-monitor and
# skiff-runtime to /usr/local/bin, start skiffd, make a busybox image
# locally and run a container from it through the Docker API.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# Fully static executables (no dynamic loading at start: see docs/ARCHITECTURE.md)
# for what starts per command or per container; skiffd links SQLite and NIO.
for product in skiff-runtime skiff-monitor skiff; do
    swift build -c release -Xswiftc -static-executable --product "$product"
    install -m 0755 -s ".build/release/$product" "/usr/local/bin/$product"
done
swift build -c release --static-swift-stdlib --product skiffd
install -m 0755 -s .build/release/skiffd /usr/local/bin/skiffd
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
