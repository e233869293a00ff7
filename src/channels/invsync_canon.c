
/*
 * Helpers shared by the normalizers: currencies and money in minor units,
 * ISO-8601 times, the body parse and typed readers that name the JSON path
 * of whatever they reject.  Error texts are printable ASCII.
 *
 * This file: the body parse, the new event, quoting, paths and the
 * object and array walkers; money, times, the typed readers and the big
 * number finder are the files beside it (invsync_canon_parts.h).
 */


#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_canon_parts.h"


static int invsync_envelope_set(json_t *e, const char *name,
    const char *value, char *err, size_t len);


const char *
invsync_canon_quote(char *buf, size_t size, const char *text)
{
    size_t  i, n;

    if (size == 0) {
        return "";
    }

    n = 0;

    for (i = 0; text != NULL && text[i] != '\0'; i++) {
        if (i == INVSYNC_QUOTE_MAX || n + 4 >= size) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }

        buf[n++] = (text[i] < 0x20 || text[i] > 0x7e || text[i] == '"'
                    || text[i] == '\\') ? '?' : text[i];
    }

    buf[n] = '\0';

    return buf;
}


/* "path.key", cut to size; path may be empty, key NULL */
void
invsync_path(char *dst, size_t size, const char *path, const char *key)
{
    size_t  n, k;

    n = strlen(path);
    n = (n < size) ? n : size - 1;
    memmove(dst, path, n);

    if (key != NULL) {
        if (n != 0 && n + 1 < size) {
            dst[n++] = '.';
        }

        k = strlen(key);
        k = (k < size - 1 - n) ? k : size - 1 - n;
        memcpy(dst + n, key, k);
        n += k;
    }

    dst[n] = '\0';
}


int
invsync_canon_fail(const invsync_canon_src_t *s, const char *key,
    const char *fmt, ...)
{
    int      n;
    char     path[INVSYNC_CANON_PATH_LEN];
    va_list  ap;

    if (s->len == 0) {
        return -1;
    }

    invsync_path(path, sizeof(path), s->path, key);
    n = snprintf(s->err, s->len, "%s: ", path[0] ? path : "(body)");

    if (n >= 0 && (size_t) n < s->len) {
        va_start(ap, fmt);
        vsnprintf(s->err + n, s->len - n, fmt, ap);
        va_end(ap);
    }

    return -1;
}


invsync_norm_rc_e
invsync_canon_load(const invsync_envelope_t *ev, json_t **root, char *err,
    size_t len)
{
    json_t         *j;
    json_error_t    e;
    invsync_big_t   b;

    *root = NULL;

    if (ev->body == NULL || ev->body_len == 0) {
        snprintf(err, len, "body is not JSON: empty body");
        return INVSYNC_NORM_POISON;
    }

    /* a repeated key would make the event mean two things */
    j = json_loadb(ev->body, ev->body_len, JSON_REJECT_DUPLICATES, &e);

    if (j == NULL) {
        if ((strstr(e.text, "too big") != NULL
             || strstr(e.text, "overflow") != NULL)
            && invsync_big_find(ev->body, ev->body_len, &b) == 0)
        {
            snprintf(err, len, "%s: number %s overflows %s",
                     b.path[0] ? b.path : "(body)", b.text,
                     b.real ? "a double" : "int64");
            return INVSYNC_NORM_POISON;
        }

        snprintf(err, len, "body is not JSON: %s at line %d, column %d "
                 "(position %d)", e.text, e.line, e.column, e.position);
        return INVSYNC_NORM_POISON;
    }

    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(err, len, "body is not a JSON object");
        return INVSYNC_NORM_POISON;
    }

    *root = j;

    return INVSYNC_NORM_OK;
}


static int
invsync_envelope_set(json_t *e, const char *name, const char *value,
    char *err, size_t len)
{
    json_t  *v;

    v = (value == NULL) ? json_null() : json_string(value);

    if (v == NULL) {
        snprintf(err, len, "envelope field \"%s\" is not UTF-8", name);
        return -1;
    }

    if (json_object_set_new(e, name, v) != 0) {
        snprintf(err, len, "out of memory");
        return -1;
    }

    return 0;
}


json_t *
invsync_canon_new(const invsync_envelope_t *ev, const char *kind, char *err,
    size_t len)
{
    json_t  *e;

    e = json_object();
    if (e == NULL) {
        snprintf(err, len, "out of memory");
        return NULL;
    }

    if (invsync_envelope_set(e, "kind", kind, err, len) != 0
        || invsync_envelope_set(e, "channel", ev->channel, err, len) != 0
        || invsync_envelope_set(e, "account", ev->account, err, len) != 0
        || invsync_envelope_set(e, "event", ev->event, err, len) != 0
        || invsync_envelope_set(e, "topic", ev->topic, err, len) != 0)
    {
        json_decref(e);
        return NULL;
    }

    return e;
}


void
invsync_canon_root(invsync_canon_src_t *s, const json_t *root, char *err,
    size_t len)
{
    memset(s, 0, sizeof(invsync_canon_src_t));

    s->obj = root;
    s->err = err;
    s->len = len;
}


const json_t *
invsync_member(const invsync_canon_src_t *s, const char *key)
{
    const json_t  *v;

    if (s->obj == NULL) {
        return NULL;
    }

    v = json_object_get(s->obj, key);

    return json_is_null(v) ? NULL : v;
}


int
invsync_canon_object(const invsync_canon_src_t *s, const char *key,
    invsync_canon_src_t *child)
{
    const json_t  *v;

    v = invsync_member(s, key);

    if (v != NULL && !json_is_object(v)) {
        return invsync_canon_fail(s, key, "not an object");
    }

    *child = *s;
    child->obj = v;
    invsync_path(child->path, sizeof(child->path), s->path, key);

    return 0;
}


int
invsync_canon_array(const invsync_canon_src_t *s, const char *key, size_t *n)
{
    const json_t  *v;

    v = invsync_member(s, key);

    if (v != NULL && !json_is_array(v)) {
        return invsync_canon_fail(s, key, "not an array");
    }

    *n = json_array_size(v);

    return 0;
}


int
invsync_canon_item(const invsync_canon_src_t *s, const char *key, size_t i,
    invsync_canon_src_t *item)
{
    char           path[INVSYNC_CANON_PATH_LEN];
    const json_t  *v;

    v = json_array_get(invsync_member(s, key), i);

    invsync_path(path, sizeof(path), s->path, key);

    *item = *s;
    item->obj = v;
    snprintf(item->path, sizeof(item->path), "%.100s[%zu]", path, i);

    if (!json_is_object(v)) {
        return invsync_canon_fail(item, NULL, "not an object");
    }

    return 0;
}


int
invsync_canon_each(const invsync_canon_src_t *s, const char *key,
    json_t *dst, const char *dst_key, invsync_canon_fill_pt fill, void *ctx)
{
    size_t                i, n;
    json_t               *array, *o;
    invsync_canon_src_t   item;

    n = 0;
    if (invsync_canon_array(s, key, &n) != 0) {
        return -1;
    }

    array = json_array();
    if (invsync_canon_set(s, dst, dst_key, array) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (invsync_canon_item(s, key, i, &item) != 0) {
            return -1;
        }

        o = json_object();
        if (invsync_canon_append(s, array, o) != 0
            || fill(&item, o, ctx) != 0)
        {
            return -1;
        }
    }

    return 0;
}
