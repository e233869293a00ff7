
/*
 * The typed readers every part of worker.json goes through: each one
 * refuses with the file, the JSON path and the reason, so that refusals
 * read the same whichever section they come from.
 */


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invsync_config_read.h"


int
invsync_cfg_fail(invsync_cfg_t *c, const char *path, const char *fmt, ...)
{
    int      n;
    va_list  args;

    n = snprintf(c->err, c->len, "%s: %s: ", c->file, path);
    if (n < 0 || (size_t) n >= c->len) {
        return -1;
    }

    va_start(args, fmt);
    vsnprintf(c->err + n, c->len - n, fmt, args);
    va_end(args);

    return -1;
}


int
invsync_cfg_keys(invsync_cfg_t *c, json_t *obj, const char *path,
    const char **allowed)
{
    size_t       i;
    json_t      *value;
    const char  *key;

    json_object_foreach(obj, key, value) {
        for (i = 0; allowed[i] != NULL; i++) {
            if (strcmp(key, allowed[i]) == 0) {
                break;
            }
        }

        if (allowed[i] == NULL) {
            return invsync_cfg_fail(c, path, "unknown key \"%s\"", key);
        }
    }

    return 0;
}


/* the member object, or NULL: absent (no error) or not an object (error) */

json_t *
invsync_cfg_object(invsync_cfg_t *c, json_t *parent, const char *path,
    const char *key)
{
    json_t  *obj;

    obj = json_object_get(parent, key);

    if (obj != NULL && !json_is_object(obj)) {
        invsync_cfg_fail(c, path, "\"%s\" must be an object", key);
        return NULL;
    }

    return obj;
}


int
invsync_cfg_int(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, long min, long max, long dflt, long *out)
{
    json_t      *v;
    json_int_t   n;

    v = obj ? json_object_get(obj, key) : NULL;

    if (v == NULL) {
        *out = dflt;
        return 0;
    }

    if (!json_is_integer(v)) {
        return invsync_cfg_fail(c, path, "\"%s\" must be an integer", key);
    }

    n = json_integer_value(v);

    if (n < min || n > max) {
        return invsync_cfg_fail(c, path, "\"%s\" must be between %ld and %ld",
                                key, min, max);
    }

    *out = (long) n;

    return 0;
}


int
invsync_cfg_str(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, const char *dflt, char **out)
{
    json_t      *v;
    const char  *s;

    v = obj ? json_object_get(obj, key) : NULL;
    *out = NULL;

    if (v == NULL || json_is_null(v)) {
        s = dflt;

    } else if (!json_is_string(v) || json_string_length(v) == 0) {
        return invsync_cfg_fail(c, path, "\"%s\" must be a non-empty string",
                                key);

    } else {
        s = json_string_value(v);
    }

    if (s == NULL) {
        return 0;
    }

    *out = strdup(s);

    if (*out == NULL) {
        return invsync_cfg_fail(c, path, "out of memory");
    }

    return 0;
}


int
invsync_cfg_bool(invsync_cfg_t *c, json_t *obj, const char *path,
    const char *key, int dflt, int *out)
{
    json_t  *v;

    v = obj ? json_object_get(obj, key) : NULL;

    if (v == NULL) {
        *out = dflt;
        return 0;
    }

    if (!json_is_boolean(v)) {
        return invsync_cfg_fail(c, path, "\"%s\" must be true or false", key);
    }

    *out = json_is_true(v);

    return 0;
}


int
invsync_cfg_name(const char *s)
{
    if (*s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'
              || *s == '.' || *s == ':'))
        {
            return 0;
        }
    }

    return 1;
}
