/*
 * vmi-win-guid - which Windows kernel a guest runs: ntoskrnl's base, the
 * PDB its CodeView record names, and the GUID and age that pick the right
 * symbols (the Microsoft symbol server key, and Volatility's ISF name).
 *
 * The Windows layer finds the kernel without configuration
 * (vmi_get_offset "win_ntoskrnl_va"); this tool then reads the kernel's PE
 * headers and CodeView record itself, through the public read calls only,
 * checking every offset it reads from the guest.
 *
 * A crash dump's header facts (tvmi_get_fact: bug check, times, build,
 * summary and triage data) follow.  A triage dump rarely holds the kernel's
 * PE headers; its driver list still gives ntoskrnl's TimeDateStamp and
 * SizeOfImage, the key under which symbol servers keep the image (whose
 * CodeView record then names the PDB): printed as "image key".
 */
#include <inttypes.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-win-guid TARGET [options]\n"
    "Find the Windows kernel (ntoskrnl) in TARGET and print its base address, the\n"
    "PDB name, GUID and age from its CodeView record, and its version; then what a\n"
    "crash dump's header states.  When the kernel's image is not in the target (a\n"
    "triage dump), the symbol-server image key from the dump's driver list.\n"
    "\n"
    "  -c CONFIG    a config file, or 'key = value; ...' (libvmi.conf syntax); a\n"
    "               profile given as volatility_ist is checked against the GUID\n"
    "      --json   one JSON object instead of text\n"
    "  -h, --help   this text\n";

typedef struct kernel {
    uint64_t base, base_pa;
    uint16_t machine;
    bool pe32plus;
    uint32_t timestamp, size_of_image;
    uint16_t os_major, os_minor;
    char format[5];     /* "RSDS" / "NB10" */
    char guid[33];
    uint32_t age;
    char pdb_path[256];
    const char *pdb;    /* the file part of pdb_path */
    char why[512];
} kernel_t;

/* Print the target's facts: text, "  KEY  VALUE" lines (a triage dump's
 * modules counted, not listed: vmi-module-list lists them), or JSON
 * members ("facts": {...}).  Returns how many there are. */
static size_t print_facts(vmi_instance_t vmi, bool json)
{
    tvmi_fact_t f;
    size_t n = 0, mods = 0;
    for (size_t i = 0; tvmi_get_fact(vmi, i, &f) == VMI_SUCCESS; i++, n++) {
        bool mod = !strncmp(f.key, "win.Triage.Module.", 18);
        if (mod && !strcmp(f.key + strlen(f.key) - 5, ".Name"))
            mods++;
        if (json) {
            printf("%s", n ? "," : ",\"facts\":{");
            tool_json_str(stdout, f.key);
            putchar(':');
            if (f.text)
                tool_json_str(stdout, f.text);
            else
                printf("\"0x%" PRIx64 "\"", f.value);
        } else if (!mod) {
            if (!n)
                printf("dump header and triage facts:\n");
            if (f.text)
                printf("  %-40s \"%s\"\n", f.key, f.text);
            else
                printf("  %-40s 0x%" PRIx64 "\n", f.key, f.value);
        }
    }
    if (json && n)
        putchar('}');
    if (!json && mods)
        printf("  %-40s %zu (vmi-module-list lists them)\n", "modules in the driver list", mods);
    return n;
}

/* The symbol-server key of ntoskrnl's image from a triage dump's driver
 * list (NAME/TIMESTAMPSIZEOFIMAGE), or false. */
static bool image_key(vmi_instance_t vmi, char *buf, size_t size)
{
    tvmi_fact_t name, stamp, sz;
    if (tvmi_get_fact_by_key(vmi, "win.Triage.Module.0.Name", &name) != VMI_SUCCESS ||
        tvmi_get_fact_by_key(vmi, "win.Triage.Module.0.TimeDateStamp", &stamp) != VMI_SUCCESS ||
        tvmi_get_fact_by_key(vmi, "win.Triage.Module.0.SizeOfImage", &sz) != VMI_SUCCESS ||
        !name.text || stamp.text || sz.text)
        return false;
    snprintf(buf, size, "%s/%08" PRIX64 "%" PRIx64, name.text, stamp.value, sz.value);
    return true;
}

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)tool_le(p, 2);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)tool_le(p, 4);
}

static bool rd(vmi_instance_t vmi, const kernel_t *k, uint64_t rva, void *buf, size_t len)
{
    if (rva > k->size_of_image || len > k->size_of_image - rva)
        return false;
    return vmi_read_va(vmi, k->base + rva, 0, len, buf, NULL) == VMI_SUCCESS;
}

