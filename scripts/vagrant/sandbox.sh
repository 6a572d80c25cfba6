#!/bin/bash
# Run COMMAND with a private libvirt: libvirtd, virtlogd, their networks,
# dnsmasq, iptables rules, the VM and Vagrant's ssh all live in a network
# namespace of their own, so nothing is added to this machine's network
# (no bridge, address, route, rule or ip_forward change), and in a private
# mount namespace whose /etc/libvirt, /var/lib/libvirt, /run/libvirt,
# /var/log/libvirt and /var/cache/libvirt are directories of this run, so the
# host's libvirt configuration and state are not touched either.
#
#   sandbox.sh RUNDIR -- COMMAND [ARG...]
#
# RUNDIR is created (scratch space, removed afterwards); COMMAND runs inside
# with the libvirt daemons up, LIBVIRT_DEFAULT_URI set and TSRUN_SANDBOX_RUN
# naming RUNDIR. When COMMAND ends (or this script is killed, or the hard
# timeout TSRUN_VAGRANT_TIMEOUT seconds passes) every process in the
# namespace is killed and the namespace and RUNDIR are removed.
# Exit status: COMMAND's; 124 on timeout.
set -euo pipefail
run=${1:?usage: sandbox.sh RUNDIR -- COMMAND [ARG...]}
shift
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "usage: sandbox.sh RUNDIR -- COMMAND [ARG...]" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${TSRUN_VAGRANT_CACHE:-/var/cache/tsrun-vagrant}
timeout_s=${TSRUN_VAGRANT_TIMEOUT:-3000}
say() { echo "[sandbox] $*" >&2; }

if [ "${TSRUN_SANDBOX_INSIDE:-}" != 1 ]; then
  # ---- outside: the namespace, the hard timeout and the sweep ---------------------
  [ "$(id -u)" = 0 ] || { echo "sandbox.sh: run as root" >&2; exit 2; }
  for tool in ip libvirtd virtlogd iptables timeout; do
    command -v "$tool" >/dev/null || { echo "sandbox.sh: $tool is missing: run scripts/install-deps.sh" >&2; exit 2; }
  done
  ns="tsrun-vagrant-$$"
  mkdir -p "$run"
  run=$(cd "$run" && pwd)
  # sweep NS RUN: kill every process in the namespace (libvirtd, virtlogd,
  # dnsmasq, qemu, vagrant, ssh), then remove the namespace and RUN
  sweep() {
    local ns=$1 run=$2 pids tries=0
    while pids=$(ip netns pids "$ns" 2>/dev/null) && [ -n "$pids" ] && [ $tries -lt 50 ]; do
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      sleep 0.1
      tries=$((tries + 1))
    done
    [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || say "warning: processes left in $ns: $(ip netns pids "$ns" | tr '\n' ' ')"
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$run"
  }
  # namespaces of earlier runs whose sandbox.sh is gone (SIGKILLed before its
  # reaper could act, or the machine rebooted)
  for stale in $(ip netns list 2>/dev/null | awk '$1 ~ /^tsrun-vagrant-[0-9]+$/ { print $1 }'); do
    kill -0 "${stale#tsrun-vagrant-}" 2>/dev/null && continue
    say "removing $stale, left by a killed run"
    sweep "$stale" /nonexistent
  done
  trap 'sweep "$ns" "$run"' EXIT
  trap 'exit 130' INT TERM HUP
  # A reaper in a session of its own: when this script dies without running
  # its EXIT trap (SIGKILL, e.g. CI's timeout killing the process group), it
  # sweeps the namespace, the VM and the daemons within a second.
  outer=$$
  setsid bash -c "$(declare -f say sweep); while kill -0 $outer 2>/dev/null; do sleep 1; done; [ -e /run/netns/$ns ] && sweep $ns '$run'" \
    </dev/null >/dev/null 2>&1 &
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  status=0
  TSRUN_SANDBOX_INSIDE=1 timeout --kill-after=20 "$timeout_s" \
    ip netns exec "$ns" "$here/sandbox.sh" "$run" -- "$@" || status=$?
  [ $status = 124 ] && say "hard timeout (${timeout_s} s): killing everything in $ns"
  exit $status
fi

# ---- inside: `ip netns exec` gave us the namespace and a mount namespace of our
# own (slave to the host's), so the bind mounts below stay here ---------------------
mount --make-rprivate /
for d in etc lib run log; do mkdir -p "$run/libvirt-$d"; done
mkdir -p "$cache/libvirt-cache"
cp -a /etc/libvirt/. "$run/libvirt-etc/"
# no network of the package's (default: virbr0) in this libvirt
rm -f "$run/libvirt-etc/qemu/networks/autostart/"*.xml "$run/libvirt-etc/qemu/networks/"*.xml
cat >> "$run/libvirt-etc/qemu.conf" <<'EOF'

# tsrun sandbox (scripts/vagrant/sandbox.sh)
# qemu as root: libvirt otherwise re-probes qemu for ~45 s on every start
user = "root"
group = "root"
# no cgroups of the host's for the VM, no security driver
cgroup_controllers = [ ]
security_driver = "none"
EOF
# (the package's own directories; /run/libvirt is missing where no libvirtd ever ran)
mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
mount --bind "$run/libvirt-etc" /etc/libvirt
mount --bind "$run/libvirt-lib" /var/lib/libvirt
mount --bind "$run/libvirt-run" /run/libvirt
mount --bind "$run/libvirt-log" /var/log/libvirt
# the qemu capabilities cache survives runs (probing qemu costs seconds)
mount --bind "$cache/libvirt-cache" /var/cache/libvirt

virtlogd --daemon --pid-file "$run/virtlogd.pid"
libvirtd --daemon --pid-file "$run/libvirtd.pid"
for _ in $(seq 1 300); do
  [ -S /run/libvirt/libvirt-sock ] && break
  sleep 0.1
done
[ -S /run/libvirt/libvirt-sock ] || { say "libvirtd did not start (see $run/libvirt-log)"; exit 125; }
export LIBVIRT_DEFAULT_URI=qemu:///system TSRUN_SANDBOX_RUN=$run
status=0
"$@" || status=$?
# an orderly stop where possible; the outer sweep kills whatever is left
for p in libvirtd virtlogd; do
  [ -f "$run/$p.pid" ] && kill "$(cat "$run/$p.pid")" 2>/dev/null || true
done
exit $status
