#!/usr/bin/env bash
# make-busybox-rootfs.sh DEST
#
# Makes a minimal root filesystem at DEST from Debian's busybox-static:
#   DEST/bin/busybox plus a symlink per applet (`busybox --list`, all in /bin,
#   so PATH=/bin or the usual Docker PATH finds them), /etc/passwd with root(0),
#   user(1000) and nobody(65534), /etc/group, /etc/hostname, /tmp (1777) and the
#   mount points an OCI runtime expects (/proc /sys /dev ...).
#
# Idempotent: running it again over an existing DEST refreshes the same files.
# Installs busybox-static with apt-get if /bin/busybox is missing (nothing else
# is downloaded).  Needs root only for that install.  On success prints DEST
# (absolute) and nothing else.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
    echo "usage: $0 DEST" >&2
    exit 2
fi

BB=/bin/busybox
is_static() { [[ -x "$1" ]] && ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }
if ! is_static "$BB"; then
    # The dynamic busybox (package "busybox") would need the host's libc in the
    # rootfs; busybox-static replaces it.
    if ! dpkg -s busybox-static >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null 2>&1 \
            || { echo "$0: cannot install busybox-static" >&2; exit 1; }
    fi
    is_static "$BB" || { echo "$0: $BB is not a static busybox" >&2; exit 1; }
fi

mkdir -p -- "$1"
DEST=$(cd -- "$1" && pwd -P)

install -d -m 0755 "$DEST"/{bin,sbin,usr,usr/bin,usr/sbin,etc,dev,proc,sys,root,home,var,var/log,var/run,run,mnt,opt}
install -d -m 0700 "$DEST/root"
install -d -m 1777 "$DEST/tmp" "$DEST/var/tmp"
install -d -m 0755 -o 1000 -g 1000 "$DEST/home/user"

# Copy busybox only when it changed, so existing hardlinked copies of a cached
# rootfs are not rewritten underneath running containers.
if ! cmp -s "$BB" "$DEST/bin/busybox" 2>/dev/null; then
    install -m 0755 "$BB" "$DEST/bin/busybox.new"
    mv -f "$DEST/bin/busybox.new" "$DEST/bin/busybox"
fi

# One symlink per applet, all in /bin (relative, so they resolve inside the
# container and on the host alike).  Only missing or wrong links are (re)made.
declare -A have=()
while IFS= read -r l; do have[$l]=1; done \
    < <(find "$DEST/bin" -maxdepth 1 -type l -lname busybox -printf '%f\n')
while IFS= read -r applet; do
    [[ -z "$applet" || "$applet" == busybox || -n "${have[$applet]:-}" ]] && continue
    ln -sfn busybox "$DEST/bin/$applet"
done < <("$DEST/bin/busybox" --list)

write_if_changed() { # path mode content
    local path=$1 mode=$2 content=$3
    if [[ ! -f "$path" ]] || [[ "$(cat -- "$path")" != "$content" ]]; then
        printf '%s\n' "$content" >"$path.new"
        chmod "$mode" "$path.new"
        mv -f "$path.new" "$path"
    fi
}

write_if_changed "$DEST/etc/passwd" 0644 "root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false"
write_if_changed "$DEST/etc/group" 0644 "root:x:0:
tty:x:5:
audio:x:29:
user:x:1000:
users:x:100:user
nogroup:x:65534:"
write_if_changed "$DEST/etc/shadow" 0640 "root:*:19000:0:99999:7:::
user:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::"
write_if_changed "$DEST/etc/hosts" 0644 "127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback"
[[ -e "$DEST/etc/resolv.conf" ]] || : >"$DEST/etc/resolv.conf"

printf '%s\n' "$DEST"