/* The PE headers and the first CodeView debug entry; the reason on failure. */
static const char *read_kernel(vmi_instance_t vmi, kernel_t *k)
{
    uint8_t h[0x400];
    k->size_of_image = sizeof(h);
    if (!rd(vmi, k, 0, h, sizeof(h))) {
        snprintf(k->why, sizeof(k->why), "the PE headers are unreadable: %s", tvmi_errmsg(vmi));
        return k->why;
    }
    uint32_t nt = le32(h + 0x3c);
    if (h[0] != 'M' || h[1] != 'Z' || nt < 4 || nt > sizeof(h) - 24 - 112 - 16 * 8 ||
        memcmp(h + nt, "PE\0\0", 4) != 0)
        return "no valid MZ / PE header";
    const uint8_t *o = h + nt + 24;
    k->machine = (uint16_t)le16(h + nt + 4);
    k->timestamp = le32(h + nt + 8);
    k->pe32plus = le16(o) == 0x20b;
    k->os_major = (uint16_t)le16(o + 40);
    k->os_minor = (uint16_t)le16(o + 42);
    uint32_t size = le32(o + 56);
    uint32_t ndirs = le32(o + (k->pe32plus ? 108 : 92));
    const uint8_t *dirs = o + (k->pe32plus ? 112 : 96);
    if (size < sizeof(h) || size > 0x40000000u)
        return "SizeOfImage is not plausible";
    k->size_of_image = size;
    if (ndirs <= 6)
        return "no debug directory";
    uint32_t dbg = le32(dirs + 6 * 8), dbgsize = le32(dirs + 6 * 8 + 4);
    for (uint32_t i = 0; i < dbgsize / 28 && i < 64; i++) {
        uint8_t e[28], cv[24];
        if (!rd(vmi, k, (uint64_t)dbg + 28u * i, e, sizeof(e)))
            return "the debug directory is unreadable";
        if (le32(e + 12) != 2) /* IMAGE_DEBUG_TYPE_CODEVIEW */
            continue;
        uint32_t len = le32(e + 16), at = le32(e + 20);
        if (len < 24 || !rd(vmi, k, at, cv, sizeof(cv)))
            return "the CodeView record is unreadable";
        uint32_t name;
        if (!memcmp(cv, "RSDS", 4)) {
            const uint8_t *g = cv + 4;
            snprintf(k->guid, sizeof(k->guid),
                     "%08" PRIX32 "%04" PRIX32 "%04" PRIX32 "%02X%02X%02X%02X%02X%02X%02X%02X",
                     le32(g), le16(g + 4), le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13],
                     g[14], g[15]);
            k->age = le32(cv + 20);
            name = 24;
        } else if (!memcmp(cv, "NB10", 4)) {
            snprintf(k->guid, sizeof(k->guid), "%08" PRIX32, le32(cv + 8));
            k->age = le32(cv + 12);
            name = 16;
        } else {
            return "the CodeView record has an unknown signature";
        }
        memcpy(k->format, cv, 4);
        size_t max = len - name < sizeof(k->pdb_path) ? len - name : sizeof(k->pdb_path);
        memset(k->pdb_path, 0, sizeof(k->pdb_path));
        /* Byte by byte: the name may end right before an unmapped page. */
        for (size_t n = 0; n < max; n++) {
            if (!rd(vmi, k, (uint64_t)at + name + n, k->pdb_path + n, 1))
                return "the PDB name is unreadable";
            if (!k->pdb_path[n])
                break;
        }
        k->pdb_path[sizeof(k->pdb_path) - 1] = '\0';
        k->pdb = k->pdb_path;
        for (const char *p = k->pdb_path; *p; p++)
            if (*p == '\\' || *p == '/')
                k->pdb = p + 1;
        return NULL;
    }
    return "no CodeView entry in the debug directory";
}

