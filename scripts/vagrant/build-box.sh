#!/bin/bash
# Build the libvirt box `tsrun/debian12` from Debian's packages, offline from
# any box catalogue, and add it to Vagrant. Skipped when the box of the current
# recipe is already added: the recipe (this script, guest-setup.sh,
# guest-packages) is hashed into a key kept beside the cache, so a changed
# recipe rebuilds and an unchanged one costs nothing.
#
#   build-box.sh [--force]
#
# How: debootstrap of bookworm with every guest package baked in (installing
# packages in the emulated guest is slow, and rebuilding its initramfs takes
# minutes), guest-setup.sh in the chroot, then a raw disk with one MBR
# partition (ext4 without 64bit, extlinux: grub-install fails on loop devices
# here), converted to qcow2 and packed with metadata.json as a libvirt box.
#
# Environment:
#   TSRUN_VAGRANT_CACHE   cache dir (default /var/cache/tsrun-vagrant): the
#                         downloaded .debs and the box key live here
#   VAGRANT_HOME          where Vagrant keeps its boxes (default ~/.vagrant.d)
#   TSRUN_VAGRANT_MIRROR  Debian mirror (default: the one apt uses here)
# Needs root (debootstrap, loop devices, mount).
set -euo pipefail
# in a mount namespace of its own: every mount below vanishes with the process
if [ "${TSRUN_BOX_MOUNT_NS:-}" != 1 ] && [ "$(id -u)" = 0 ]; then
  TSRUN_BOX_MOUNT_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${TSRUN_VAGRANT_CACHE:-/var/cache/tsrun-vagrant}
