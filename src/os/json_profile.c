/*
 * json_profile.c - LibVMI's JSON-profile calls (<libvmi/libvmi_extra.h>
 * with LIBVMI_EXTRA_JSON) over TinyVMI's ISF reader (isf.c).
 *
 * LibVMI hands programs json-c's json_object; TinyVMI has no json-c, so the
 * json_object it hands out is its own: a magic number and the loaded
 * table.  Programs only pass it back, and every call checks the magic
 * before anything else, so a real json-c object (whose first word is a
 * small type number) or a handle from a destroyed instance is refused with
 * a reason instead of being read as ours.  One handle per instance, loaded
 * from the configured volatility_ist on first use and freed with the
 * instance (core_set_profile); it is independent of the OS layers, so the
 * calls work before (or without) vmi_init_os, on Windows and Linux tables
 * alike.
 *
 * Must not: read guest memory, or touch a handle before checking its
 * magic.
 */
#define LIBVMI_EXTRA_JSON
#include <libvmi/libvmi_extra.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/isf.h"
#include "util/strutil.h"

/* "TVMIJSON" as a little-endian word; cleared when the handle is freed. */
#define JSON_MAGIC UINT64_C(0x4e4f534a494d5654)

struct json_object {
    uint64_t magic;
    isf_t *isf;
};

static void handle_free(void *p)
{
    json_object *j = p;
    j->magic = 0;
    isf_free(j->isf);
    free(j);
}

/* The instance's handle, loading the configured profile the first time. */
static json_object *kernel_json(vmi_instance_t vmi)
{
    json_object *j = core_get_profile(vmi);
    const char *path;

    if (j)
        return j;
    path = core_config_get(vmi, "volatility_ist");
    if (!path) {
        core_error(vmi, core_config_get(vmi, "rekall_profile")
                            ? "rekall_profile is set, but Rekall profiles are not supported; "
                              "give a Volatility 3 ISF file (volatility_ist)"
                            : "no JSON profile: set volatility_ist in the config (or pass its "
                              "path with VMI_CONFIG_JSON_PATH)");
        return NULL;
    }
    if (!(j = calloc(1, sizeof(*j)))) {
        core_error(vmi, "out of memory for the JSON profile handle");
        return NULL;
    }
    if (!(j->isf = isf_load_file(path, core_err(vmi)))) {
        free(j);
        core_error_prefix(vmi, "JSON profile (volatility_ist)");
        return NULL;
    }
    j->magic = JSON_MAGIC;
    core_set_profile(vmi, j, handle_free);
    return j;
}

json_object *vmi_get_kernel_json(vmi_instance_t vmi)
{
    CORE_API_PTR(vmi, json_object *, vmi ? kernel_json(vmi) : NULL);
}

/* The OS a table is for, and its ostype name. */
static os_t isf_os_type(isf_os_t os, const char **name)
{
    switch (os) {
    case ISF_OS_WINDOWS: *name = "Windows"; return VMI_OS_WINDOWS;
    case ISF_OS_LINUX: *name = "Linux"; return VMI_OS_LINUX;
    case ISF_OS_MAC: *name = "OSX"; return VMI_OS_OSX;
    default: *name = "unknown"; return VMI_OS_UNKNOWN;
    }
}

static os_t init_profile(vmi_instance_t vmi, vmi_config_t config_mode, void *config)
{
    vmi_init_error_t stage;
    const char *ostype, *name;
    json_object *j;
    os_t os;

    if (!vmi)
        return VMI_OS_UNKNOWN;
    /* As vmi_init_os: NULL config means the global file's entry. */
    if ((config || config_mode == VMI_CONFIG_GLOBAL_FILE_ENTRY) &&
        core_load_config(vmi, config_mode, config, &stage) != VMI_SUCCESS)
        return VMI_OS_UNKNOWN;
    if (!(j = kernel_json(vmi)))
        return VMI_OS_UNKNOWN;
    if ((os = isf_os_type(isf_os(j->isf), &name)) == VMI_OS_UNKNOWN) {
        core_error(vmi, "JSON profile %s names no OS (metadata has no windows, linux or mac)",
                   isf_name(j->isf));
        return VMI_OS_UNKNOWN;
    }
    ostype = core_config_get(vmi, "ostype");
    if (ostype && !util_streq_nocase(ostype, "none") && !util_streq_nocase(ostype, name)) {
        core_error(vmi, "config ostype = \"%s\", but JSON profile %s is a %s table", ostype,
                   isf_name(j->isf), name);
        return VMI_OS_UNKNOWN;
    }
    return os;
}

os_t vmi_init_profile(vmi_instance_t vmi, vmi_config_t config_mode, void *config)
{
    CORE_API_RET(vmi, os_t, init_profile(vmi, config_mode, config), r_ != VMI_OS_UNKNOWN);
}

/* The table behind a handle the caller passed, or NULL with the reason. */
static const isf_t *table_of(vmi_instance_t vmi, const json_object *json)
{
    if (!json) {
        core_error(vmi, "a required argument is NULL (json)");
        return NULL;
    }
    if (json->magic != JSON_MAGIC) {
        core_error(vmi, "this json_object is not a TinyVMI profile handle (a json-c object, "
                        "or a handle of a destroyed instance?): TinyVMI reads JSON profiles "
                        "itself; pass what vmi_get_kernel_json returned");
        return NULL;
    }
    return json->isf;
}

