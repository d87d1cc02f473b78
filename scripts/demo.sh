#!/usr/bin/env bash
# The main job: dpkit-testpmd forwarding between two net_ring ports on a worker lcore, with
# live statistics every second, for DPKIT_DEMO_SECONDS (default 6) seconds; then SIGINT,
# which stops forwarding, prints the forward statistics and closes the ports.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${DPKIT_DEMO_SECONDS:-6}
exec timeout --preserve-status -s INT "$seconds" node_modules/.bin/dpkit-testpmd \
  -l 0-1 -n 4 --no-pci --vdev=net_ring0 --vdev=net_ring1 --file-prefix="demo-$$" -- \
  --forward-mode=io --port-topology=paired --tx-first --stats-period=1
