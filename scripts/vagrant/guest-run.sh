#!/bin/bash
# Inside the test VM: run the VM's test projects with vitest, one JSON report
# per run in OUTDIR, listed in OUTDIR/<who>.runs before any runs (so a run
# that dies without a report is counted as a failure by scripts/run-tests.js).
#
#   guest-run.sh root OUTDIR      (as root: sudo)
#   guest-run.sh user OUTDIR      (as the unprivileged `vagrant` user)
#   guest-run.sh --list           (anywhere: print "who label vitest-args" per run, run nothing)
#
# The project is at /vagrant (rsynced, built on the host: dist/, the addon,
# node_modules) and node is the host's binary. Extra vitest arguments come
# from TSRUN_VM_VITEST_ARGS. Exits non-zero when any run fails.
#
# For development (CI never sets it): TSRUN_VM_ONLY=LABEL[:FILE...] runs only
# the run LABEL (on the side that has it; the other side runs nothing), with
# the FILEs (space-separated) in place of its own test files, e.g.
# TSRUN_VM_ONLY='vm-root:test/vm/cri.test.ts' npm run test:vagrant
set -uo pipefail
who=${1:?usage: guest-run.sh root|user OUTDIR, or --list}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# The integration tests that run again on this pure cgroup v2 host with systemd:
# those whose behaviour depends on the cgroup layout (exec --cgroup, cgroup
# namespaces and mounts, containerd's shim and metrics, ps), chosen so the VM
# stage stays within CI's budget (node is ~3x and fork+exec ~25x slower under
# emulation): lifecycle's placement and pause checks have their v2 twins in
# the cgroup2 project, so it runs on the host only. The v1-only files skip
# here. TSRUN_VM_INTEGRATION=all runs the whole integration project.
integration_subset=(
  test/integration/exec.test.ts
  test/integration/containerd.test.ts
  test/integration/resources-ps.test.ts
)
if [ "${TSRUN_VM_INTEGRATION:-subset}" = all ]; then integration_subset=(); fi

# label | vitest arguments (TSRUN_IN_VM=1 below also gives the integration
# project the VM's timeouts: vitest.config.mts)
runs_of() {
  case $1 in
  root)
    runs=(
      # cri.test.ts: containerd's CRI plugin with tsrun (SystemdCgroup = true), driven as the kubelet drives it
      "vm-root|--project vm test/vm/system.test.ts test/vm/root.test.ts test/vm/systemd.test.ts test/vm/cri.test.ts"
      # the cgroup v2 tests, crash fault injection on v2 among them
      # (test/cgroup2/crash-faults-v2.test.ts)
      "cgroup2|--project cgroup2"
      # runc and tsrun on 100 generated cgroup-heavy configs (runc, gcc and
      # libc6-dev are in the box); TSRUN_DIFF_CGROUP_COUNT/_SEED resize or replay it
      "differential-v2|--project differential-cgroup2"
      "integration-v2|--project integration ${integration_subset[*]}"
      # of the view from inside, what the cgroup layout shapes: namespaces (a
      # user namespace's cgroup mount, cgroup namespaces) and the cgroup mount
      # (all of container-inside.test.ts took 381 s of the stage under emulation)
      "integration-v2-inside|--project integration test/integration/container-namespaces.test.ts"
    )
    ;;
  user)
    runs=(
      "vm-user|--project vm test/vm/system.test.ts test/vm/user.test.ts test/vm/rootless.test.ts"
    )
    ;;
  *) echo "guest-run.sh: root or user, not $1" >&2; exit 2 ;;
  esac
}

# TSRUN_VM_ONLY: keep only its run, its files replacing the run's own
only_label=${TSRUN_VM_ONLY:-}
only_label=${only_label%%:*}
only_files=
[[ ${TSRUN_VM_ONLY:-} == *:* ]] && only_files=${TSRUN_VM_ONLY#*:}
if [ -n "$only_label" ]; then
  known=0
  for w in root user; do
    runs_of "$w"
    for r in "${runs[@]}"; do [ "${r%%|*}" = "$only_label" ] && known=1; done
  done
  [ $known = 1 ] || { echo "guest-run.sh: TSRUN_VM_ONLY names no run: $only_label (guest-run.sh --list)" >&2; exit 2; }
fi
select_runs() {
  [ -n "$only_label" ] || return 0
  local kept=() r a args
  for r in "${runs[@]}"; do
    [ "${r%%|*}" = "$only_label" ] || continue
    if [ -n "$only_files" ]; then
      read -r -a args <<< "${r#*|}"
      r="$only_label|"
      for a in "${args[@]}"; do [[ $a == *.test.ts ]] || r+="$a "; done
      r+=$only_files
    fi
    kept+=("$r")
  done
  runs=("${kept[@]}")
}

if [ "$who" = --list ]; then
  for w in root user; do
    runs_of "$w"
    select_runs
    for r in "${runs[@]}"; do printf '%s\t%s\t%s\n' "$w" "${r%%|*}" "${r#*|}"; done
  done
  exit 0
fi
out=${2:?usage: guest-run.sh root|user OUTDIR}
case $who in
  root) [ "$(id -u)" = 0 ] || { echo "guest-run.sh root: run as root" >&2; exit 2; } ;;
  user) [ "$(id -u)" != 0 ] || { echo "guest-run.sh user: run as an unprivileged user" >&2; exit 2; } ;;
esac
runs_of "$who"
select_runs
mkdir -p "$out"

for r in "${runs[@]}"; do echo "${r%%|*}"; done > "$out/$who.runs"
# dist/ was built on the host (the integration project must not rebuild it
# here); TSRUN_IN_VM tells the vm project where it is
export TSRUN_TEST_PREBUILT=1 TSRUN_IN_VM=1
status=0
for r in "${runs[@]}"; do
  label=${r%%|*}
  read -r -a args <<< "${r#*|}"
  echo "=== VM ($who): $label ===" >&2
  start=$SECONDS
  # shellcheck disable=SC2086
  node node_modules/vitest/vitest.mjs run "${args[@]}" ${TSRUN_VM_VITEST_ARGS:-} \
    --reporter=default --reporter=json --outputFile="$out/$label.json" || status=1
  echo "=== VM ($who): $label took $((SECONDS - start)) s ===" >&2
done
exit $status
