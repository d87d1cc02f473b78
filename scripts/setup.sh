#!/usr/bin/env bash
# One-time (idempotent) set-up from a clean clone: pnpm, dependencies, the Linux addon, build.
# Installs only from the npm registry; everything else comes from this repository.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  echo "setup: installing pnpm@$want from the npm registry" >&2
  npm install --global --silent "pnpm@$want" >&2 || {
    echo "setup: could not install pnpm@$want (npm install -g failed); install it and run again" >&2; exit 1; }
fi
if [ ! -d node_modules/.pnpm ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  pnpm install --frozen-lockfile --reporter=silent >&2
fi
# the Linux addon from source (the published @dpkit/eal carries a prebuilt one instead and has
# no install script): built when missing or older than its sources
addon=packages/eal/build/Release/dpkit_linux.node
if [ "$(uname -s)" = Linux ] && { [ ! -f "$addon" ] || [ -n "$(find packages/eal/native packages/eal/binding.gyp -newer "$addon" -print -quit)" ]; }; then
  node packages/eal/scripts/build-native.mjs
fi
# the emulated 82599's engine (packages/sim-82599/native), built the same way
sim=packages/sim-82599/build/Release/dpkit_sim_82599.node
if [ "$(uname -s)" = Linux ] && { [ ! -f "$sim" ] || [ -n "$(find packages/sim-82599/native packages/sim-82599/binding.gyp -newer "$sim" -print -quit)" ]; }; then
  node packages/sim-82599/scripts/build-native.mjs
fi
# its commands at the repository root's node_modules/.bin (like the workspace's other commands)
mkdir -p node_modules/.bin
for cmd in dpkit-sim-82599 dpkit-ethtool; do
  ln -sfn "../../packages/sim-82599/bin/$cmd.js" "node_modules/.bin/$cmd"
done
ln -sfn ../../packages/dumpcap/bin/dpkit-dumpcap.js node_modules/.bin/dpkit-dumpcap
pnpm exec tsc -b >&2
