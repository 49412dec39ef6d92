/*
 * The libvirt floor: the libvirt calls of one kvm-agent collector pass, made from C with nothing else
 * around them, so that the agent's own cost can be told apart from libvirt's (client library + libvirtd).
 *
 * A pass, as the agent makes it (Sources/KVMCore/Collection, Sources/LibvirtHypervisor):
 *   control connection: virConnectGetAllDomainStats(state): every domain and its state in one call;
 *   stats connection:   virDomainListGetStats over the running ones with the agent's groups, NOWAIT;
 *   control connection: virDomainGetVcpus for each running domain (buffer for the domain's vcpu.maximum
 *                       from the bulk answer, as the agent; the agent makes it every
 *                       --collector.vcpuinfo.interval, not every pass, and bench/compare.py leaves it out);
 *   control connection: the storage pools and networks (see storage()).
 *
 * Usage: floor PASSES LIBVIRTD_PID [GROUPS]
 *   GROUPS: comma-separated subset of state,cpu-total,balloon,vcpu,interface,block,vcpuinfo,storage
 *           (default: all; "vcpuinfo" is the per-domain virDomainGetVcpus, "storage" the pools and networks),
 *           and "before13" for the pass before issue 13: virConnectListAllDomains then virDomainListGetStats
 *           (state) over the list, and virDomainGetVcpus with a buffer for 1024 vCPUs.
 * Prints one line: passes, client CPU ms per pass, libvirtd CPU ms per pass, running domains.
 * Build: gcc -O2 -o floor floor.c -lvirt
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_VCPUS 1024

static double process_cpu_seconds(long pid) {
    char path[64], buffer[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    size_t length = fread(buffer, 1, sizeof buffer - 1, file);
    fclose(file);
    buffer[length] = 0;
    /* Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th. */
    char *rest = strrchr(buffer, ')');
    unsigned long utime = 0, stime = 0;
    if (!rest || sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

static double own_cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static int wants(const char *list, const char *name) {
    if (!list) return 1;
    size_t length = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += length)
        if ((p == list || p[-1] == ',') && (p[length] == ',' || p[length] == 0)) return 1;
    return 0;
}

static unsigned int stats_groups(const char *list) {
    static const struct { const char *name; unsigned int flag; } groups[] = {
        {"state", VIR_DOMAIN_STATS_STATE},     {"cpu-total", VIR_DOMAIN_STATS_CPU_TOTAL},
        {"balloon", VIR_DOMAIN_STATS_BALLOON}, {"vcpu", VIR_DOMAIN_STATS_VCPU},
        {"interface", VIR_DOMAIN_STATS_INTERFACE}, {"block", VIR_DOMAIN_STATS_BLOCK},
    };
    unsigned int flags = 0;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (wants(list, groups[i].name)) flags |= groups[i].flag;
    return flags;
}

/* Handles on the stats connection for the running domains, looked up once as the agent caches them. */
static virDomainPtr running[4096];
static int active;

static int is_running(virDomainStatsRecordPtr record) {
    int state = VIR_DOMAIN_NOSTATE;
    virTypedParamsGetInt(record->params, record->nparams, "state.state", &state);
    return state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_NOSTATE;
}

/* The pools and networks as LibvirtHypervisor+Storage.swift reads them. */
static int storage(virConnectPtr control) {
    virStoragePoolPtr *pools = NULL;
    int count = virConnectListAllStoragePools(control, &pools, 0);
    if (count < 0) return -1;
    for (int i = 0; i < count; i++) {
        virStoragePoolInfo info;
        int flag;
        virStoragePoolGetInfo(pools[i], &info);
        free(virStoragePoolGetXMLDesc(pools[i], 0));
        virStoragePoolGetAutostart(pools[i], &flag);
        virStoragePoolIsPersistent(pools[i]);
        if (info.state == VIR_STORAGE_POOL_RUNNING || info.state == VIR_STORAGE_POOL_DEGRADED)
            virStoragePoolNumOfVolumes(pools[i]);
        virStoragePoolFree(pools[i]);
    }
    free(pools);
    virNetworkPtr *networks = NULL;
    count = virConnectListAllNetworks(control, &networks, 0);
    if (count < 0) return -1;
    for (int i = 0; i < count; i++) {
        int flag, active = virNetworkIsActive(networks[i]);
        virNetworkGetAutostart(networks[i], &flag);
        virNetworkIsPersistent(networks[i]);
        free(virNetworkGetBridgeName(networks[i]));
        if (active == 1) virNetworkGetDHCPLeases(networks[i], NULL, NULL, 0);
        virNetworkFree(networks[i]);
    }
    free(networks);
    virResetLastError();
    return 0;
}

