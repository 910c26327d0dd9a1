#!/usr/bin/env bash
# make-bundle.sh DIR [ARGS...]
#
# Makes an OCI bundle: DIR/rootfs (a hardlink copy, `cp -al`, of a cached
# busybox rootfs made by make-busybox-rootfs.sh) and DIR/config.json with the
# runc/crun `spec` defaults (plus a cgroup namespace), terminal false, a
# read-write root, cgroupsPath skiff-test/<random> and ARGS (default: sh) as
# process.args.
#
# Environment:
#   ROOTFS_CACHE   cached rootfs [${TMPDIR:-/tmp}/skiff-busybox-rootfs]; made
#                  (or refreshed, idempotently) on every call
#   BUNDLE_OPTS    extra options for the config writer, e.g.
#                  "--readonly --terminal --hostname h --cgroups-path none"
#
# Never modify files of DIR/rootfs in place (they are hardlinks into the
# cache); creating and deleting files is fine.  Prints DIR (absolute).
set -euo pipefail

if [[ $# -lt 1 || -z "$1" ]]; then
    echo "usage: $0 DIR [ARGS...]" >&2
    exit 2
fi
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
DIR=$1; shift
CACHE=${ROOTFS_CACHE:-${TMPDIR:-/tmp}/skiff-busybox-rootfs}

CACHE=$("$HERE/make-busybox-rootfs.sh" "$CACHE")
mkdir -p -- "$DIR"
DIR=$(cd -- "$DIR" && pwd -P)
if [[ ! -e "$DIR/rootfs" ]]; then
    cp -al -- "$CACHE" "$DIR/rootfs.tmp.$$"
    mv -- "$DIR/rootfs.tmp.$$" "$DIR/rootfs"
fi
# shellcheck disable=SC2086
python3 "$HERE/../Tests/integration/ocitest.py" config ${BUNDLE_OPTS:-} "$DIR" -- "$@"
printf '%s\n' "$DIR"
