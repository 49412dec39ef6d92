#ifndef KVM_AGENT_CLIBVIRT_SHIM_H
#define KVM_AGENT_CLIBVIRT_SHIM_H

#include <stddef.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

// VIR_DOMAIN_EVENT_CALLBACK is a cast macro, which Swift cannot import: these wrappers
// register a typed callback through the generic virConnectDomainEventRegisterAny.
static inline int kvmshim_register_lifecycle(virConnectPtr conn,
                                             virConnectDomainEventCallback cb,
                                             void *opaque,
                                             virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                            VIR_DOMAIN_EVENT_CALLBACK(cb), opaque, freecb);
}

static inline int kvmshim_register_reboot(virConnectPtr conn,
                                          virConnectDomainEventGenericCallback cb,
                                          void *opaque,
                                          virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_REBOOT,
                                            cb, opaque, freecb);
}

static inline int kvmshim_register_agent_lifecycle(virConnectPtr conn,
                                                   virConnectDomainEventAgentLifecycleCallback cb,
                                                   void *opaque,
                                                   virFreeCallback freecb) {
    return virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                            VIR_DOMAIN_EVENT_CALLBACK(cb), opaque, freecb);
}

// VIR_CPU_MAPLEN and VIR_CPU_USABLE are macros too.
static inline int kvmshim_cpu_maplen(int cpus) { return VIR_CPU_MAPLEN(cpus); }

static inline int kvmshim_cpu_usable(const unsigned char *cpumaps, int maplen, int vcpu, int cpu) {
    return VIR_CPU_USABLE(cpumaps, maplen, vcpu, cpu) ? 1 : 0;
}

// VIR_STORAGE_POOL_EVENT_CALLBACK and VIR_NETWORK_EVENT_CALLBACK are cast macros as well.
static inline int kvmshim_register_pool_lifecycle(virConnectPtr conn,
                                                  virConnectStoragePoolEventLifecycleCallback cb,
                                                  void *opaque,
                                                  virFreeCallback freecb) {
    return virConnectStoragePoolEventRegisterAny(conn, NULL, VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
                                                 VIR_STORAGE_POOL_EVENT_CALLBACK(cb), opaque, freecb);
}

static inline int kvmshim_register_pool_refresh(virConnectPtr conn,
                                                virConnectStoragePoolEventGenericCallback cb,
                                                void *opaque,
                                                virFreeCallback freecb) {
    return virConnectStoragePoolEventRegisterAny(conn, NULL, VIR_STORAGE_POOL_EVENT_ID_REFRESH,
                                                 cb, opaque, freecb);
}

static inline int kvmshim_register_network_lifecycle(virConnectPtr conn,
                                                     virConnectNetworkEventLifecycleCallback cb,
                                                     void *opaque,
                                                     virFreeCallback freecb) {
    return virConnectNetworkEventRegisterAny(conn, NULL, VIR_NETWORK_EVENT_ID_LIFECYCLE,
                                             VIR_NETWORK_EVENT_CALLBACK(cb), opaque, freecb);
}

#endif
