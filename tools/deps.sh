#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# deps.sh - install the Debian packages mailtap builds and tests with.
# Idempotent: quiet when everything is present; uses apt-get as root.
set -euo pipefail

pkgs=(
	# build
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	libpcap-dev libssl-dev libcap-dev libjson-c-dev pkg-config
	# tests
	libcmocka-dev libclang-rt-14-dev tshark tcpdump iproute2 python3
	valgrind jq bc time
	# live tests: real mail software
	postfix dovecot-pop3d swaks libnet-ssleay-perl curl openssl
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# postfix asks a debconf question unless preseeded; we configure it ourselves.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
