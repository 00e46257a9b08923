#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# install.sh DESTDIR PREFIX BUILD - install mailtap (binaries, man pages,
# bash completion, example config, systemd unit, logrotate file).
set -euo pipefail
destdir=${1:-} prefix=${2:-/usr/local} build=${3:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
d() { echo "$destdir$1"; }
install -d "$(d "$prefix/sbin")" "$(d "$prefix/bin")" \
	"$(d "$prefix/share/man/man8")" "$(d /usr/share/bash-completion/completions)" \
	"$(d /etc/mailtap)" "$(d /lib/systemd/system)" "$(d /etc/logrotate.d)"
install -m 0755 "$build/mailtapd" "$(d "$prefix/sbin/mailtapd")"
install -m 0755 "$build/mailtap" "$(d "$prefix/bin/mailtap")"
for m in "$top"/docs/*.8; do
	[ -f "$m" ] && install -m 0644 "$m" "$(d "$prefix/share/man/man8/$(basename "$m")")"
done
[ -f "$top/tools/bash-completion/mailtap" ] &&
	install -m 0644 "$top/tools/bash-completion/mailtap" "$(d /usr/share/bash-completion/completions/mailtap)"
[ -f "$(d /etc/mailtap/mailtapd.conf)" ] ||
	install -m 0644 "$top/tools/dist/mailtapd.conf" "$(d /etc/mailtap/mailtapd.conf)"
sed "s,@SBINDIR@,$prefix/sbin,g" "$top/tools/dist/mailtapd.service" >"$(d /lib/systemd/system/mailtapd.service)"
chmod 0644 "$(d /lib/systemd/system/mailtapd.service)"
install -m 0644 "$top/tools/dist/mailtap.logrotate" "$(d /etc/logrotate.d/mailtap)"
echo "installed under ${destdir:-/}"
