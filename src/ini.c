#include "ini.h"

#include <errno.h>
#include <stdio.h>

#include "wipe.h"

static slice trim(slice s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t'))
        s.ptr++, s.len--;
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t' ||
                     s.ptr[s.len - 1] == '\r'))
        s.len--;
    return s;
}

bool ini_parse(slice text, bool skip_indented, ini_entry_fn fn, void *ctx, buf *err)
{
    slice section = { "", 0 };
    const char *p = text.ptr, *end = text.ptr + text.len;
    for (int line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        slice raw = { p, (size_t)((nl ? nl : end) - p) };
        p = nl ? nl + 1 : end;
        bool indented = skip_indented && raw.len && (raw.ptr[0] == ' ' || raw.ptr[0] == '\t');
        slice l = trim(raw);
        if (l.len == 0 || l.ptr[0] == '#' || l.ptr[0] == ';' || indented)
            continue;
        if (l.ptr[0] == '[') {
            if (l.ptr[l.len - 1] != ']') {
                buf_printf(err, "line %d: a section header needs a closing ']'", line);
                return false;
            }
            section = trim((slice){ l.ptr + 1, l.len - 2 });
            continue;
        }
        const char *eq = memchr(l.ptr, '=', l.len);
        if (!eq) {
            buf_printf(err, "line %d: expected 'name = value'", line);
            return false;
        }
        slice key = trim((slice){ l.ptr, (size_t)(eq - l.ptr) });
        slice value = trim((slice){ eq + 1, (size_t)(l.ptr + l.len - eq - 1) });
        if (value.len >= 2 && value.ptr[0] == '"' && value.ptr[value.len - 1] == '"')
            value = (slice){ value.ptr + 1, value.len - 2 };
        if (key.len == 0) {
            buf_printf(err, "line %d: a setting needs a name", line);
            return false;
        }
        if (!fn(ctx, section, key, value, line, err))
            return false;
    }
    return true;
}

bool read_file(const char *path, buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    if (out->secret) /* no stdio buffer: it would be freed unwiped */
        setvbuf(f, NULL, _IONBF, 0);
    char chunk[4096];
    size_t n;
    bool ok = true;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (!buf_append(out, chunk, n)) {
            errno = EFBIG;
            ok = false;
            break;
        }
    }
    if (ok && ferror(f)) {
        errno = EIO;
        ok = false;
    }
    fclose(f);
    if (out->secret)
        wipe(chunk, sizeof chunk);
    return ok;
}
