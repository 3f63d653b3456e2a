#include "companion_route.h"

#include "params.h"

#define MAX_SEGMENTS 3 /* multipart/{id}/{what} */

bool companion_route_matches(slice path)
{
    size_t n = sizeof COMPANION_PREFIX - 1;
    return path.len > n && memcmp(path.ptr, COMPANION_PREFIX, n) == 0;
}

/* Splits rest on '/' into seg; an empty segment (a doubled or trailing slash)
 * counts as one, so "multipart/" is two segments and never the create route.
 * Returns MAX_SEGMENTS + 1 when there are more than MAX_SEGMENTS. */
static size_t split(slice rest, slice seg[MAX_SEGMENTS])
{
    size_t n = 0;
    const char *p = rest.ptr, *end = rest.ptr + rest.len;
    for (;;) {
        if (n == MAX_SEGMENTS)
            return MAX_SEGMENTS + 1;
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *e = slash ? slash : end;
        seg[n++] = (slice){ p, (size_t)(e - p) };
        if (!slash)
            return n;
        p = slash + 1;
    }
}

companion_route companion_route_parse(slice path)
{
    companion_route r = { COMPANION_NOT_FOUND, { "", 0 }, 0 };
    if (!companion_route_matches(path))
        return r;
    size_t skip = sizeof COMPANION_PREFIX - 1;
    slice seg[MAX_SEGMENTS];
    size_t n = split((slice){ path.ptr + skip, path.len - skip }, seg);
    if (n == 1 && slice_eq_str(seg[0], "params")) {
        r.kind = COMPANION_PARAMS;
        return r;
    }
    if (n == 1 && slice_eq_str(seg[0], "sts")) {
        r.kind = COMPANION_STS;
        return r;
    }
    if (n > MAX_SEGMENTS || !slice_eq_str(seg[0], "multipart"))
        return r;
    if (n == 1) {
        r.kind = COMPANION_MULTIPART;
        return r;
    }
    /* the id before what follows it: a bad id is the clearer message */
    if (!upload_id_valid(seg[1])) {
        r.kind = COMPANION_BAD_UPLOAD_ID;
        return r;
    }
    r.upload_id = seg[1];
    if (n == 2)
        r.kind = COMPANION_UPLOAD;
    else if (slice_eq_str(seg[2], "batch"))
        r.kind = COMPANION_BATCH;
    else if (slice_eq_str(seg[2], "complete"))
        r.kind = COMPANION_COMPLETE;
    else if (part_number_parse(seg[2], &r.part_number))
        r.kind = COMPANION_PART;
    else
        r.kind = COMPANION_BAD_PART;
    return r;
}
