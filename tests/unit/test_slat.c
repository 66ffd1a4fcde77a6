/*
 * test_slat.c - the SLAT view calls (<libvmi/slat.h>) are pass-throughs to
 * the driver's slat table: with a table, each call reaches its slot with
 * the caller's arguments and reports the slot's answer or reason; without
 * one (the file driver), each fails naming the driver.
 *
 * No driver with views is built here (Xen's will be), so the test gives a
 * memory image's instance a copy of the file driver with a recording slat
 * table.  It reaches into the core's instance for that, as only a test may.
 */
#include "test.h"

#include <unistd.h>

#include <libvmi/libvmi.h>
#include <libvmi/slat.h>
#include "core/instance.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

extern const driver_ops_t driver_file_ops;

/* What the fake table was asked, and what it answers. */
static struct {
    const char *last;
    bool on;
    uint16_t view;
    addr_t old_gfn, new_gfn;
    bool fail;
} rec;

static status_t answer(const char *what, util_err_t *err)
{
    rec.last = what;
    if (rec.fail) {
        util_err_set(err, "the hypervisor refused %s", what);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

static status_t f_state(void *s, bool *on, util_err_t *err)
{
    *on = rec.on;
    return answer("state", err);
}
static status_t f_control(void *s, bool on, util_err_t *err)
{
    rec.on = on;
    return answer("control", err);
}
static status_t f_create(void *s, uint16_t *view, util_err_t *err)
{
    *view = 7;
    return answer("create", err);
}
static status_t f_destroy(void *s, uint16_t view, util_err_t *err)
{
    rec.view = view;
    return answer("destroy", err);
}
static status_t f_switch(void *s, uint16_t view, util_err_t *err)
{
    rec.view = view;
    return answer("switch", err);
}
static status_t f_change(void *s, uint16_t view, addr_t old_gfn, addr_t new_gfn,
                         util_err_t *err)
{
    rec.view = view;
    rec.old_gfn = old_gfn;
    rec.new_gfn = new_gfn;
    return answer("change_gfn", err);
}

static const driver_slat_ops_t fake_slat = {
    f_state, f_control, f_create, f_destroy, f_switch, f_change,
};

static char path[] = "/tmp/tvmi-slat-XXXXXX";

static vmi_instance_t open_image(void)
{
    vmi_instance_t vmi = NULL;
    if (vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                          "ostype = none; pagemode = none;", NULL) != VMI_SUCCESS)
        fprintf(stderr, "  init: %s\n", tvmi_init_errmsg());
    return vmi;
}

static void test_without_views(void)
{
    vmi_instance_t vmi = open_image();
    bool on = true;
    uint16_t id = 0;
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    CHECK(vmi_slat_state(vmi, &on) == VMI_FAILURE);
    CHECK_STREQ(tvmi_errmsg(vmi), "vmi_slat_state: the file driver (a memory image file: raw, "
                                  "QEMU ELF core, LiME or Windows crash dump) has no SLAT "
                                  "views: altp2m is a Xen feature");
    CHECK(vmi_slat_create(vmi, &id) == VMI_FAILURE && id == 0);
    CHECK(strstr(tvmi_errmsg(vmi), "vmi_slat_create: the file driver") != NULL);
    vmi_destroy(vmi);
}

static void test_pass_through(void)
{
    vmi_instance_t vmi = open_image();
    driver_ops_t with_views;
    bool on = false;
    uint16_t id = 0;

    CHECK(vmi != NULL);
    if (!vmi)
        return;
    with_views = driver_file_ops;
    with_views.slat = &fake_slat;
    vmi->drv = &with_views;

    CHECK(vmi_slat_control(vmi, true) == VMI_SUCCESS);
    CHECK_STREQ(rec.last, "control");
    CHECK(rec.on);
    CHECK(vmi_slat_state(vmi, &on) == VMI_SUCCESS && on);
    CHECK(vmi_slat_set_domain_state(vmi, false) == VMI_SUCCESS && !rec.on);
    CHECK(vmi_slat_get_domain_state(vmi, &on) == VMI_SUCCESS && !on);
    CHECK(vmi_slat_create(vmi, &id) == VMI_SUCCESS);
    CHECK_EQ_U64(id, 7);
    CHECK(vmi_slat_switch(vmi, 7) == VMI_SUCCESS);
    CHECK_STREQ(rec.last, "switch");
    CHECK_EQ_U64(rec.view, 7);
    CHECK(vmi_slat_change_gfn(vmi, 7, 0x1234, 0x5678) == VMI_SUCCESS);
    CHECK_EQ_U64(rec.old_gfn, 0x1234);
    CHECK_EQ_U64(rec.new_gfn, 0x5678);
    CHECK(vmi_slat_destroy(vmi, 9) == VMI_SUCCESS);
    CHECK_STREQ(rec.last, "destroy");
    CHECK_EQ_U64(rec.view, 9);
    CHECK_STREQ(tvmi_errmsg(vmi), "");
    /* The driver's reason, named by the call. */
    rec.fail = true;
    CHECK(vmi_slat_switch(vmi, 3) == VMI_FAILURE);
    CHECK_STREQ(tvmi_errmsg(vmi), "vmi_slat_switch: the hypervisor refused switch");
    CHECK(vmi_slat_state(vmi, NULL) == VMI_FAILURE);
    CHECK(strstr(tvmi_errmsg(vmi), "required argument is NULL (state)") != NULL);
    rec.fail = false;

    vmi->drv = &driver_file_ops;
    vmi_destroy(vmi);
}

int main(void)
{
    static char zeros[8192];
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, zeros, sizeof(zeros)) == (ssize_t)sizeof(zeros));
    if (fd >= 0)
        close(fd);
    TEST_RUN(test_without_views);
    TEST_RUN(test_pass_through);
    unlink(path);
    TEST_DONE();
}
