#!/usr/bin/env bash
# make-debian-image.sh OUT.tar [SUITE]
#
# The debian:bookworm base image's root filesystem as a tar, made with
# debootstrap (variant minbase) from Debian's mirror: nothing else is
# downloaded. Import it with `skiff import OUT.tar debian:bookworm`.
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 OUT.tar [SUITE]" >&2; exit 2; }
out=$(realpath -m "$1")
suite=${2:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
work=$(mktemp -d)
trap 'umount -R "$work/rootfs/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$work/log" 2>&1 \
    || { tail -20 "$work/log" >&2; exit 1; }
# As Docker's debian images: no apt caches or logs, a policy-rc.d that stops
# services from starting during package installs.
rm -rf "$work/rootfs"/var/lib/apt/lists/* "$work/rootfs"/var/cache/apt/*.bin "$work/rootfs"/var/log/*.log
printf '#!/bin/sh\nexit 101\n' > "$work/rootfs/usr/sbin/policy-rc.d"
chmod 755 "$work/rootfs/usr/sbin/policy-rc.d"
tar --numeric-owner --xattrs --sort=name -C "$work/rootfs" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$out"
