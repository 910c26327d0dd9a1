#!/usr/bin/env bash
# make-busybox-image.sh OUT.tar
#
# The busybox:latest base image's root filesystem as a tar, from Debian's
# busybox-static (see make-busybox-rootfs.sh). Import it as an image with
# `skiff import OUT.tar busybox:latest` (or ImageStore.importRootfs).
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 OUT.tar" >&2; exit 2; }
out=$(realpath -m "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$(dirname "$0")/make-busybox-rootfs.sh" "$work/rootfs" >/dev/null
tar --numeric-owner --sort=name --mtime=@0 -C "$work/rootfs" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$out"