/* vcpu.maximum of the bulk answer, by domain UUID, for sizing virDomainGetVcpus's buffer as the agent does. */
static unsigned char maximum_uuid[4096][VIR_UUID_BUFLEN];
static unsigned int maximum_vcpus[4096];
static int maximums;

static int vcpu_buffer(virDomainPtr domain, int before) {
    unsigned char uuid[VIR_UUID_BUFLEN];
    if (before || virDomainGetUUID(domain, uuid) < 0) return MAX_VCPUS;
    for (int i = 0; i < maximums; i++)
        if (memcmp(maximum_uuid[i], uuid, VIR_UUID_BUFLEN) == 0 && maximum_vcpus[i] > 0) return maximum_vcpus[i];
    return MAX_VCPUS;
}

/* One pass; returns 0, or -1 on a libvirt error. With `lookup`, fills `running` first. */
static int pass(virConnectPtr control, virConnectPtr stats, unsigned int groups, int vcpuinfo, int with_storage, int cpus,
                int lookup, int before) {
    virDomainPtr *all = NULL, *list = NULL;
    int count = 0, records;
    virDomainStatsRecordPtr *states = NULL;
    if (before) {
        count = virConnectListAllDomains(control, &all, 0);
        if (count < 0) return -1;
        list = calloc(count + 1, sizeof *list);
        memcpy(list, all, count * sizeof *list);
        records = virDomainListGetStats(list, VIR_DOMAIN_STATS_STATE, &states, VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
    } else {
        records = virConnectGetAllDomainStats(control, VIR_DOMAIN_STATS_STATE, &states,
                                              VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
    }
    if (records < 0) return -1;
    for (int i = 0; lookup && i < records; i++) {
        if (!is_running(states[i]) || active == 4096) continue;
        unsigned char uuid[VIR_UUID_BUFLEN];
        virDomainGetUUID(states[i]->dom, uuid);
        virDomainPtr handle = virDomainLookupByUUID(stats, uuid);
        if (handle) running[active++] = handle;
    }
    if (groups && active > 0) {
        virDomainStatsRecordPtr *values = NULL;
        int got = virDomainListGetStats(running, groups, &values, VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
        if (got < 0) return -1;
        maximums = 0;
        for (int i = 0; i < got && maximums < 4096; i++) {
            unsigned int maximum = 0;
            virTypedParamsGetUInt(values[i]->params, values[i]->nparams, "vcpu.maximum", &maximum);
            virDomainGetUUID(values[i]->dom, maximum_uuid[maximums]);
            maximum_vcpus[maximums++] = maximum;
        }
        virDomainStatsRecordListFree(values);
    }
    if (vcpuinfo) {
        int maplen = VIR_CPU_MAPLEN(cpus);
        virVcpuInfoPtr infos = calloc(MAX_VCPUS, sizeof *infos);
        unsigned char *maps = calloc(MAX_VCPUS, maplen);
        for (int i = 0; i < records; i++)
            if (is_running(states[i]))
                virDomainGetVcpus(states[i]->dom, infos, vcpu_buffer(states[i]->dom, before), maps, maplen);
        free(infos);
        free(maps);
    }
    if (with_storage && storage(control) < 0) return -1;
    virDomainStatsRecordListFree(states);
    for (int i = 0; i < count; i++) virDomainFree(all[i]);
    free(list);
    free(all);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PASSES LIBVIRTD_PID [GROUPS]\n", argv[0]);
        return 64;
    }
    int passes = atoi(argv[1]);
    long daemon = atol(argv[2]);
    const char *list = argc > 3 ? argv[3] : NULL;
    virConnectPtr control = virConnectOpen("qemu:///system"), stats = virConnectOpen("qemu:///system");
    if (!control || !stats) return 1;
    int cpus = virNodeGetCPUMap(control, NULL, NULL, 0);
    unsigned int groups = stats_groups(list);
    int vcpuinfo = wants(list, "vcpuinfo"), with_storage = wants(list, "storage");
    int before = list && wants(list, "before13");
    if (pass(control, stats, groups, vcpuinfo, with_storage, cpus, 1, before) < 0) return 1; /* warm-up, and the lookups */
    double own = own_cpu_seconds(), daemon_cpu = process_cpu_seconds(daemon);
    for (int i = 0; i < passes; i++)
        if (pass(control, stats, groups, vcpuinfo, with_storage, cpus, 0, before) < 0) return 1;
    own = own_cpu_seconds() - own;
    daemon_cpu = process_cpu_seconds(daemon) - daemon_cpu;
    printf("%d %.3f %.3f %d\n", passes, own * 1000 / passes, daemon_cpu * 1000 / passes, active);
    virConnectClose(stats);
    virConnectClose(control);
    return 0;
}
