#!/usr/bin/env bash
# Usage: scripts/guests/panicking-guest.sh NAME [OUTDIR] > NAME.xml
#   OUTDIR defaults to /var/lib/libvirt/images/kvm-agent
# Writes OUTDIR/NAME.img, a 512-byte boot sector that reports a guest panic
# through the ISA pvpanic device (writes 1 to port 0x505) and halts, and prints
# libvirt domain XML for domain NAME with that device and on_crash 'preserve':
# every start ends, within a second, in state crashed (reason panicked) with
# the domain still active, the case libvirt refuses to start ("already
# active") until it is destroyed.
set -euo pipefail

LIB=$(dirname "${BASH_SOURCE[0]}")/../lib
# shellcheck source=../lib/guest-args.sh
source "$LIB/guest-args.sh"
# shellcheck source=../lib/boot-sector-guest.sh
source "$LIB/boot-sector-guest.sh"
guest_args panicking-guest "$@"

# mov dx,0x0505; mov al,1 (PVPANIC_PANICKED); out dx,al; cli; hlt; jmp back to hlt.
boot_sector_guest '\xba\x05\x05\xb0\x01\xee\xfa\xf4\xeb\xfd' "    <panic model='isa'>
      <address type='isa' iobase='0x505'/>
    </panic>" | sed "s|<on_crash>destroy</on_crash>|<on_crash>preserve</on_crash>|"
