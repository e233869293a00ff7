
/*
 * The typed readers of the routing configuration: every refusal is
 * "$.path.key: reason", so an operator finds the member at once.  A list
 * of strings may not hold an empty string nor the same one twice: either
 * is a typo that would otherwise change a decision without a word.
 */


#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_routing_read.h"


static int invsync_rr_strv_fill(invsync_rr_t *r, json_t *arr,
    const char *path, const char *key, invsync_strv_t *out);


int
invsync_rr_fail(invsync_rr_t *r, const char *path, const char *key,
    const char *fmt, ...)
{
    int      n;
    va_list  args;

    if (key != NULL) {
        n = snprintf(r->err, r->len, "%s.%s: ", path, key);
    } else {
        n = snprintf(r->err, r->len, "%s: ", path);
    }

    if (n < 0 || (size_t) n >= r->len) {
        return -1;
    }

    va_start(args, fmt);
    vsnprintf(r->err + n, r->len - n, fmt, args);
    va_end(args);

    return -1;
}


/* a member's path: "$.locations[2]" + ".address" */

void
invsync_rr_at(char at[INVSYNC_RR_PATH], const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(at, INVSYNC_RR_PATH, fmt, args);
    va_end(args);
}


int
invsync_rr_keys(invsync_rr_t *r, json_t *obj, const char *path,
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
            return invsync_rr_fail(r, path, NULL, "unknown key \"%s\"", key);
        }
    }

    return 0;
}


/* absent or null: *out NULL */

int
invsync_rr_str(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, char **out)
{
    json_t  *v;

    v = json_object_get(obj, key);
    *out = NULL;

    if (v == NULL || json_is_null(v)) {
        return 0;
    }

    if (!json_is_string(v) || json_string_length(v) == 0) {
        return invsync_rr_fail(r, path, key, "must be a non-empty string");
    }

    *out = strdup(json_string_value(v));

    if (*out == NULL) {
        return invsync_rr_fail(r, path, key, "out of memory");
    }

    return 0;
}


int
invsync_rr_int(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, long min, long max, long dflt, long *out)
{
    json_t      *v;
    json_int_t   n;

    v = json_object_get(obj, key);

    if (v == NULL) {
        *out = dflt;
        return 0;
    }

    if (!json_is_integer(v)) {
        return invsync_rr_fail(r, path, key, "must be an integer");
    }

    n = json_integer_value(v);

    if (n < min || n > max) {
        return invsync_rr_fail(r, path, key, "must be between %ld and %ld",
                               min, max);
    }

    *out = (long) n;

    return 0;
}


int
invsync_rr_bool(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, int dflt, int *out)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (v == NULL) {
        *out = dflt;
        return 0;
    }

    if (!json_is_boolean(v)) {
        return invsync_rr_fail(r, path, key, "must be true or false");
    }

    *out = json_is_true(v);

    return 0;
}


/* a required number */

int
invsync_rr_num(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, double min, double max, double *out)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (v == NULL) {
        return invsync_rr_fail(r, path, key, "is required");
    }

    if (!json_is_number(v)) {
        return invsync_rr_fail(r, path, key, "must be a number");
    }

    *out = json_number_value(v);

    if (!isfinite(*out) || *out < min || *out > max) {
        return invsync_rr_fail(r, path, key, "must be between %g and %g",
                               min, max);
    }

    return 0;
}


/* an array of distinct non-empty strings; absent: empty */

int
invsync_rr_strv(invsync_rr_t *r, json_t *obj, const char *path,
    const char *key, invsync_strv_t *out)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (v == NULL) {
        return 0;
    }

    if (!json_is_array(v)) {
        return invsync_rr_fail(r, path, key, "must be an array of strings");
    }

    return invsync_rr_strv_fill(r, v, path, key, out);
}


/* "country": "DE" or "countries": ["DE", "AT"], not both */

