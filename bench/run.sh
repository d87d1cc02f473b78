#!/usr/bin/env bash
# dpkit-testpmd against DPDK's dpdk-testpmd, side by side in one run: net_null (CPU only),
# net_ixgbe on the emulated 82599 (generator and wire mode, bench/ixgbe.mjs), then real packet
# I/O on veth pairs (net_af_xdp and net_af_packet, bench/kernel-io.mjs).
# Sets up what it needs: Debian's dpdk package and 2 MB hugepages for DPDK (root needed).
# Usage: bench/run.sh [SECONDS_PER_RUN (default 8)] [ROUNDS (default 3)]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dpdk-testpmd >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "bench: dpdk-testpmd is missing; install Debian's dpdk and dpdk-dev packages (root)" >&2; exit 1; fi
  echo "bench: installing Debian's dpdk packages" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpdk dpdk-dev) >/dev/null
fi
if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 512 ]; then
  echo 1024 > /proc/sys/vm/nr_hugepages || { echo "bench: cannot reserve hugepages for DPDK (run as root)" >&2; exit 1; }
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages
node bench/compare.mjs "$@"
node bench/ixgbe.mjs "$@"
node bench/ixgbe.mjs --wire "$@"
exec node bench/kernel-io.mjs "$@"
