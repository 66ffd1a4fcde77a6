/*
 * peparse.c - LibVMI's peparse_* calls (<libvmi/peparse.h>) over TinyVMI's
 * own PE reader (pe.c).
 *
 * Programs hand these calls raw header bytes, or a base address in the
 * guest, and get LibVMI's packed structures back.  All checking is pe.c's
 * (pe_open, pe_export_dir), so a header that the Windows layer would refuse
 * is refused here with the same reason; this file only adds what LibVMI's
 * contract needs on top: the whole optional-header structure within the
 * caller's bytes, and the export table's own sanity (reserved flags 0, a
 * name).  Calls without an instance keep their reason per thread
 * (core_api_no_instance, read back with tvmi_errmsg(NULL)).
 *
 * Must not: read a caller's buffer past the length it gave, or trust a
 * header field before pe.c has checked it.
 */
#include <string.h>

#include <libvmi/peparse.h>
#include "core/core.h"
#include "os/windows/pe.h"
#include "os/windows/windows.h"
#include "util/bytes.h"

/* The packed structures are the specification's layouts; the sizes are
 * facts a caller's pointer arithmetic relies on. */
_Static_assert(sizeof(struct dos_header) == 64, "DOS header is 64 bytes");
_Static_assert(sizeof(struct pe_header) == 24, "signature + COFF header is 24 bytes");
_Static_assert(sizeof(struct optional_header_pe32) == 224, "PE32 optional header");
_Static_assert(sizeof(struct optional_header_pe32plus) == 240, "PE32+ optional header");
_Static_assert(sizeof(struct section_header) == 40, "section header");
_Static_assert(sizeof(struct export_table) == 40, "export directory table");

/* ---- Headers in a caller's buffer ---- */

typedef struct buf_ctx {
    const uint8_t *p;
    size_t len;
} buf_ctx_t;

static status_t buf_read(void *ctx, uint64_t rva, void *out, size_t len, util_err_t *err)
{
    const buf_ctx_t *b = ctx;
    if (rva > b->len || len > b->len - rva) {
        util_err_set(err, "beyond the %zu bytes given", b->len);
        return VMI_FAILURE;
    }
    memcpy(out, b->p + rva, len);
    return VMI_SUCCESS;
}

/* pe.c's checks, then room for the whole optional-header structure the
 * magic selects, so that peparse_assign_headers' pointers stay inside. */
