#!/usr/bin/env bash
# Runs every test of every package (ava on the compiled output), then prints one closing
# line: "dpkit: N passed, N failed, N skipped". Exits non-zero when any test fails, and, as
# root, when the kernel tests cannot run (no addon, no ip): they fail then, never skip.
set -uo pipefail
cd "$(dirname "$0")/.."
# tshark is a peer in the checksum tests (Debian's package); without it they are skipped
if ! command -v tshark >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "test: installing Debian's tshark for the checksum tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tshark) >/dev/null 2>&1 \
    || echo "test: could not install tshark; the checksum tests will be skipped" >&2
fi
# where root is present the kernel tests must run (they fail, not skip, without the addon or
# ip); say so up front in one line, and fail the run even if every test file were skipped
status=0
broken=
if [ "$(id -u)" = 0 ]; then
  if ! why=$(cd packages/eal && node --input-type=module -e "const m = await import('./dist/testing.js'); const s = m.kernelTestStatus(); if (s.broken) { console.log(s.broken); process.exit(1); }" 2>&1); then
    broken="test: running as root but the kernel tests cannot run: ${why%%$'\n'*}"
    echo "$broken" >&2
    status=1
  fi
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for dir in packages/eal packages/pmd-null packages/pmd-ring packages/pmd-af-xdp packages/pmd-af-packet packages/bifurc packages/ixgbe-defs packages/sim-82599 packages/pmd-ixgbe packages/testpmd packages/dumpcap test; do
  echo "== $dir"
  (cd "$dir" && ./node_modules/.bin/ava) 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
passed=$(grep -c '✔' "$log" || true)
failed=$(grep -c '✘' "$log" || true)
skipped=$(grep -cE '^\s*- \[skip\]' "$log" || true)
[ "$failed" -eq 0 ] || status=1
[ "$passed" -gt 0 ] || { echo "no test ran"; status=1; }
echo
echo "dpkit: $passed passed, $failed failed, $skipped skipped"
[ -z "$broken" ] || echo "$broken"
exit "$status"
