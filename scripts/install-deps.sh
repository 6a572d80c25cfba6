#!/usr/bin/env bash
# Install what a fresh Debian 12 / Ubuntu machine lacks to build and test tsrun.
# Package scripts must not start services here (containerd is started by the
# tests themselves, privately), hence the policy-rc.d guard.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
PACKAGES=(
  build-essential python3 pkg-config # the addon (node-gyp)
  libseccomp-dev                     # seccomp compiler in the addon
  libzstd-dev                        # zstd layers, decoded in the addon
  busybox-static                     # test and demo root filesystems
  runc crun                          # reference runtimes (bench, comparisons)
  containerd                         # containerd-shim-runc-v2 integration tests
  # the test VM (Vagrantfile, scripts/vagrant/): Vagrant with libvirt and qemu,
  # the box built locally with debootstrap and extlinux, ssh and rsync to the guest
  vagrant vagrant-libvirt libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 qemu-utils debootstrap extlinux syslinux-common fdisk
  dnsmasq-base iptables rsync openssh-client
  clang-format                       # npm run lint: the C style (.clang-format)
  docker-registry skopeo umoci       # image tests: a loopback registry, pushes, reference unpacks
  apache2-utils openssl attr libcap2-bin zstd  # htpasswd, test CAs, getfattr, setcap, tar --zstd
  containernetworking-plugins iptables # CNI: bridge, host-local, loopback, portmap, firewall (issue 14)
  podman                             # bench peer: container run --rm, network attach (issues 12, 14)
  util-linux bsdutils procps iproute2 jq strace hyperfine
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  guard=/usr/sbin/policy-rc.d
  had_guard=0; [ -e "$guard" ] && had_guard=1
  [ $had_guard = 1 ] || { printf '#!/bin/sh\nexit 101\n' > "$guard"; chmod +x "$guard"; }
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
  [ $had_guard = 1 ] || rm -f "$guard"
fi
command -v node >/dev/null || { echo "install-deps: Node.js 20 is required (not installed)" >&2; exit 1; }
