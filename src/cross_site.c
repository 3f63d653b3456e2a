#include "cross_site.h"

#include <strings.h>

bool cross_site_allowed(slice sec_fetch_site, slice origin, char *const *origins, size_t n_origins)
{
    if (sec_fetch_site.len == 0 || slice_eq_str(sec_fetch_site, "same-origin") ||
        slice_eq_str(sec_fetch_site, "same-site") || slice_eq_str(sec_fetch_site, "none"))
        return true;
    if (origin.len == 0)
        return false;
    for (size_t i = 0; i < n_origins; i++)
        if (strlen(origins[i]) == origin.len && strncasecmp(origins[i], origin.ptr, origin.len) == 0)
            return true;
    return false;
}
