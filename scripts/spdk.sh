#!/usr/bin/env bash
# scripts/spdk.sh: find (or unpack) a real SPDK and install what it needs.
#
#   scripts/spdk.sh install   install SPDK's Debian runtime packages and
#                             unpack the SPDK build; prints its directory
#   scripts/spdk.sh dir       print the SPDK directory, or fail
#
# Where SPDK comes from, in order:
#   1. $SPDK_DIR, a directory with bin/spdk_tgt (an SPDK you built or unpacked);
#   2. ../shared/spdk/dist/spdk-v*-debian12-x86_64.tar.xz beside the checkout,
#      unpacked once into .tools/ (see that directory's BUILD.md).
# Without either, `install` says so and exits 0 (tests then skip, naming both,
# except under CI, where they fail); `dir` exits 1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.tools
dist=$root/../shared/spdk/dist

# SPDK's runtime libraries on Debian 12 (from dist/BUILD.md); libdpdk-dev is
# the simplest way to get every librte-*23 library SPDK links.
packages=(libdpdk-dev libaio1 libnuma1 libssl3 libuuid1 libjson-c5 libkeyutils1 libfuse3-3 libncurses6 libnl-3-200)

find_dir() {
	if [ -n "${SPDK_DIR:-}" ]; then
		[ -x "$SPDK_DIR/bin/spdk_tgt" ] || { echo "SPDK_DIR=$SPDK_DIR has no bin/spdk_tgt" >&2; return 1; }
		echo "$SPDK_DIR"
		return 0
	fi
	local d
	for d in "$tools"/spdk-v*/; do
		[ -x "$d/bin/spdk_tgt" ] && { echo "${d%/}"; return 0; }
	done
	return 1
}

install_packages() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "spdk: installing ${missing[*]}" >&2
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

case "${1:-}" in
install)
	tarball=$(ls "$dist"/spdk-v*-debian12-x86_64.tar.xz 2>/dev/null | sort | tail -n1 || true)
	if [ -z "${SPDK_DIR:-}" ] && [ -z "$tarball" ] && ! find_dir >/dev/null 2>&1; then
		echo "spdk: no SPDK_DIR and no $dist/spdk-v*-debian12-x86_64.tar.xz: tests on real SPDK will skip" >&2
		exit 0
	fi
	install_packages
	if ! find_dir >/dev/null 2>&1 && [ -n "$tarball" ]; then
		mkdir -p "$tools"
		echo "spdk: unpacking $(basename "$tarball") into $tools" >&2
		tar -C "$tools" -xJf "$tarball"
	fi
	dir=$(find_dir)
	# The binaries must find every library (an rpath to ../lib, then the system's).
	if ldd "$dir/bin/spdk_tgt" | grep -q 'not found'; then
		echo "spdk: $dir/bin/spdk_tgt lacks libraries:" >&2
		ldd "$dir/bin/spdk_tgt" | grep 'not found' >&2
		exit 1
	fi
	echo "$dir"
	;;
dir)
	find_dir
	;;
*)
	echo "usage: $0 install|dir" >&2
	exit 2
	;;
esac
