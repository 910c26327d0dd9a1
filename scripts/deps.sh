#!/usr/bin/env bash
# Installs the Debian packages skiff needs to build and test (idempotent).
# Needs root; reaches only Debian's mirror (and PyPI for pytest if missing).
set -euo pipefail

packages=(
    libseccomp-dev   # seccomp filters (SkiffSeccomp)
    zlib1g-dev libzstd-dev  # layer compression (SkiffArchive)
    libisal-dev      # gzip inflated by ISA-L in the daemon (SkiffIgzip)
    libsqlite3-dev   # image and engine state (GRDB)
    busybox-static   # the test and example root filesystem
    tini             # the init of `run --init` (tini-static, mounted as /sbin/docker-init)
    crun runc        # reference runtimes the suite compares against
    iproute2 procps  # ip, ps inside tests
    nftables iptables  # NAT and published ports (skiff's own nft table; iptables only where FORWARD drops)
    curl gcc libc6-dev # network tests: curl from the host, a static UDP listener
    hyperfine jq     # benchmarks
    bind9-dnsutils   # dig, a real client for the DNS server's tests (SkiffDNSTests)
    podman skopeo umoci docker.io  # image interoperability tests (anchors)
    docker-registry apache2-utils  # pull/push/login tests: distribution 2.8 and htpasswd (bcrypt)
    libcrypt-dev openssl  # the registry's htpasswd check (crypt_r, bcrypt); its TLS tests' CA
    chromium         # the registry's hub page rendered headless in its test (screenshot)
    docker-compose socat debootstrap  # compose tests: docker-compose 1.29 against skiffd, the
                     # example's builds reaching Debian's mirror from a test namespace, debian:bookworm
)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
python3 -c 'import docker' 2>/dev/null || python3 -m pip install -q 'docker>=7'
