#include "iso8601.h"

#include <ctype.h>
#include <string.h>

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

bool iso8601_parse(slice s, time_t *out)
{
    char t[40];
    if (s.len < 20 || s.len >= sizeof t)
        return false;
    memcpy(t, s.ptr, s.len);
    t[s.len] = '\0';
    struct tm tm = { 0 };
    int year, mon, day, hour, min, sec;
    if (!digits(t, 4, &year) || t[4] != '-' || !digits(t + 5, 2, &mon) || t[7] != '-' ||
        !digits(t + 8, 2, &day) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
        !digits(t + 11, 2, &hour) || t[13] != ':' || !digits(t + 14, 2, &min) || t[16] != ':' ||
        !digits(t + 17, 2, &sec))
        return false;
    const char *rest = t + 19;
    if (*rest == '.') /* fractions of a second are dropped */
        for (rest++; isdigit((unsigned char)*rest); rest++)
            ;
    if (!(strcmp(rest, "Z") == 0 || strcmp(rest, "z") == 0 || strcmp(rest, "+00:00") == 0 ||
          strcmp(rest, "-00:00") == 0))
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return false;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    time_t when = timegm(&tm);
    if (when == (time_t)-1 || tm.tm_mday != day) /* 31 February */
        return false;
    *out = when;
    return true;
}

bool iso8601_format(time_t t, char out[ISO8601_SIZE])
{
    struct tm tm;
    if (gmtime_r(&t, &tm) && strftime(out, ISO8601_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm))
        return true;
    out[0] = '\0';
    return false;
}
