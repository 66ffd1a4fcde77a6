/*
 * upper.c - how the layers above the core (an OS layer, the events layer,
 * the JSON-profile calls) attach their state to an instance.  The core keeps the pointers and frees
 * the state with the instance; it calls nothing else of those layers but
 * the two resolutions of core_os_t (symbol -> address, pid -> page table).
 */
#include "core/core.h"
#include "core/instance.h"

void core_set_os(vmi_instance_t vmi, const core_os_t *os, void *state)
{
    if (vmi->os && vmi->os->destroy)
        vmi->os->destroy(vmi->os_state);
    vmi->os = os;
    vmi->os_state = os ? state : NULL;
    /* Answers of the old layer must not outlive it. */
    vmi_pidcache_flush(vmi);
    vmi_symcache_flush(vmi);
    vmi_rvacache_flush(vmi);
}

const core_os_t *core_get_os(vmi_instance_t vmi, void **state)
{
    if (state)
        *state = vmi->os_state;
    return vmi->os;
}

void core_set_events(vmi_instance_t vmi, void *state, void (*destroy)(void *state))
{
    vmi->events = state;
    vmi->events_destroy = destroy;
}

void *core_get_events(vmi_instance_t vmi)
{
    return vmi->events;
}

void core_set_profile(vmi_instance_t vmi, void *state, void (*destroy)(void *state))
{
    if (vmi->profile_destroy && vmi->profile != state)
        vmi->profile_destroy(vmi->profile);
    vmi->profile = state;
    vmi->profile_destroy = state ? destroy : NULL;
}

void *core_get_profile(vmi_instance_t vmi)
{
    return vmi->profile;
}