int
invsync_rr_strv_either(invsync_rr_t *r, json_t *obj, const char *path,
    const char *one, const char *many, invsync_strv_t *out)
{
    json_t  *v;

    v = json_object_get(obj, one);

    if (v == NULL) {
        return invsync_rr_strv(r, obj, path, many, out);
    }

    if (json_object_get(obj, many) != NULL) {
        return invsync_rr_fail(r, path, one, "give \"%s\" or \"%s\", not "
                               "both", one, many);
    }

    if (!json_is_string(v) || json_string_length(v) == 0) {
        return invsync_rr_fail(r, path, one, "must be a non-empty string");
    }

    if (invsync_rr_strv_add(out, json_string_value(v)) != 0) {
        return invsync_rr_fail(r, path, one, "out of memory");
    }

    return 0;
}


static int
invsync_rr_strv_fill(invsync_rr_t *r, json_t *arr, const char *path,
    const char *key, invsync_strv_t *out)
{
    char         at[INVSYNC_RR_PATH];
    size_t       i;
    json_t      *e;
    const char  *s;

    json_array_foreach(arr, i, e) {
        invsync_rr_at(at, "%s[%zu]", key, i);

        if (!json_is_string(e) || json_string_length(e) == 0) {
            return invsync_rr_fail(r, path, at, "must be a non-empty string");
        }

        s = json_string_value(e);

        if (invsync_strv_has(out, s)) {
            return invsync_rr_fail(r, path, at, "\"%s\" is listed twice", s);
        }

        if (invsync_rr_strv_add(out, s) != 0) {
            return invsync_rr_fail(r, path, at, "out of memory");
        }
    }

    return 0;
}


/* each id must be one of worker.json's "channels" */

int
invsync_rr_channels(invsync_rr_t *r, const invsync_strv_t *v,
    const char *path, const char *key)
{
    size_t  i;

    if (r->known_channels == NULL) {
        return 0;
    }

    for (i = 0; i < v->n; i++) {
        if (!invsync_strv_has(r->known_channels, v->v[i])) {
            return invsync_rr_fail(r, path, key, "unknown channel \"%s\" "
                                   "(not in $.channels)", v->v[i]);
        }
    }

    return 0;
}


/* ISO 3166-1 alpha-2, written in capitals as the standard does */

int
invsync_rr_country(invsync_rr_t *r, const char *s, const char *path,
    const char *key, char out[3])
{
    if (strlen(s) != 2 || !isupper((unsigned char) s[0])
        || !isupper((unsigned char) s[1]))
    {
        return invsync_rr_fail(r, path, key, "\"%s\" is no ISO 3166-1 "
                               "alpha-2 country code (two capitals, e.g. "
                               "\"DE\")", s);
    }

    memcpy(out, s, 3);

    return 0;
}


int
invsync_rr_strv_add(invsync_strv_t *v, const char *s)
{
    char   *copy, **grown;

    copy = strdup(s);
    if (copy == NULL) {
        return -1;
    }

    grown = realloc(v->v, (v->n + 1) * sizeof(char *));
    if (grown == NULL) {
        free(copy);
        return -1;
    }

    v->v = grown;
    v->v[v->n++] = copy;

    return 0;
}


void
invsync_rr_strv_free(invsync_strv_t *v)
{
    size_t  i;

    for (i = 0; i < v->n; i++) {
        free(v->v[i]);
    }

    free(v->v);
    v->v = NULL;
    v->n = 0;
}


/* postal codes and prefixes compare in capitals, without blanks */

void
invsync_rr_upper(char *s)
{
    char  *d;

    for (d = s; *s; s++) {
        if (*s != ' ' && *s != '-') {
            *d++ = (char) toupper((unsigned char) *s);
        }
    }

    *d = '\0';
}


int
invsync_strv_has(const invsync_strv_t *v, const char *s)
{
    size_t  i;

    for (i = 0; i < v->n; i++) {
        if (strcmp(v->v[i], s) == 0) {
            return 1;
        }
    }

    return 0;
}
