#!/bin/bash
# Configure a Debian 12 guest for tsrun's VM tests. One source for both ways a
# guest comes to exist:
#   guest-setup.sh box KEYFILE   inside the chroot of build-box.sh (offline: the
#                                packages of guest-packages are already there)
#   guest-setup.sh provision     on a running public box (VirtualBox on a
#                                laptop): installs guest-packages from the network
# The result: systemd on a pure cgroup v2 hierarchy, a `vagrant` user with
# passwordless sudo and a subuid/subgid range (rootless tests), no timers or
# services that would compete with the tests for the emulated CPUs.
set -euo pipefail
mode=${1:?usage: guest-setup.sh box KEYFILE | provision}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DEBIAN_FRONTEND=noninteractive

if [ "$mode" = provision ]; then
  mapfile -t packages < <(grep -v -e '^#' -e '^$' "$here/guest-packages")
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

# -- the vagrant user: sudo without password, Vagrant's insecure key (Vagrant
# swaps it for a fresh one on the first `vagrant up`), a subordinate id range
if ! id vagrant >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash --groups sudo vagrant
fi
printf 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n' > /etc/sudoers.d/vagrant
chmod 0440 /etc/sudoers.d/vagrant
if [ "$mode" = box ]; then
  keyfile=${2:?guest-setup.sh box: the insecure public key file}
  install -d -m 0700 -o vagrant -g vagrant /home/vagrant/.ssh
  install -m 0600 -o vagrant -g vagrant "$keyfile" /home/vagrant/.ssh/authorized_keys
fi
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  sed -i '/^vagrant:/d' "$f"
  echo 'vagrant:100000:65536' >> "$f"
done

# -- rootless cgroups: the user manager gets every controller a container
# limit may use (systemd delegates only cpu, memory and pids by default)
mkdir -p /etc/systemd/system/user@.service.d
printf '[Service]\nDelegate=cpu cpuset io memory pids\n' > /etc/systemd/system/user@.service.d/delegate.conf

# -- pure cgroup v2 (systemd 252's default, made explicit; checked by the test stage)
if [ "$mode" = provision ] && [ -f /etc/default/grub ] && ! grep -q 'systemd.unified_cgroup_hierarchy=1' /etc/default/grub; then
  sed -i 's/^GRUB_CMDLINE_LINUX="/&systemd.unified_cgroup_hierarchy=1 /' /etc/default/grub
  update-grub
fi

# -- nothing may rebuild the initramfs in the guest (minutes under emulation)
sed -i 's/^update_initramfs=.*/update_initramfs=no/' /etc/initramfs-tools/update-initramfs.conf

# -- quiet guest: the tests start their own containerd; no periodic jobs
systemctl disable containerd.service >/dev/null 2>&1 || true
systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer >/dev/null 2>&1 || true

[ "$mode" = box ] || exit 0

# ---- what only a box built from scratch needs -------------------------------
echo tsrun-vm > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\ttsrun-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' > /etc/hosts
printf 'LABEL=tsrun-root\t/\text4\terrors=remount-ro\t0\t1\n' > /etc/fstab

# DHCP on the first NIC through systemd-networkd (no ifupdown in minbase)
mkdir -p /etc/systemd/network
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nUseDomains=no\n' > /etc/systemd/network/50-dhcp.network
systemctl enable systemd-networkd.service >/dev/null 2>&1
# every box boot waits for the network before sshd is useful anyway; do not
# hold the boot for every interface
systemctl disable systemd-networkd-wait-online.service >/dev/null 2>&1 || true

# ssh host keys are made on the first boot, not baked into the box
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/systemd/system/ssh.service.d
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' > /etc/systemd/system/ssh.service.d/host-keys.conf
printf 'UseDNS no\n' > /etc/ssh/sshd_config.d/tsrun.conf

# a fresh machine-id on the first boot
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
ln -s /etc/machine-id /var/lib/dbus/machine-id

# the journal in memory: less disk I/O under emulation
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=64M\n' > /etc/systemd/journald.conf.d/tsrun.conf

apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
