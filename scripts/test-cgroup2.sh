#!/bin/bash
# Run the cgroup v2 test project (test/cgroup2) inside a throw-away VM with a
# pure cgroup v2 hierarchy (the dev/CI hosts are hybrid). Extra arguments go to
# vitest. The VM script lives in shared/vm beside the project checkout; set
# TSRUN_VM_SCRIPT to use another one.
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
[ -f native/build/Release/tsrun.node ] || npm run build:native
# vitest directly: npm/npx startup is slow under emulation
exec "$vm" -- node node_modules/vitest/vitest.mjs run --project cgroup2 "$@"