static status_t validate(const uint8_t *image, size_t len, util_err_t *err)
{
    buf_ctx_t b = { image, len };
    pe_image_t img;
    size_t need;

    if (!image) {
        util_err_set(err, "a required argument is NULL (image)");
        return VMI_FAILURE;
    }
    if (pe_open(&img, buf_read, &b, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    need = (size_t)img.lfanew + sizeof(struct pe_header) +
           (img.pe32plus ? sizeof(struct optional_header_pe32plus)
                         : sizeof(struct optional_header_pe32));
    if (need > len) {
        util_err_set(err, "the %s optional header ends at byte %zu, past the %zu bytes given",
                     img.pe32plus ? "PE32+" : "PE32", need, len);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t peparse_validate_pe_image(const uint8_t *const image, size_t len)
{
    util_err_t err;
    core_api_enter(NULL);
    util_err_clear(&err);
    if (validate(image, len, &err) != VMI_SUCCESS) {
        core_api_no_instance(__func__, "%s", err.msg);
        return core_api_exit(NULL, __func__, VMI_FAILURE);
    }
    return core_api_exit(NULL, __func__, VMI_SUCCESS);
}

static status_t get_image(vmi_instance_t vmi, const access_context_t *ctx, size_t len,
                          uint8_t *image)
{
    CORE_REQUIRE(vmi, ctx && image);
    if (vmi_read(vmi, ctx, len, image, NULL) != VMI_SUCCESS) {
        core_error_prefix(vmi, "reading %zu bytes of PE headers", len);
        return VMI_FAILURE;
    }
    if (validate(image, len, core_err(vmi)) != VMI_SUCCESS) {
        core_error_prefix(vmi, "PE headers read");
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t peparse_get_image(vmi_instance_t vmi, const access_context_t *ctx, size_t len,
                           uint8_t *image)
{
    CORE_API(vmi, get_image(vmi, ctx, len, image));
}

/* Signatures and magic only: assign_headers has no length, so it can check
 * no more than this (validation did the rest). */
static status_t assign_headers(const uint8_t *image, struct dos_header **dos, struct pe_header **pe,
                           uint16_t *type, void **opt, struct optional_header_pe32 **pe32,
                           struct optional_header_pe32plus **pe32plus)
{
    const uint8_t *nt;
    uint32_t lfanew;
    uint16_t magic;

    if (dos)
        *dos = NULL;
    if (pe)
        *pe = NULL;
    if (type)
        *type = 0;
    if (opt)
        *opt = NULL;
    if (pe32)
        *pe32 = NULL;
    if (pe32plus)
        *pe32plus = NULL;
    if (!image) {
        core_api_no_instance("peparse_assign_headers", "a required argument is NULL (image)");
        return VMI_FAILURE;
    }
    if (util_le16(image) != IMAGE_DOS_HEADER) {
        core_api_no_instance("peparse_assign_headers", "no MZ signature (validate the image "
                             "with peparse_validate_pe_image first)");
        return VMI_FAILURE;
    }
    lfanew = util_le32(image + offsetof(struct dos_header, offset_to_pe));
    nt = image + lfanew;
    if (util_le32(nt) != IMAGE_NT_SIGNATURE) {
        core_api_no_instance("peparse_assign_headers", "no PE signature at e_lfanew 0x%x "
                             "(validate the image with peparse_validate_pe_image first)",
                             lfanew);
        return VMI_FAILURE;
    }
    magic = util_le16(nt + sizeof(struct pe_header));
    if (magic != IMAGE_PE32_MAGIC && magic != IMAGE_PE32_PLUS_MAGIC) {
        core_api_no_instance("peparse_assign_headers", "optional header magic 0x%x is neither "
                             "PE32 (0x10b) nor PE32+ (0x20b)", magic);
        return VMI_FAILURE;
    }
    if (dos)
        *dos = (struct dos_header *)image;
    if (pe)
        *pe = (struct pe_header *)nt;
    if (type)
        *type = magic;
    if (opt)
        *opt = (void *)(nt + sizeof(struct pe_header));
    if (pe32 && magic == IMAGE_PE32_MAGIC)
        *pe32 = (struct optional_header_pe32 *)(nt + sizeof(struct pe_header));
    if (pe32plus && magic == IMAGE_PE32_PLUS_MAGIC)
        *pe32plus = (struct optional_header_pe32plus *)(nt + sizeof(struct pe_header));
    return VMI_SUCCESS;
}

void peparse_assign_headers(const uint8_t *const image, struct dos_header **dos_header,
                            struct pe_header **pe_header, uint16_t *optional_header_type,
                            void **optional_pe_header, struct optional_header_pe32 **oh_pe32,
                            struct optional_header_pe32plus **oh_pe32plus)
{
    status_t st;
    core_api_enter(NULL);
    st = assign_headers(image, dos_header, pe_header, optional_header_type, optional_pe_header,
                        oh_pe32, oh_pe32plus);
    core_api_exit(NULL, __func__, st);
}

/* The directory entry_id of whichever form of the optional header the
 * caller gave, or NULL with the reason (fn names the public call). */
static const struct image_data_directory *idd(const char *fn, uint32_t entry_id,
                                              const uint16_t *type, const void *opt,
                                              const struct optional_header_pe32 *pe32,
                                              const struct optional_header_pe32plus *pe32plus)
{
    const struct image_data_directory *dirs;
    uint32_t count;

    if (type) {
        if (!opt) {
            core_api_no_instance(fn, "optional_header_type given without optional_header");
            return NULL;
        }
        if (*type == IMAGE_PE32_MAGIC)
            pe32 = opt;
        else if (*type == IMAGE_PE32_PLUS_MAGIC)
            pe32plus = opt;
        else {
            core_api_no_instance(fn, "optional header type 0x%x is neither PE32 (0x10b) nor "
                                 "PE32+ (0x20b)", *type);
            return NULL;
        }
    }
    if (pe32) {
        dirs = pe32->idd;
        count = pe32->number_of_rva_and_sizes;
    } else if (pe32plus) {
        dirs = pe32plus->idd;
        count = pe32plus->number_of_rva_and_sizes;
    } else {
        core_api_no_instance(fn, "no optional header given (a required argument is NULL)");
        return NULL;
    }
    if (entry_id >= 16 || entry_id >= count) {
        core_api_no_instance(fn, "data directory %u does not exist (the header has %u%s)",
                             entry_id, count > 16 ? 16 : count, count > 16 ? ", at most 16" : "");
        return NULL;
    }
    return &dirs[entry_id];
}

/* One field of directory entry_id (its RVA, or with want_size its size),
 * through the public call fn's entry and exit: 0 is a failure. */
static uint32_t idd_field(const char *fn, bool want_size, uint32_t entry_id,
                          const uint16_t *type, const void *opt,
                          const struct optional_header_pe32 *pe32,
                          const struct optional_header_pe32plus *pe32plus)
{
    const struct image_data_directory *d;
    uint32_t v = 0;

    core_api_enter(NULL);
    d = idd(fn, entry_id, type, opt, pe32, pe32plus);
    if (d && !(v = want_size ? d->size : d->virtual_address))
        core_api_no_instance(fn, "data directory %u is empty (%s 0)", entry_id,
                             want_size ? "size" : "RVA");
    core_api_exit(NULL, fn, v ? VMI_SUCCESS : VMI_FAILURE);
    return v;
}

addr_t peparse_get_idd_rva(uint32_t entry_id, uint16_t *optional_header_type,
                           void *optional_header, struct optional_header_pe32 *oh_pe32,
                           struct optional_header_pe32plus *oh_pe32plus)
{
    return idd_field(__func__, false, entry_id, optional_header_type, optional_header, oh_pe32,
                     oh_pe32plus);
}

size_t peparse_get_idd_size(uint32_t entry_id, uint16_t *optional_header_type,
                            void *optional_header, struct optional_header_pe32 *oh_pe32,
                            struct optional_header_pe32plus *oh_pe32plus)
{
    return idd_field(__func__, true, entry_id, optional_header_type, optional_header, oh_pe32,
                     oh_pe32plus);
}

/* ---- The export directory of an image in the guest ---- */

static status_t export_table(vmi_instance_t vmi, const access_context_t *ctx,
                             struct export_table *et, addr_t *rva, size_t *size)
{
    win_pe_ctx_t c;
    pe_image_t img;
    pe_export_dir_t x;

    CORE_REQUIRE(vmi, ctx && et);
    if (ctx->translate_mechanism == VMI_TM_KERNEL_SYMBOL) {
        core_error(vmi, "the export table needs the image's base address, not a symbol");
        return VMI_FAILURE;
    }
    memset(&c, 0, sizeof(c));
    c.vmi = vmi;
    c.base = ctx->addr;
    c.ctx = *ctx;
    if (pe_open(&img, win_pe_read, &c, core_err(vmi)) != VMI_SUCCESS ||
        pe_export_dir(&img, &x, core_err(vmi)) != VMI_SUCCESS) {
        core_error_prefix(vmi, "PE image at 0x%llx", (unsigned long long)ctx->addr);
        return VMI_FAILURE;
    }
    /* LibVMI's own sanity check: a real export directory has the reserved
     * field clear and names its DLL. */
    if (x.flags || !x.name_rva) {
        core_error(vmi, "PE image at 0x%llx: the export directory at RVA 0x%x is not "
                   "plausible (reserved flags 0x%x, name RVA 0x%x)",
                   (unsigned long long)ctx->addr, x.dir.rva, x.flags, x.name_rva);
        return VMI_FAILURE;
    }
    et->export_flags = x.flags;
    et->time_date_stamp = x.timestamp;
    et->major_version = x.major;
    et->minor_version = x.minor;
    et->name = x.name_rva;
    et->base = x.base;
    et->number_of_functions = x.nfuncs;
    et->number_of_names = x.nnames;
    et->address_of_functions = x.funcs;
    et->address_of_names = x.names;
    et->address_of_name_ordinals = x.ords;
    if (rva)
        *rva = x.dir.rva;
    if (size)
        *size = x.dir.size;
    return VMI_SUCCESS;
}

status_t peparse_get_export_table(vmi_instance_t vmi, const access_context_t *ctx,
                                  struct export_table *et, addr_t *export_table_rva,
                                  size_t *export_table_size)
{
    CORE_API(vmi, export_table(vmi, ctx, et, export_table_rva, export_table_size));
}