static status_t symbol_addr(vmi_instance_t vmi, json_object *json, const char *symbol,
                            addr_t *addr)
{
    const isf_t *isf;
    uint64_t v;

    CORE_REQUIRE(vmi, symbol && addr);
    if (!(isf = table_of(vmi, json)) || !isf_symbol(isf, symbol, &v, core_err(vmi)))
        return VMI_FAILURE;
    *addr = v;
    return VMI_SUCCESS;
}

status_t vmi_get_symbol_addr_from_json(vmi_instance_t vmi, json_object *json,
                                       const char *symbol, addr_t *addr)
{
    CORE_API(vmi, symbol_addr(vmi, json, symbol, addr));
}

static status_t struct_size(vmi_instance_t vmi, json_object *json, const char *name,
                            size_t *size)
{
    const isf_t *isf;
    uint64_t v;

    CORE_REQUIRE(vmi, name && size);
    if (!(isf = table_of(vmi, json)) || !isf_type_size(isf, name, &v, core_err(vmi)))
        return VMI_FAILURE;
    if (v > SIZE_MAX) {
        core_error(vmi, "%s: the size of %s (%llu) does not fit a size_t", isf_name(isf), name,
                   (unsigned long long)v);
        return VMI_FAILURE;
    }
    *size = (size_t)v;
    return VMI_SUCCESS;
}

status_t vmi_get_struct_size_from_json(vmi_instance_t vmi, json_object *json,
                                       const char *struct_name, size_t *size)
{
    CORE_API(vmi, struct_size(vmi, json, struct_name, size));
}

/* The member's description; the reason on the instance when absent. */
static status_t member(vmi_instance_t vmi, json_object *json, const char *strct,
                       const char *name, isf_member_t *m)
{
    const isf_t *isf;

    CORE_REQUIRE(vmi, strct && name);
    if (!(isf = table_of(vmi, json)) || !isf_member(isf, strct, name, m, core_err(vmi)))
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

static status_t member_offset(vmi_instance_t vmi, json_object *json, const char *strct,
                              const char *name, addr_t *offset)
{
    isf_member_t m;

    CORE_REQUIRE(vmi, offset);
    if (member(vmi, json, strct, name, &m) != VMI_SUCCESS)
        return VMI_FAILURE;
    *offset = m.offset;
    return VMI_SUCCESS;
}

status_t vmi_get_struct_member_offset_from_json(vmi_instance_t vmi, json_object *json,
                                                const char *struct_name,
                                                const char *struct_member, addr_t *offset)
{
    CORE_API(vmi, member_offset(vmi, json, struct_name, struct_member, offset));
}

static status_t bitfield(vmi_instance_t vmi, json_object *json, const char *strct,
                         const char *name, addr_t *offset, size_t *start_bit, size_t *end_bit)
{
    isf_member_t m;

    if (member(vmi, json, strct, name, &m) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (strcmp(m.kind, "bitfield") != 0) {
        core_error(vmi, "%s.%s is not a bitfield (its type is %s)", strct, name,
                   m.kind[0] ? m.kind : "not described");
        return VMI_FAILURE;
    }
    if (m.bit_length == 0) {
        core_error(vmi, "bitfield %s.%s has no valid bit_position and bit_length (at most "
                        "64 bits)", strct, name);
        return VMI_FAILURE;
    }
    if (offset)
        *offset = m.offset;
    if (start_bit)
        *start_bit = m.bit_position;
    if (end_bit)
        *end_bit = (size_t)m.bit_position + m.bit_length;
    return VMI_SUCCESS;
}

status_t vmi_get_bitfield_offset_and_size_from_json(vmi_instance_t vmi, json_object *json,
                                                    const char *struct_name,
                                                    const char *struct_member,
                                                    addr_t *offset, size_t *start_bit,
                                                    size_t *end_bit)
{
    CORE_API(vmi, bitfield(vmi, json, struct_name, struct_member, offset, start_bit, end_bit));
}

static status_t field_type_name(vmi_instance_t vmi, json_object *json, const char *strct,
                                const char *name, const char **type_name)
{
    isf_member_t m;

    CORE_REQUIRE(vmi, type_name);
    if (member(vmi, json, strct, name, &m) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!m.type_ref || !m.type_ref[0]) {
        core_error(vmi, "the type of %s.%s (%s) has no name in the table", strct, name,
                   m.kind[0] ? m.kind : "not described");
        return VMI_FAILURE;
    }
    *type_name = m.type_ref;
    return VMI_SUCCESS;
}

status_t vmi_get_struct_field_type_name_from_json(vmi_instance_t vmi, json_object *json,
                                                  const char *struct_name,
                                                  const char *struct_member,
                                                  const char **member_type_name)
{
    CORE_API(vmi, field_type_name(vmi, json, struct_name, struct_member, member_type_name));
}
