#ifndef KVM_AGENT_CLOADER_SHIM_H
#define KVM_AGENT_CLOADER_SHIM_H

// The dynamic loader's view of the process (glibc's dl_iterate_phdr, in libc itself): which objects are loaded
// and where their segments are. glibc declares it only under _GNU_SOURCE, and defining that here would give this
// module other definitions of shared types (fd_set's member is __fds_bits without it, fds_bits with it) than the
// modules Swift builds without it, which a clean build rejects. So the declaration is this module's own: the
// leading fields of struct dl_phdr_info, which glibc keeps stable (later fields are announced by the size the
// callback gets), and a prototype bound to glibc's symbol by an asm label so no other declaration can clash.
#include <link.h>
#include <stddef.h>

struct kvm_loaded_object {
    ElfW(Addr) address;
    const char *name;
    const ElfW(Phdr) *segments;
    ElfW(Half) segmentCount;
};

extern int kvm_iterate_loaded_objects(int (*callback)(struct kvm_loaded_object *, size_t, void *), void *context)
    __asm__("dl_iterate_phdr");

#endif
