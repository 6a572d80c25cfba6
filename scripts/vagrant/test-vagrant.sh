#!/bin/bash
# The VM stage of the tests (`npm run test:vagrant`, and the last part of
# `npm test`): build the box if it is missing, `vagrant up` inside a private
# network and libvirt sandbox (sandbox.sh), ship the host's build and node
# binary in, run the VM test projects as root and as the `vagrant` user
# (guest-run.sh), bring their vitest JSON reports back to RESULTS, then
# `vagrant destroy -f`. A hard timeout (TSRUN_VAGRANT_TIMEOUT seconds, default
# 3000) covers the whole stage, box build included; every daemon, VM and
# namespace it started is gone when it returns.
#
#   test-vagrant.sh RESULTS [--keep-logs]
#
# RESULTS receives root.runs, user.runs (the labels of the runs), <label>.json
# per run, timings.txt, and on failure the guest's console and Vagrant's log.
# Environment: TSRUN_VAGRANT_CACHE (default /var/cache/tsrun-vagrant; the box
# and .debs), VAGRANT_HOME (default $TSRUN_VAGRANT_CACHE/vagrant.d),
# TSRUN_VAGRANT_TIMEOUT, TSRUN_VM_INTEGRATION=all, TSRUN_VM_VITEST_ARGS,
# TSRUN_VM_ONLY=LABEL[:FILE...] (one run only, for development: guest-run.sh), and
# TSRUN_DIFF_CGROUP_COUNT/_SEED, TSRUN_FAULT_SEED/_KILLS_V2 (passed to the guest).
# Exit status: 0 when every run passed; 1 when a run failed; 124 on timeout;
# 125 when the VM could not be brought up.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${1:?usage: test-vagrant.sh RESULTS}
say() { echo "[vagrant] $*" >&2; }
[ "$(id -u)" = 0 ] || { say "run as root (libvirt, network namespaces)"; exit 2; }

export TSRUN_VAGRANT_CACHE=${TSRUN_VAGRANT_CACHE:-/var/cache/tsrun-vagrant}
export VAGRANT_HOME=${VAGRANT_HOME:-$TSRUN_VAGRANT_CACHE/vagrant.d}
export VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_NO_COLOR=1
timeout_s=${TSRUN_VAGRANT_TIMEOUT:-3000}
deadline=$((SECONDS + timeout_s))
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results"/*.json "$results"/*.runs "$results"/timings.txt
timing() { echo "$1 $2" >> "$results/timings.txt"; say "$1: $2 s"; }

# ---- the host build the guest runs ------------------------------------------------
t=$SECONDS
cd "$root"
unset NODE_OPTIONS
[ -f native/build/Release/tsrun.node ] && [ -x native/build/Release/tsrun-monitor ] || npm run --silent build:native
node node_modules/typescript/bin/tsc -p tsconfig.build.json
node scripts/write-build-info.js
node scripts/bundle.js
timing build $((SECONDS - t))

# ---- the box ------------------------------------------------------------------------
t=$SECONDS
status=0
timeout "$((deadline - SECONDS))" "$here/build-box.sh" || status=$?
if [ $status != 0 ]; then
  [ $status = 124 ] && say "hard timeout (${timeout_s} s) while building the box"
  exit $status
fi
timing box $((SECONDS - t))

# ---- the VM, inside the sandbox ---------------------------------------------------
mkdir -p "$TSRUN_VAGRANT_CACHE/runs"
# runs of killed earlier stages (their namespaces are gone with their sweep)
for d in "$TSRUN_VAGRANT_CACHE"/runs/*; do
  [ -d "$d" ] || continue
  pid=${d##*/}
  kill -0 "$pid" 2>/dev/null || rm -rf "$d"
done
status=0
TSRUN_VAGRANT_TIMEOUT=$((deadline - SECONDS)) TSRUN_VAGRANT_RESULTS=$results \
  "$here/sandbox.sh" "$TSRUN_VAGRANT_CACHE/runs/$$" -- "$here/vm-stage.sh" || status=$?
[ $status = 124 ] && say "hard timeout (${timeout_s} s): the VM stage was stopped"
exit $status
