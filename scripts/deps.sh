#!/bin/sh
# Install the Debian packages kdom needs to build and test (called by `make deps`).
set -eu

# The lab (tests/lab/) adds QEMU, a static busybox, cpio and kmod; it fetches
# Debian's kernel package itself into build/lab/ (the host's /boot is untouched).
PACKAGES="gcc make pkg-config liburing-dev check libjansson-dev socat jq clang-format
qemu-system-x86 busybox-static cpio kmod"

missing=""
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "installed" ] || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "kdom needs these Debian packages:$missing" >&2
	echo "install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
