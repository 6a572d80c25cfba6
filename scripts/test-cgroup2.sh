#!/bin/bash
# Run the cgroup v2 test projects (test/cgroup2, `tsrun container run` included,
# and the differential suite's cgroup-heavy part
# test/differential/cgroup2.test.ts) inside a throw-away VM with a
# pure cgroup v2 hierarchy (the dev/CI hosts are hybrid). Self-contained: it
# builds the addon (if missing) and the CLI on the host, where that is fast,
# then boots the VM once. Extra arguments go to vitest. Exits with vitest's
# status (124: VM timeout, 125: VM failure). The VM script lives in shared/vm
# beside the project checkout; set TSRUN_VM_SCRIPT to use another one.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vm=${TSRUN_VM_SCRIPT:-}
if [ -z "$vm" ]; then
  # /work/main -> /work/shared; a worktree one level deeper also finds it
  for dir in "$root/.." "$root/../.."; do
    if [ -x "$dir/shared/vm/run-in-vm.sh" ]; then
      vm=$(cd "$dir/shared/vm" && pwd)/run-in-vm.sh
      break
    fi
  done
fi
if [ -z "$vm" ]; then
  echo "test:cgroup2: shared/vm/run-in-vm.sh not found beside $root; set TSRUN_VM_SCRIPT" >&2
  exit 2
fi
cd "$root"
unset NODE_OPTIONS
[ -f native/build/Release/tsrun.node ] && [ -x native/build/Release/tsrun-monitor ] || npm run --silent build:native
# the container tests run the built CLI (as bin/tsrun does: entry.js and the bundle)
node node_modules/typescript/bin/tsc -p tsconfig.build.json
node scripts/write-build-info.js
node scripts/bundle.js

# Every file the guest opens on the shared 9p directory costs tens of ms. Ship
# the CLI (dist with its bundle, the addon, production dependencies) as one tar
# that the guest unpacks on its tmpfs; code caches are then written there too.
cache=node_modules/.cache/tsrun-vm
mkdir -p "$cache"
mapfile -t deps < <(npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sed "s|^$root/||" | sort -u)
# tsrun-monitor: the parent of detached `container run -d` containers (test/cgroup2/container-run-v2.test.ts)
tar -cf "$cache/cli.tar" package.json dist native/build/Release/tsrun.node native/build/Release/tsrun-monitor "${deps[@]}"

# vitest directly: npm/npx startup is slow under emulation
guest='set -e
mkdir -p /tmp/tsrun-cli
tar -xf node_modules/.cache/tsrun-vm/cli.tar -C /tmp/tsrun-cli
export TSRUN_TEST_CLI=/tmp/tsrun-cli/dist/src/cli/entry.js
exec node node_modules/vitest/vitest.mjs run --project cgroup2 --project differential-cgroup2 "$@"'
exec "$vm" -- bash -c "$guest" test-cgroup2 "$@"
