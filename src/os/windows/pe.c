/*
 * pe.c - PE/COFF headers, sections, exports and CodeView records of an
 * image mapped in guest memory (see pe.h).
 *
 * Field offsets follow the Microsoft PE/COFF specification.  All multi-byte
 * fields are little-endian and are decoded byte by byte, so the host's
 * endianness and alignment never matter.
 *
 * Must not: read a byte outside [0, SizeOfImage), or loop over a count
 * from the image without a fixed cap.
 */
#include "os/windows/pe.h"

#include <stdio.h>
#include <string.h>
#include "util/bytes.h"

/* Caps on what a real image could have; beyond them the image is damaged
 * or hostile and we stop rather than read on. */
#define PE_MAX_LFANEW      0x10000u
#define PE_MAX_IMAGE       0x40000000u /* 1 GiB */
#define PE_MAX_EXPORTS     0x100000u
#define PE_MAX_DEBUG_DIRS  64u
#define PE_MAX_CV_SIZE     0x10000u
#define PE_CHUNK           1024u       /* table entries read at once */

#define PE_DEBUG_TYPE_CODEVIEW 2

/* Read [rva, rva+len) of the image, which must lie inside SizeOfImage. */
static status_t rd(const pe_image_t *img, uint64_t rva, void *buf, size_t len,
                   const char *what, util_err_t *err)
{
    if (rva > img->size_of_image || len > img->size_of_image - rva) {
        util_err_set(err, "%s at RVA 0x%llx (+%zu) lies outside the image (size 0x%x)",
                     what, (unsigned long long)rva, len, img->size_of_image);
        return VMI_FAILURE;
    }
    if (img->read(img->ctx, rva, buf, len, err) != VMI_SUCCESS) {
        util_err_prefix(err, "reading %s at RVA 0x%llx", what, (unsigned long long)rva);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* A NUL-terminated string at rva, at most size-1 bytes plus its NUL.
 * Reads up to page boundaries only, so a short name next to an unmapped
 * page still reads. */
static status_t rd_str(const pe_image_t *img, uint64_t rva, char *buf, size_t size,
                       const char *what, util_err_t *err)
{
    size_t n = 0;
    if (!size)
        return VMI_FAILURE;
    while (n < size) {
        uint64_t at = rva + n;
        size_t chunk = 0x1000 - (size_t)(at & 0xfff);
        if (chunk > size - n)
            chunk = size - n;
        if (at < img->size_of_image && chunk > img->size_of_image - at)
            chunk = (size_t)(img->size_of_image - at);
        if (rd(img, at, buf + n, chunk ? chunk : 1, what, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (memchr(buf + n, '\0', chunk))
            return VMI_SUCCESS;
        n += chunk;
    }
    buf[size - 1] = '\0';
    util_err_set(err, "%s at RVA 0x%llx is longer than %zu bytes", what,
                 (unsigned long long)rva, size - 1);
    return VMI_FAILURE;
}

status_t pe_open(pe_image_t *img, pe_read_fn read, void *ctx, util_err_t *err)
{
    uint8_t dos[64];
    memset(img, 0, sizeof(*img));
    img->read = read;
    img->ctx = ctx;
    /* Until the header says how big the image is, allow just the headers. */
    img->size_of_image = PE_MAX_LFANEW + 0x1000;

    if (rd(img, 0, dos, sizeof(dos), "DOS header", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (dos[0] != 'M' || dos[1] != 'Z') {
        util_err_set(err, "no MZ signature (found %02x %02x)", dos[0], dos[1]);
        return VMI_FAILURE;
    }
    uint32_t lfanew = util_le32(dos + 0x3c);
    if (lfanew < 4 || lfanew > PE_MAX_LFANEW) {
        util_err_set(err, "e_lfanew 0x%x is not a plausible NT header offset", lfanew);
        return VMI_FAILURE;
    }
    img->lfanew = lfanew;

    /* Signature (4), file header (20), optional header (up to 240). */
    uint8_t nt[24 + 240];
    if (rd(img, lfanew, nt, 24 + 2, "NT headers", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (memcmp(nt, "PE\0\0", 4) != 0) {
        util_err_set(err, "no PE signature at e_lfanew 0x%x", lfanew);
        return VMI_FAILURE;
    }
    img->machine = util_le16(nt + 4);
    img->nsections = util_le16(nt + 6);
    img->timestamp = util_le32(nt + 8);
    uint16_t opt_size = util_le16(nt + 20);
    img->characteristics = util_le16(nt + 22);
    uint16_t magic = util_le16(nt + 24);
    size_t fixed;
    if (magic == 0x10b) {
        fixed = 96;
    } else if (magic == 0x20b) {
        img->pe32plus = true;
        fixed = 112;
    } else {
        util_err_set(err, "optional header magic 0x%x is neither PE32 (0x10b) nor PE32+ (0x20b)",
                     magic);
        return VMI_FAILURE;
    }
    if (opt_size < fixed) {
        util_err_set(err, "SizeOfOptionalHeader %u is smaller than a %s header (%zu)",
                     opt_size, img->pe32plus ? "PE32+" : "PE32", fixed);
        return VMI_FAILURE;
    }
    size_t want = opt_size < 240 ? opt_size : 240;
    if (rd(img, lfanew + 24, nt + 24, want, "optional header", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    const uint8_t *o = nt + 24;
    img->image_base = img->pe32plus ? util_le64(o + 24) : util_le32(o + 28);
    img->os_major = util_le16(o + 40);
    img->os_minor = util_le16(o + 42);
    img->image_major = util_le16(o + 44);
    img->image_minor = util_le16(o + 46);
    img->subsys_major = util_le16(o + 48);
    img->subsys_minor = util_le16(o + 50);
    uint32_t size_of_image = util_le32(o + 56);
    img->size_of_headers = util_le32(o + 60);
    img->subsystem = util_le16(o + 68);
    uint32_t ndirs = util_le32(o + (img->pe32plus ? 108 : 92));

    if (size_of_image == 0 || size_of_image > PE_MAX_IMAGE) {
        util_err_set(err, "SizeOfImage 0x%x is not plausible", size_of_image);
        return VMI_FAILURE;
    }
    if ((uint64_t)lfanew + 24 + opt_size > size_of_image) {
        util_err_set(err, "NT headers (end 0x%llx) extend past SizeOfImage 0x%x",
                     (unsigned long long)lfanew + 24 + opt_size, size_of_image);
        return VMI_FAILURE;
    }
    img->size_of_image = size_of_image;
    if (img->nsections > PE_MAX_SECTIONS) {
        util_err_set(err, "%u sections, more than the specification's %u",
                     img->nsections, PE_MAX_SECTIONS);
        return VMI_FAILURE;
    }
    img->sections_off = lfanew + 24 + opt_size;
    if ((uint64_t)img->sections_off + 40u * img->nsections > size_of_image) {
        util_err_set(err, "section table extends past SizeOfImage 0x%x", size_of_image);
        return VMI_FAILURE;
    }
    /* The loader ignores directories past 16 and past the header's end. */
    size_t room = (want - fixed) / 8;
    if (ndirs > PE_MAX_DIRS)
        ndirs = PE_MAX_DIRS;
    if (ndirs > room)
        ndirs = (uint32_t)room;
    img->ndirs = ndirs;
    for (uint32_t i = 0; i < ndirs; i++) {
        img->dir[i].rva = util_le32(o + fixed + 8 * i);
        img->dir[i].size = util_le32(o + fixed + 8 * i + 4);
    }
    return VMI_SUCCESS;
}

status_t pe_section(const pe_image_t *img, unsigned i, pe_section_t *out, util_err_t *err)
{
    uint8_t s[40];
    if (i >= img->nsections) {
        util_err_set(err, "no section %u (the image has %u)", i, img->nsections);
        return VMI_FAILURE;
    }
    if (rd(img, img->sections_off + 40u * i, s, sizeof(s), "section header", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    memcpy(out->name, s, 8);
    out->name[8] = '\0';
    out->vsize = util_le32(s + 8);
    out->va = util_le32(s + 12);
    out->characteristics = util_le32(s + 36);
    return VMI_SUCCESS;
}

status_t pe_directory(const pe_image_t *img, unsigned which, const char *what, pe_dir_t *out,
                      util_err_t *err)
{
    if (which >= img->ndirs || img->dir[which].rva == 0 || img->dir[which].size == 0) {
        util_err_set(err, "the image has no %s directory", what);
        return VMI_FAILURE;
    }
    *out = img->dir[which];
    if ((uint64_t)out->rva + out->size > img->size_of_image) {
        util_err_set(err, "%s directory (RVA 0x%x, 0x%x bytes) lies outside the image",
                     what, out->rva, out->size);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* ---- CodeView ---- */

const char *pe_pdb_basename(const char *pdb)
{
    const char *base = pdb;
    for (const char *p = pdb; *p; p++)
        if (*p == '\\' || *p == '/')
            base = p + 1;
    return base;
}

static status_t read_cv(const pe_image_t *img, uint32_t rva, uint32_t size,
                        pe_codeview_t *out, util_err_t *err)
{
    uint8_t buf[24 + PE_NAME_MAX];
    size_t head;
    if (size < 4 || size > PE_MAX_CV_SIZE) {
        util_err_set(err, "CodeView record size %u is not plausible", size);
        return VMI_FAILURE;
    }
    if (rd(img, rva, buf, 4, "CodeView record", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    memset(out, 0, sizeof(*out));
    if (!memcmp(buf, "RSDS", 4))
        head = 24;
    else if (!memcmp(buf, "NB10", 4))
        head = 16;
    else {
        util_err_set(err, "CodeView record at RVA 0x%x has unknown signature %02x%02x%02x%02x",
                     rva, buf[0], buf[1], buf[2], buf[3]);
        return VMI_FAILURE;
    }
    if (size <= head) {
        util_err_set(err, "CodeView record (%u bytes) too short for its header", size);
        return VMI_FAILURE;
    }
    if (rd(img, rva, buf, head, "CodeView record", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    memcpy(out->format, buf, 4);
    if (head == 24) {
        memcpy(out->guid, buf + 4, 16);
        out->age = util_le32(buf + 20);
        snprintf(out->guid_str, sizeof(out->guid_str),
                 "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X", util_le32(out->guid),
                 util_le16(out->guid + 4), util_le16(out->guid + 6), out->guid[8], out->guid[9],
                 out->guid[10], out->guid[11], out->guid[12], out->guid[13],
                 out->guid[14], out->guid[15]);
    } else {
        out->signature = util_le32(buf + 8);
        out->age = util_le32(buf + 12);
        snprintf(out->guid_str, sizeof(out->guid_str), "%08X", out->signature);
    }
    /* The name ends within the record; keep at most PE_NAME_MAX-1 bytes. */
    size_t room = size - head;
    if (room > sizeof(out->pdb))
        room = sizeof(out->pdb);
    if (rd_str(img, (uint64_t)rva + head, out->pdb, room, "PDB name", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

status_t pe_codeview(const pe_image_t *img, pe_codeview_t *out, util_err_t *err)
{
    pe_dir_t d;
    if (pe_directory(img, PE_DIR_DEBUG, "debug", &d, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    uint32_t n = d.size / 28;
    if (n > PE_MAX_DEBUG_DIRS)
        n = PE_MAX_DEBUG_DIRS;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t e[28];
        if (rd(img, (uint64_t)d.rva + 28u * i, e, sizeof(e), "debug directory entry",
               err) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (util_le32(e + 12) != PE_DEBUG_TYPE_CODEVIEW)
            continue;
        uint32_t size = util_le32(e + 16), rva = util_le32(e + 20);
        if (rva == 0) {
            util_err_set(err, "CodeView record is not mapped (AddressOfRawData 0)");
            return VMI_FAILURE;
        }
        return read_cv(img, rva, size, out, err);
    }
    util_err_set(err, "no CodeView entry among %u debug directory entries", n);
    return VMI_FAILURE;
}

/* ---- Exports ---- */

static status_t table_fits(const pe_image_t *img, uint32_t rva, uint64_t count,
                           unsigned width, const char *what, util_err_t *err)
{
    if (count && (rva == 0 || (uint64_t)rva + count * width > img->size_of_image)) {
        util_err_set(err, "export %s (RVA 0x%x, %llu entries) lies outside the image", what,
                     rva, (unsigned long long)count);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t pe_export_dir(const pe_image_t *img, pe_export_dir_t *x, util_err_t *err)
{
    uint8_t d[40];
    memset(x, 0, sizeof(*x));
    if (pe_directory(img, PE_DIR_EXPORT, "export", &x->dir, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (x->dir.size < sizeof(d)) {
        util_err_set(err, "export directory is %u bytes, less than its 40-byte header",
                     x->dir.size);
        return VMI_FAILURE;
    }
    if (rd(img, x->dir.rva, d, sizeof(d), "export directory", err) != VMI_SUCCESS) {
        /* The reserved flags alone at the end of a page Windows has paged
         * out: the fields that matter start on the next page. */
        if (((x->dir.rva + 4) & 0xfff) != 0 ||
            rd(img, (uint64_t)x->dir.rva + 4, d + 4, sizeof(d) - 4, "export directory",
               err) != VMI_SUCCESS)
            return VMI_FAILURE;
        memset(d, 0, 4);
    }
    x->flags = util_le32(d);
    x->timestamp = util_le32(d + 4);
    x->major = util_le16(d + 8);
    x->minor = util_le16(d + 10);
    x->name_rva = util_le32(d + 12);
    x->base = util_le32(d + 16);
    x->nfuncs = util_le32(d + 20);
    x->nnames = util_le32(d + 24);
    x->funcs = util_le32(d + 28);
    x->names = util_le32(d + 32);
    x->ords = util_le32(d + 36);
    if (x->nfuncs > PE_MAX_EXPORTS || x->nnames > PE_MAX_EXPORTS) {
        util_err_set(err, "export directory claims %u functions and %u names, too many",
                     x->nfuncs, x->nnames);
        return VMI_FAILURE;
    }
    if (table_fits(img, x->funcs, x->nfuncs, 4, "address table", err) != VMI_SUCCESS ||
        table_fits(img, x->names, x->nnames, 4, "name table", err) != VMI_SUCCESS ||
        table_fits(img, x->ords, x->nnames, 2, "ordinal table", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

/* Fill out for function index idx (0-based in the address table). */
static status_t export_at_index(const pe_image_t *img, const pe_export_dir_t *x, uint32_t idx,
                                pe_export_t *out, util_err_t *err)
{
    uint8_t b[4];
    if (idx >= x->nfuncs) {
        util_err_set(err, "export ordinal index %u is past the %u functions", idx, x->nfuncs);
        return VMI_FAILURE;
    }
    if (rd(img, (uint64_t)x->funcs + 4u * idx, b, 4, "export address", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    uint32_t rva = util_le32(b);
    memset(out, 0, sizeof(*out));
    out->ordinal = (uint16_t)(x->base + idx);
    if (rva == 0) {
        util_err_set(err, "export ordinal %u has no address", x->base + idx);
        return VMI_FAILURE;
    }
    /* An address inside the export directory is a forwarder string. */
    if (rva >= x->dir.rva && rva - x->dir.rva < x->dir.size)
        return rd_str(img, rva, out->forwarder, sizeof(out->forwarder), "export forwarder",
                      err);
    out->rva = rva;
    return VMI_SUCCESS;
}

static status_t name_at(const pe_image_t *img, const pe_export_dir_t *x, uint32_t i,
                        char *buf, size_t size, util_err_t *err)
{
    uint8_t b[4];
    if (rd(img, (uint64_t)x->names + 4u * i, b, 4, "export name pointer", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return rd_str(img, util_le32(b), buf, size, "export name", err);
}

status_t pe_export_by_name(const pe_image_t *img, const char *name, pe_export_t *out,
                           util_err_t *err)
{
    pe_export_dir_t x;
    if (!name || pe_export_dir(img, &x, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    uint32_t lo = 0, hi = x.nnames;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        char cand[PE_NAME_MAX];
        if (name_at(img, &x, mid, cand, sizeof(cand), err) != VMI_SUCCESS)
            return VMI_FAILURE;
        int c = strcmp(cand, name);
        if (c == 0) {
            uint8_t b[2];
            if (rd(img, (uint64_t)x.ords + 2u * mid, b, 2, "export ordinal", err) != VMI_SUCCESS)
                return VMI_FAILURE;
            return export_at_index(img, &x, util_le16(b), out, err);
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    util_err_set(err, "no export %s", name);
    return VMI_FAILURE;
}

status_t pe_export_by_ordinal(const pe_image_t *img, uint32_t ordinal, pe_export_t *out,
                              util_err_t *err)
{
    pe_export_dir_t x;
    if (pe_export_dir(img, &x, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (ordinal < x.base || ordinal - x.base >= x.nfuncs) {
        util_err_set(err, "no export with ordinal %u (ordinals %u..%u)", ordinal, x.base,
                     x.base + x.nfuncs - 1);
        return VMI_FAILURE;
    }
    return export_at_index(img, &x, ordinal - x.base, out, err);
}

status_t pe_export_name_at(const pe_image_t *img, uint32_t rva, char *name, size_t size,
                           util_err_t *err)
{
    pe_export_dir_t x;
    if (pe_export_dir(img, &x, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    /* Walk the ordinal table in chunks; for each named export compare the
     * address it leads to. */
    uint8_t ords[2 * PE_CHUNK];
    for (uint32_t start = 0; start < x.nnames; start += PE_CHUNK) {
        uint32_t n = x.nnames - start < PE_CHUNK ? x.nnames - start : PE_CHUNK;
        if (rd(img, (uint64_t)x.ords + 2u * start, ords, 2u * n, "export ordinal table",
               err) != VMI_SUCCESS)
            return VMI_FAILURE;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t idx = util_le16(ords + 2 * i);
            uint8_t b[4];
            if (idx >= x.nfuncs)
                continue;
            if (rd(img, (uint64_t)x.funcs + 4u * idx, b, 4, "export address", err) != VMI_SUCCESS)
                return VMI_FAILURE;
            if (util_le32(b) == rva)
                return name_at(img, &x, start + i, name, size, err);
        }
    }
    util_err_set(err, "no export at RVA 0x%x", rva);
    return VMI_FAILURE;
}

status_t pe_export_dll_name(const pe_image_t *img, char *name, size_t size, util_err_t *err)
{
    pe_export_dir_t x;
    if (pe_export_dir(img, &x, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return rd_str(img, x.name_rva, name, size, "export DLL name", err);
}
