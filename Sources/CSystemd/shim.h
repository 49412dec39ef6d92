#ifndef KVM_AGENT_CSYSTEMD_SHIM_H
#define KVM_AGENT_CSYSTEMD_SHIM_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

// sd_bus_call_method and sd_bus_message_read are variadic, which Swift cannot call: these wrappers fix the
// signatures the agent needs. Each returns libsystemd's convention: >= 0 on success, a negative errno on failure.

// Calls org.freedesktop.systemd1.Manager.<method>(s name) -> (o path); *path must be freed by the caller.
static inline int kvmshim_bus_unit_path(sd_bus *bus, const char *method, const char *unit, char **path,
                                        sd_bus_error *error) {
    sd_bus_message *reply = NULL;
    const char *object = NULL;
    int r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", method, error, &reply, "s", unit);
    if (r < 0) {
        return r;
    }
    r = sd_bus_message_read(reply, "o", &object);
    if (r >= 0) {
        *path = strdup(object);
        r = *path ? 0 : -ENOMEM;
    }
    sd_bus_message_unref(reply);
    return r;
}

// Reads a string property of the object at path; *out must be freed by the caller.
static inline int kvmshim_bus_get_string_property(sd_bus *bus, const char *path, const char *interface,
                                                  const char *member, char **out, sd_bus_error *error) {
    return sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, interface, member, error, out);
}

// SD_BUS_ERROR_NULL is a compound-literal macro.
static inline sd_bus_error kvmshim_bus_error_null(void) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    return error;
}

#endif
