#!/usr/bin/env bash
# First run on a fresh Debian/Ubuntu machine: system packages, npm ci (which
# builds the C addon and the TypeScript), a busybox bundle, and the main job:
# `tsrun run` of that bundle, which prints from inside the container.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm ci
bundle=${TSRUN_DEMO_BUNDLE:-/tmp/tsrun-demo}
rm -rf "$bundle"
bash scripts/make-busybox-bundle.sh "$bundle"
cd "$bundle"
exec "$OLDPWD/bin/tsrun" run "demo-$$"
