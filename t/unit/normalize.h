
/*
 * The normalizer tests' shared part (test_normalize.c, the fixtures and
 * the member-by-member cases; test_normalize_fuzz.c, raw bodies, ignored
 * topics and the mutation walk): a fixture of t/fixtures/ read, a body
 * normalized as one envelope, members got and set by path ("lines[1].sku"),
 * and t_sane(), the contract every result keeps.
 */


#ifndef T_NORMALIZE_H
#define T_NORMALIZE_H


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_channel.h"
#include "tap.h"


#define T_ERR_LEN  INVSYNC_CANON_ERR_LEN
#define T_OK       INVSYNC_NORM_OK
#define T_IGNORE   INVSYNC_NORM_IGNORE
#define T_POISON   INVSYNC_NORM_POISON


typedef struct {
    const char  *scheme;
    const char  *topic;
    const char  *fixture;       /* under t/fixtures/ */
    const char  *path;          /* member to replace, or NULL */
    const char  *value;         /* JSON text; NULL deletes the member */
    int          rc;
    const char  *check;         /* OK: path to compare; POISON: NULL */
    const char  *want;          /* OK: JSON text; POISON: err contains */
} t_case_t;


/* each test uses some of these: unused is no warning */
static char *t_read(const char *fixture, size_t *len)
    __attribute__((unused));
static invsync_norm_rc_e t_norm(const char *scheme, const char *topic,
    const char *body, size_t len, json_t **out, char *err)
    __attribute__((unused));
static json_t *t_get(json_t *root, const char *path)
    __attribute__((unused));
static int t_set(json_t *root, const char *path, json_t *value)
    __attribute__((unused));
static int t_equal(json_t *root, const char *path, const char *want)
    __attribute__((unused));
static const char *t_sane(invsync_norm_rc_e rc, json_t *out,
    const char *err) __attribute__((unused));


/* the fixture's bytes, NUL-terminated; exits if it cannot be read */
static char *
t_read(const char *fixture, size_t *len)
{
    char        path[512], *buf;
    long        n;
    FILE       *f;
    const char  *top;

    top = getenv("INVSYNC_TOP");

    snprintf(path, sizeof(path), "%s/t/fixtures/%s", top ? top : ".",
             fixture);

    f = fopen(path, "rb");
    if (f == NULL) {
        printf("Bail out! cannot open %s\n", path);
        exit(1);
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = malloc(n + 1);
    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        printf("Bail out! cannot read %s\n", path);
        exit(1);
    }

    fclose(f);

    buf[n] = '\0';
    *len = n;

    return buf;
}


static invsync_norm_rc_e
t_norm(const char *scheme, const char *topic, const char *body, size_t len,
    json_t **out, char *err)
{
    invsync_envelope_t  ev;

    memset(&ev, 0, sizeof(invsync_envelope_t));

    ev.stream = "invsync:orders";
    ev.entry = "1722641212000-0";
    ev.channel = "shop-1";
    ev.scheme = scheme;
    ev.account = "acme.myshopify.com";
    ev.topic = topic;
    ev.event = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043";
    ev.received = 1722641213000;
    ev.body = body;
    ev.body_len = len;

    return invsync_normalize(&ev, out, err, T_ERR_LEN);
}


/* "lines[1].sku": members by name, array elements by [index] */
static json_t *
t_get(json_t *root, const char *path)
{
    char    key[128];
    size_t  n;

    while (root != NULL && *path != '\0') {
        if (*path == '.') {
            path++;
        }

        if (*path == '[') {
            root = json_array_get(root, strtoul(path + 1, NULL, 10));
            path = strchr(path, ']') + 1;
            continue;
        }

        n = strcspn(path, ".[");
        snprintf(key, sizeof(key), "%.*s", (int) n, path);
        root = json_object_get(root, key);
        path += n;
    }

    return root;
}


/* steals value; NULL deletes the member */
static int
t_set(json_t *root, const char *path, json_t *value)
{
    char         parent[256];
    json_t      *p;
    const char  *last;

    last = path + strlen(path);

    while (last > path && *last != '.' && *last != '[') {
        last--;
    }

    snprintf(parent, sizeof(parent), "%.*s", (int) (last - path), path);
    p = t_get(root, parent);

    if (*last == '[') {
        if (value == NULL) {
            return json_array_remove(p, strtoul(last + 1, NULL, 10));
        }

        return json_array_set_new(p, strtoul(last + 1, NULL, 10), value);
    }

    if (*last == '.') {
        last++;
    }

    if (value == NULL) {
        return json_object_del(p, last);
    }

    return json_object_set_new(p, last, value);
}


static int
t_equal(json_t *root, const char *path, const char *want)
{
    int      eq;
    char    *got;
    json_t  *w, *v;

    v = t_get(root, path);
    w = json_loads(want, JSON_DECODE_ANY, NULL);

    eq = (v != NULL && w != NULL && json_equal(v, w));

    if (!eq) {
        got = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
        printf("# %s: got %s, want %s\n", path, got ? got : "(none)", want);
        free(got);
    }

    json_decref(w);

    return eq;
}


/* NULL if the result keeps the contract, else what breaks it */
static const char *
t_sane(invsync_norm_rc_e rc, json_t *out, const char *err)
{
    char         *dump;
    size_t        i;
    json_t       *lines, *l, *q;
    const char   *p;

    if (rc == T_POISON || rc == T_IGNORE) {
        if (out != NULL) {
            return "an event with a poison or an ignore";
        }

        if (err[0] == '\0') {
            return "no reason";
        }

        for (p = err; *p != '\0'; p++) {
            if (*p < 0x20 || *p > 0x7e) {
                return "reason not printable ASCII";
            }
        }

        return NULL;
    }

    if (rc != T_OK || out == NULL || err[0] != '\0') {
        return "OK without an event, or with a reason";
    }

    dump = json_dumps(out, JSON_COMPACT);
    if (dump == NULL) {
        return "event does not serialize";
    }

    free(dump);

    if (!json_is_string(json_object_get(out, "kind"))) {
        return "no kind";
    }

    lines = json_object_get(out, "lines");

    json_array_foreach(lines, i, l) {
        q = json_object_get(l, "quantity");

        if (!json_is_integer(q) || json_integer_value(q) < 0) {
            return "a line quantity that is not a count";
        }

        if (!json_is_string(json_object_get(l, "channel_line_id"))) {
            return "a line without an id";
        }
    }

    return NULL;
}


#endif /* T_NORMALIZE_H */
