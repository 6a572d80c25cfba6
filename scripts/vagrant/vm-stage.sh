#!/bin/bash
# One life of the test VM, run by test-vagrant.sh inside sandbox.sh (so
# Vagrant, its ssh, libvirt and the VM's network are in the sandbox's network
# namespace): `vagrant up`, the host's node binary in, guest-run.sh as root and
# as `vagrant`, the reports back to TSRUN_VAGRANT_RESULTS, `vagrant destroy -f`.
# Exit status: 0 all runs passed, 1 a run failed, 125 the VM did not come up.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
run=${TSRUN_SANDBOX_RUN:?vm-stage.sh runs inside sandbox.sh}
results=${TSRUN_VAGRANT_RESULTS:?}
say() { echo "[vagrant] $*" >&2; }
timing() { echo "$1 $2" >> "$results/timings.txt"; say "$1: $2 s"; }
export VAGRANT_DOTFILE_PATH=$run/dot TSRUN_VAGRANT_CONSOLE_LOG=$run/console.log
cd "$root"

keep_logs() {
  cp "$run/console.log" "$results/vm-console.log" 2>/dev/null || true
  # without the progress bars of the box upload
  sed 's/\r/\n/g' "$run/vagrant.log" 2>/dev/null | grep -v -e 'Progress: ' -e '^\s*$' > "$results/vagrant.log" || true
}
destroy() {
  local t=$SECONDS
  vagrant destroy -f >> "$run/vagrant.log" 2>&1 || say "vagrant destroy failed (the sandbox's sweep stops the VM)"
  timing destroy $((SECONDS - t))
}

t=$SECONDS
say "vagrant up (libvirt in the sandbox; on failure its log and the guest console are kept)"
trap destroy EXIT
# each line of Vagrant's output with the seconds since `up` began
stamp() { while IFS= read -r line; do printf '%4d %s\n' $((SECONDS - t)) "$line"; done; }
if ! vagrant up --provider libvirt 2>&1 | stamp > "$run/vagrant.log"; then
  keep_logs
  tail -n 20 "$results/vagrant.log" >&2
  say "vagrant up failed: the guest's console is in $results/vm-console.log"
  exit 125
fi
timing up $((SECONDS - t))

vagrant ssh-config > "$run/ssh-config"
ssh_cmd="ssh -F $run/ssh-config -o ServerAliveInterval=15 -o ServerAliveCountMax=8"
guest() { $ssh_cmd default "$@"; }
# the host's node (Debian 12's own is 18): it runs unchanged in the guest
rsync -t -e "$ssh_cmd" --rsync-path='sudo rsync' "$(readlink -f "$(command -v node)")" default:/usr/local/bin/node

pass_env=''
for v in TSRUN_VM_INTEGRATION TSRUN_VM_VITEST_ARGS TSRUN_VM_ONLY TSRUN_DIFF_CGROUP_COUNT TSRUN_DIFF_CGROUP_SEED TSRUN_FAULT_SEED TSRUN_FAULT_KILLS_V2; do
  [ -n "${!v:-}" ] && pass_env+=" $v=$(printf '%q' "${!v}")"
done
status=0
t=$SECONDS
guest "sudo env$pass_env bash /vagrant/scripts/vagrant/guest-run.sh root /tmp/tsrun-results/root" || status=1
timing tests-root $((SECONDS - t))
t=$SECONDS
# (a directory of the user's own: root made /tmp/tsrun-results)
guest "env$pass_env bash /vagrant/scripts/vagrant/guest-run.sh user /tmp/tsrun-results-user" || status=1
timing tests-user $((SECONDS - t))
for dir in /tmp/tsrun-results/root /tmp/tsrun-results-user; do
  rsync -e "$ssh_cmd" -r "default:$dir/" "$results/" || status=1
done
[ $status = 0 ] || keep_logs
exit $status
