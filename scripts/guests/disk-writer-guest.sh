#!/usr/bin/env bash
# Usage: scripts/guests/disk-writer-guest.sh NAME [OUTDIR [DATA]] > NAME.xml
#   OUTDIR defaults to /var/lib/libvirt/images/kvm-agent; DATA to OUTDIR/NAME.data.img
# Writes OUTDIR/NAME.img, a 512-byte boot sector that writes itself once to the
# first sector of its second disk (BIOS int 13h, drive 0x81) and then halts,
# creates DATA as a 1 MiB sparse file if it is missing, and prints libvirt
# domain XML for domain NAME with DATA as disk hdb (error_policy 'stop').
# With DATA on a full file system the write fails with ENOSPC, and qemu pauses
# the guest with an I/O error: libvirt's io-error event, for real. With a
# block threshold set on hdb before the guest runs (start it paused), the
# write crosses it: libvirt's block-threshold event.
set -euo pipefail

LIB=$(dirname "${BASH_SOURCE[0]}")/../lib
# shellcheck source=../lib/guest-args.sh
source "$LIB/guest-args.sh"
# shellcheck source=../lib/boot-sector-guest.sh
source "$LIB/boot-sector-guest.sh"
guest_args disk-writer-guest "${@:1:2}"
DATA=${3:-$OUTDIR/$NAME.data.img}

mkdir -p "$OUTDIR"
[ -e "$DATA" ] || truncate -s 1M "$DATA"

# xor ax,ax; mov ds,ax; mov es,ax; mov ax,0x0301 (write 1 sector); mov cx,0x0001
# (cylinder 0, sector 1); mov dx,0x0081 (head 0, drive 0x81); mov bx,0x7c00 (this
# sector as the data); int 0x13; cli; hlt; jmp back to hlt.
boot_sector_guest '\x31\xc0\x8e\xd8\x8e\xc0\xb8\x01\x03\xb9\x01\x00\xba\x81\x00\xbb\x00\x7c\xcd\x13\xfa\xf4\xeb\xfd' \
    "    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' error_policy='stop'/>
      <source file='$DATA'/>
      <target dev='hdb' bus='ide'/>
    </disk>"
