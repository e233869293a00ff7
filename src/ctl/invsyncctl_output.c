
/*
 * invsyncctl's output as one JSON document: stream entries' fields,
 * bytes, times and ages.
 */


#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsyncctl.h"


static int invsyncctl_in(const char *name, const char **set);


/* fields shown as numbers, and fields holding JSON, in --json output */
static const char  *invsyncctl_numeric[] = {
    "v", "ts", "received", "failed", "attempts", "created", "updated",
    "resolved", NULL
};

static const char  *invsyncctl_nested[] = {
    "inputs", "history", "data", "ids", NULL
};


/* steals doc; prints it indented, with a final newline */

int
invsyncctl_print_json(json_t *doc)
{
    char  *s;

    s = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);

    if (s == NULL) {
        fprintf(stderr, "invsyncctl: out of memory\n");
        return INVSYNCCTL_USAGE;
    }

    printf("%s\n", s);
    free(s);

    return INVSYNCCTL_OK;
}


/*
 * The fields of an entry or a hash as a JSON object, new: times and counts
 * as numbers, fields that hold JSON as JSON; the body only if with_body.
 */

json_t *
invsyncctl_fields_json(const redisReply *fields, int with_body)
{
    char              *end;
    size_t             i;
    json_t            *obj, *v, *trace;
    long long          n;
    const char        *k;
    const redisReply  *val;

    obj = json_object();

    if (obj == NULL || fields == NULL || fields->type != REDIS_REPLY_ARRAY) {
        return obj;
    }

    for (i = 0; i + 1 < fields->elements; i += 2) {
        k = fields->element[i]->str;
        val = fields->element[i + 1];

        if (fields->element[i]->type != REDIS_REPLY_STRING
            || val->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        if (strcmp(k, "body") == 0) {
            if (with_body) {
                invsyncctl_json_bytes(obj, k, val->str, val->len);
            }

            continue;
        }

        v = NULL;

        if (invsyncctl_in(k, invsyncctl_numeric) && val->len > 0) {
            errno = 0;
            n = strtoll(val->str, &end, 10);

            if (errno == 0 && *end == '\0') {
                v = json_integer((json_int_t) n);
            }

        } else if (invsyncctl_in(k, invsyncctl_nested) && val->len > 0) {
            v = json_loadb(val->str, val->len, JSON_DECODE_ANY, NULL);

            /* an order.route trace as the decision saw it */
            if (strcmp(k, "inputs") == 0
                && json_object_get(v, "considered_packed") != NULL)
            {
                trace = v;
                v = invsync_route_trace_unpack(trace);
                json_decref(trace);
            }
        }

        if (v != NULL) {
            json_object_set_new(obj, k, v);

        } else {
            invsyncctl_json_bytes(obj, k, val->str, val->len);
        }
    }

    return obj;
}


static int
invsyncctl_in(const char *name, const char **set)
{
    for ( /* void */ ; *set != NULL; set++) {
        if (strcmp(name, *set) == 0) {
            return 1;
        }
    }

    return 0;
}


/* bytes as a JSON string, or base64 as "<key>_base64" if not UTF-8 */

void
invsyncctl_json_bytes(json_t *obj, const char *key, const char *s, size_t len)
{
    char     name[128];
    size_t   n;
    json_t  *v;
    u_char  *b64;

    v = json_stringn(s, len);

    if (v != NULL) {
        json_object_set_new(obj, key, v);
        return;
    }

    b64 = malloc(invsync_base64_encoded_len(len) + 1);
    if (b64 == NULL) {
        return;
    }

    n = invsync_base64_encode(b64, (const u_char *) s, len);
    snprintf(name, sizeof(name), "%s_base64", key);
    json_object_set_new(obj, name, json_stringn((char *) b64, n));
    free(b64);
}


/* "2026-11-26T10:00:00Z"; "-" for a negative time */

char *
invsyncctl_time_fmt(int64_t ms, char *buf, size_t cap)
{
    time_t     t;
    struct tm  tm;

    if (ms < 0) {
        snprintf(buf, cap, "-");
        return buf;
    }

    t = (time_t) (ms / 1000);

    if (gmtime_r(&t, &tm) == NULL
        || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    {
        snprintf(buf, cap, "%lld", (long long) ms);
    }

    return buf;
}


/* a duration for people: "42s", "3m07s", "5h02m", "2d04h" */

char *
invsyncctl_age_fmt(int64_t ms, char *buf, size_t cap)
{
    long long  s;

    s = ms > 0 ? (long long) (ms / 1000) : 0;

    if (s < 60) {
        snprintf(buf, cap, "%llds", s);

    } else if (s < 3600) {
        snprintf(buf, cap, "%lldm%02llds", s / 60, s % 60);

    } else if (s < 86400) {
        snprintf(buf, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);

    } else {
        snprintf(buf, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    }

    return buf;
}


/* the time part of a stream id, or -1 */

int64_t
invsyncctl_id_ms(const char *id)
{
    char       *end;
    long long   ms;

    errno = 0;
    ms = strtoll(id, &end, 10);

    if (errno != 0 || end == id || (*end != '-' && *end != '\0')) {
        return -1;
    }

    return (int64_t) ms;
}
