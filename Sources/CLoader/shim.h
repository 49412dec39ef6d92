#ifndef KVM_AGENT_CLOADER_SHIM_H
#define KVM_AGENT_CLOADER_SHIM_H

// The dynamic loader's view of the process (glibc's <link.h>, in libc itself): which objects are loaded and
// where their segments are. Swift's Glibc module includes <link.h> without _GNU_SOURCE, which leaves out
// dl_iterate_phdr and its dl_phdr_info.
#define _GNU_SOURCE 1
#include <link.h>

#endif
