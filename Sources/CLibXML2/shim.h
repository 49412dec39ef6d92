#ifndef KVM_AGENT_CLIBXML2_SHIM_H
#define KVM_AGENT_CLIBXML2_SHIM_H

#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, and its encoding header then includes ICU's headers, whose types clash with
// the ICU copy inside Foundation in any Swift file that imports both. The agent never touches the encoding
// handlers those headers describe (only nodes, attributes, namespaces and errors), so they are left out.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

// xmlFree is a variable holding a function pointer, or a macro over one when libxml2 keeps per-thread
// allocators; either way Swift cannot call it as declared.
static inline void kvmshim_xml_free(void *pointer) {
    xmlFree(pointer);
}

#endif
