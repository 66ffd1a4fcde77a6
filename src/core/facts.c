/*
 * facts.c - what the target states about its guest beyond memory and
 * registers (driver.h's fact), handed to callers as the target said it:
 * tvmi_get_fact by position, tvmi_get_fact_by_key by name.
 *
 * Must not: judge or change a fact (the layers above check them), or keep
 * pointers past the driver's life.
 */
#include <string.h>

#include "core/core.h"
#include "core/instance.h"

static status_t get_fact_impl(vmi_instance_t vmi, size_t i, tvmi_fact_t *fact)
{
    driver_fact_t f;

    CORE_REQUIRE(vmi, fact);
    memset(fact, 0, sizeof(*fact));
    if (!vmi->drv->fact) {
        core_error(vmi, "the %s target states no facts about its guest", vmi->drv->name);
        return VMI_FAILURE;
    }
    if (!vmi->drv->fact(vmi->drv_state, i, &f)) {
        if (i == 0)
            core_error(vmi, "the %s target states no facts about its guest",
                       vmi->drv->name);
        else
            core_error(vmi, "the %s target states %zu facts (asked for fact %zu)",
                       vmi->drv->name, i, i);
        return VMI_FAILURE;
    }
    fact->key = f.key;
    fact->text = f.text;
    fact->value = f.value;
    return VMI_SUCCESS;
}

status_t tvmi_get_fact(vmi_instance_t vmi, size_t i, tvmi_fact_t *fact)
{
    CORE_API(vmi, get_fact_impl(vmi, i, fact));
}

static status_t get_fact_by_key_impl(vmi_instance_t vmi, const char *key, tvmi_fact_t *fact)
{
    driver_fact_t f;

    CORE_REQUIRE(vmi, key && fact);
    memset(fact, 0, sizeof(*fact));
    for (size_t i = 0; vmi->drv->fact && vmi->drv->fact(vmi->drv_state, i, &f); i++) {
        if (strcmp(f.key, key) == 0) {
            fact->key = f.key;
            fact->text = f.text;
            fact->value = f.value;
            return VMI_SUCCESS;
        }
    }
    core_error(vmi, "the %s target does not state %s", vmi->drv->name, key);
    return VMI_FAILURE;
}

status_t tvmi_get_fact_by_key(vmi_instance_t vmi, const char *key, tvmi_fact_t *fact)
{
    CORE_API(vmi, get_fact_by_key_impl(vmi, key, fact));
}