int main(int argc, char **argv)
{
    const char *prog = "vmi-win-guid";
    tool_opts_t o = { 0 };
    vmi_instance_t vmi;
    int c = 0, arg;

    if ((arg = tool_args(argc, argv, usage, 1, &o, &c)) < 0)
        return c;
    const char *target = argv[arg];
    if (!tool_open(prog, target, &o, false, &vmi))
        return 1;

    kernel_t k;
    memset(&k, 0, sizeof(k));
    const char *why = NULL;
    char key[320];
    if (vmi_get_ostype(vmi) != VMI_OS_WINDOWS) {
        snprintf(k.why, sizeof(k.why), "the guest is not running Windows%s%s",
                 tvmi_errmsg(vmi)[0] ? ": " : "", tvmi_errmsg(vmi));
        why = k.why;
    } else if (vmi_get_offset(vmi, "win_ntoskrnl_va", &k.base) != VMI_SUCCESS) {
        snprintf(k.why, sizeof(k.why), "the kernel base is unknown: %s", tvmi_errmsg(vmi));
        why = k.why;
    }
    bool have_base = !why, have_pa = false;
    if (have_base) {
        have_pa = vmi_get_offset(vmi, "win_ntoskrnl", &k.base_pa) == VMI_SUCCESS;
        why = read_kernel(vmi, &k);
    }
    bool have_pe = have_base && (!why || k.machine);
    bool have_key = image_key(vmi, key, sizeof(key));
    uint16_t build = vmi_get_win_buildnumber(vmi);
    const char *ver = vmi_get_winver_str(vmi);
    const char *machine = k.machine == 0x8664 ? "x64" : k.machine == 0x14c ? "x86" : "?";

    if (o.json) {
        printf("{");
        if (have_base)
            printf("\"kernel_base\":\"0x%" PRIx64 "\",\"kernel_base_pa\":\"0x%" PRIx64 "\",",
                   k.base, k.base_pa);
        if (have_pe)
            printf("\"machine\":\"%s\",\"timestamp\":%" PRIu32 ",\"size_of_image\":%" PRIu32
                   ",\"os_version\":\"%u.%u\",", machine, k.timestamp, k.size_of_image,
                   k.os_major, k.os_minor);
        printf("\"build\":%u,\"winver\":\"%s\"", build, ver);
        if (!why) {
            printf(",\"pdb\":");
            tool_json_str(stdout, k.pdb);
            printf(",\"pdb_path\":");
            tool_json_str(stdout, k.pdb_path);
            printf(",\"format\":\"%s\",\"guid\":\"%s\",\"age\":%" PRIu32 ",\"symbol_key\":",
                   k.format, k.guid, k.age);
            char sym[320];
            snprintf(sym, sizeof(sym), "%s/%s%" PRIX32, k.pdb, k.guid, k.age);
            tool_json_str(stdout, sym);
        } else {
            printf(",\"error\":");
            tool_json_str(stdout, why);
        }
        if (have_key) {
            printf(",\"image_key\":");
            tool_json_str(stdout, key);
        }
        print_facts(vmi, true);
        printf("}\n");
    } else {
        if (have_base) {
            if (have_pa)
                printf("kernel base      0x%" PRIx64 " (physical 0x%" PRIx64 ")\n", k.base,
                       k.base_pa);
            else
                printf("kernel base      0x%" PRIx64 " (no physical address: the target "
                       "does not map it)\n", k.base);
        }
        if (have_pe) {
            printf("machine          %s (0x%x), %s\n", machine, k.machine,
                   k.pe32plus ? "PE32+" : "PE32");
            printf("version          %u.%u, build %u (%s)\n", k.os_major, k.os_minor, build,
                   ver);
            printf("timestamp        0x%08" PRIx32 ", SizeOfImage 0x%" PRIx32 "\n", k.timestamp,
                   k.size_of_image);
        } else if (build) {
            printf("version          build %u (%s)\n", build, ver);
        }
        if (!why) {
            printf("PDB              %s (%s record: %s)\n", k.pdb, k.format, k.pdb_path);
            printf("GUID             %s\n", k.guid);
            printf("age              %" PRIu32 "\n", k.age);
            printf("symbol key       %s/%s%" PRIX32 "\n", k.pdb, k.guid, k.age);
        } else if (have_base) {
            printf("PE image         unreadable (%s)\n", why);
        }
        if (have_key)
            printf("image key        %s (ntoskrnl's image on a symbol server; its CodeView "
                   "record names the PDB)\n", key);
        print_facts(vmi, false);
    }
    /* Success: the PDB's key, or at least the image's (a triage dump). */
    bool ok = !why || (have_base && have_key);
    if (!ok) {
        if (have_base)
            tool_fail(prog, "%s: kernel at 0x%" PRIx64 ": %s", target, k.base, why);
        else
            tool_fail(prog, "%s: %s", target, why);
    }
    vmi_destroy(vmi);
    return ok ? 0 : 1;
}