box_name=tsrun/debian12
force=0
[ "${1:-}" = --force ] && force=1
say() { echo "[box] $*" >&2; }
die() { echo "[box] error: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, loop devices)"
for tool in debootstrap extlinux qemu-img sfdisk mkfs.ext4 vagrant; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh"
done

key=$(cat "$here/build-box.sh" "$here/guest-setup.sh" "$here/guest-packages" | sha256sum | cut -c1-16)
vagrant_home=${VAGRANT_HOME:-$HOME/.vagrant.d}
box_dir="$vagrant_home/boxes/${box_name//\//-VAGRANTSLASH-}/0/libvirt"
stamp="$box_dir/tsrun-box-key"

mkdir -p "$cache"
exec 8>"$cache/.build.lock"
flock 8
if [ $force = 0 ] && [ -f "$box_dir/box.img" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
  say "$box_name is current (key $key)"
  exit 0
fi

mirror=${TSRUN_VAGRANT_MIRROR:-}
if [ -z "$mirror" ]; then
  # the mirror apt uses on this machine (deb822 or one-line sources)
  mirror=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null |
    awk '/^(URIs:|deb )/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
insecure_key=
for f in /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub /opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub; do
  [ -f "$f" ] && insecure_key=$f
done
[ -n "$insecure_key" ] || die "Vagrant's insecure public key (keys/vagrant.pub) not found"

work=$(mktemp -d "$cache/build.XXXXXX")
# unmount whatever is mounted below $work (deepest first), then delete it
# without ever crossing into a mount (a bind-mounted /dev among them)
unmount_under() {
  awk -v w="$1/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}
cleanup() {
  unmount_under "$work"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
t0=$SECONDS

# ---- root filesystem ----------------------------------------------------------
mapfile -t packages < <(grep -v -e '^#' -e '^$' "$here/guest-packages")
mkdir -p "$cache/debs"
say "debootstrap bookworm from $mirror (${#packages[@]} packages)"
# two stages, so the initramfs configuration is in place before the kernel's
# postinst builds it: only the modules a virtio disk with ext4 needs (a small
# initramfs builds in seconds and unpacks fast in an emulated guest)
debootstrap --foreign --variant=minbase --cache-dir="$cache/debs" --include="$(IFS=,; echo "${packages[*]}")" \
  bookworm "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
mkdir -p "$work/rootfs/etc/initramfs-tools/conf.d"
echo 'MODULES=list' > "$work/rootfs/etc/initramfs-tools/conf.d/tsrun-vm"
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic > "$work/rootfs/etc/initramfs-tools/modules"
chroot "$work/rootfs" /debootstrap/debootstrap --second-stage >> "$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap (second stage) failed"; }
unmount_under "$work/rootfs"
say "debootstrap done in $((SECONDS - t0)) s"

mkdir -p "$work/rootfs/root/tsrun-setup"
cp "$here/guest-setup.sh" "$here/guest-packages" "$work/rootfs/root/tsrun-setup/"
cp "$insecure_key" "$work/rootfs/root/tsrun-setup/vagrant.pub"
mount -t proc proc "$work/rootfs/proc"
mount --bind /dev "$work/rootfs/dev"
chroot "$work/rootfs" /bin/bash /root/tsrun-setup/guest-setup.sh box /root/tsrun-setup/vagrant.pub
unmount_under "$work/rootfs"
rm -rf "$work/rootfs/root/tsrun-setup"

# drivers a virtual machine never loads (sound, graphics, radios, ...): a
# smaller box uploads faster into libvirt's pool on every `vagrant up`
for d in sound drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/bluetooth \
  drivers/staging drivers/isdn drivers/iio drivers/input/touchscreen net/wireless net/mac80211 net/bluetooth; do
  rm -rf "$work/rootfs/usr/lib/modules/"*/kernel/$d
done
kernel=$(cd "$work/rootfs/boot" && ls vmlinuz-* | sort -V | tail -n1)
chroot "$work/rootfs" depmod "${kernel#vmlinuz-}"
initrd=initrd.img-${kernel#vmlinuz-}
[ -f "$work/rootfs/boot/$initrd" ] || die "no initramfs for $kernel in the root filesystem"

# ---- disk: one bootable MBR partition from 1 MiB, ext4, extlinux -----------------
size_gib=16
offset=$((1024 * 1024))
truncate -s "${size_gib}G" "$work/disk.raw"
echo 'start=2048, type=83, bootable' | sfdisk -q --label dos "$work/disk.raw"
dd if=/usr/lib/EXTLINUX/mbr.bin of="$work/disk.raw" bs=440 count=1 conv=notrunc status=none
# 64bit ext4 is not bootable by this extlinux; the file system starts at the
# partition's offset inside the raw file (no partition scan of a loop device)
mkfs.ext4 -q -L tsrun-root -O ^64bit -E offset=$offset "$work/disk.raw" $((size_gib * 1024 - 1))M
mkdir -p "$work/mnt"
# a loop device that goes away with the mount (autoclear), even if we are killed
mount -o loop,offset=$offset "$work/disk.raw" "$work/mnt"
cp -a "$work/rootfs/." "$work/mnt/"
mkdir -p "$work/mnt/boot/extlinux"
cat > "$work/mnt/boot/extlinux/extlinux.conf" <<EOF
DEFAULT debian
PROMPT 0
TIMEOUT 0
LABEL debian
  LINUX /boot/$kernel
  INITRD /boot/$initrd
  APPEND root=LABEL=tsrun-root rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 quiet
EOF
extlinux --install "$work/mnt/boot/extlinux" 2>/dev/null
umount "$work/mnt"
rm -rf --one-file-system "$work/rootfs"

# ---- the box ---------------------------------------------------------------------
mkdir -p "$work/box"
qemu-img convert -O qcow2 "$work/disk.raw" "$work/box/box.img"
rm -f "$work/disk.raw"
printf '{"provider":"libvirt","format":"qcow2","virtual_size":%d}\n' "$size_gib" > "$work/box/metadata.json"
cat > "$work/box/Vagrantfile" <<'EOF'
# tsrun/debian12, built by scripts/vagrant/build-box.sh
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.disk_bus = "virtio"
  end
end
EOF
# uncompressed: a local cache, unpacked once by `vagrant box add`
tar -cf "$work/tsrun-debian12.box" -C "$work/box" metadata.json Vagrantfile box.img
rm -rf "$work/box"
say "box packed in $((SECONDS - t0)) s total; adding it to Vagrant"
VAGRANT_CHECKPOINT_DISABLE=1 vagrant box add --force --name "$box_name" "$work/tsrun-debian12.box" >&2
echo "$key" > "$stamp"
say "$box_name built and added in $((SECONDS - t0)) s (key $key)"
