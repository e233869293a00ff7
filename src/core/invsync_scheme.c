
/*
 * The scheme registry: looking names up in the table the invsync_webhook
 * directive uses (src/channels/invsync_schemes.c), default route matching
 * and the texts of the status codes.
 */


#include <string.h>

#include "invsync.h"


#define INVSYNC_NAMES_LEN  256


/* texts go to clients in {"error":"..."}: no secrets, no request data */
static const char  *invsync_errors[] = {
    "ok",
    "handshake",
    "out of memory",
    "malformed event: id, topic or account too long or not printable",
    "body is not valid JSON",
    "no event id",
    "no topic",
    "body holds a NUL character in a string",
    "body repeats a key in an object",
    "body holds a number out of range",
    "body is not a JSON object",
    "id, topic or account is not UTF-8",
    "missing signature",
    "signature mismatch",
    "missing or malformed timestamp",
    "timestamp too old",
    "timestamp in the future",
    "webhook location misconfigured"
};


/* short names for logs, variables and test vectors (t/vectors/.../expect) */
static const char  *invsync_rc_names[] = {
    "ok",
    "handshake",
    "nomem",
    "format",
    "json",
    "no_event_id",
    "no_topic",
    "json_nul",
    "json_duplicate",
    "json_range",
    "json_object",
    "utf8",
    "no_signature",
    "signature",
    "timestamp",
    "stale",
    "future",
    "config"
};


const invsync_scheme_t *
invsync_scheme_find(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; invsync_schemes[i] != NULL; i++) {
        if (strlen(invsync_schemes[i]->name) == len
            && memcmp(invsync_schemes[i]->name, name, len) == 0)
        {
            return invsync_schemes[i];
        }
    }

    return NULL;
}


/* "hmac, ...", every name, built once from the table, for messages */
const char *
invsync_scheme_names(void)
{
    size_t       i, n, len;
    static char  names[INVSYNC_NAMES_LEN];

    if (names[0] != '\0') {
        return names;
    }

    len = 0;

    for (i = 0; invsync_schemes[i] != NULL; i++) {
        n = strlen(invsync_schemes[i]->name);

        if (len + n + 3 > INVSYNC_NAMES_LEN) {
            break;
        }

        if (i != 0) {
            names[len++] = ',';
            names[len++] = ' ';
        }

        memcpy(names + len, invsync_schemes[i]->name, n);
        len += n;
    }

    names[len] = '\0';

    return names;
}


/* 1 if the topic matches: exactly, by the prefix before a final '*', or
 * always for "*" */
int
invsync_route_match(const char *pattern, const unsigned char *topic,
    size_t len)
{
    size_t  n;

    n = strlen(pattern);

    if (n != 0 && pattern[n - 1] == '*') {
        n--;
        return len >= n && memcmp(pattern, topic, n) == 0;
    }

    return len == n && memcmp(pattern, topic, n) == 0;
}


/* the stream of the first matching row, or NULL (the caller's default) */
const char *
invsync_route_find(const invsync_route_t *routes, const unsigned char *topic,
    size_t len)
{
    if (routes == NULL) {
        return NULL;
    }

    for ( /* void */ ; routes->topic != NULL; routes++) {
        if (invsync_route_match(routes->topic, topic, len)) {
            return routes->stream;
        }
    }

    return NULL;
}


const char *
invsync_strerror(invsync_rc_e rc)
{
    if ((size_t) rc >= sizeof(invsync_errors) / sizeof(invsync_errors[0])) {
        return "unknown error";
    }

    return invsync_errors[rc];
}


const char *
invsync_rc_name(invsync_rc_e rc)
{
    if ((size_t) rc
        >= sizeof(invsync_rc_names) / sizeof(invsync_rc_names[0]))
    {
        return "unknown";
    }

    return invsync_rc_names[rc];
}


const invsync_str_t *
invsync_header_pick(const invsync_input_t *in, size_t first, size_t second)
{
    if (invsync_str_set(&in->headers[first])) {
        return &in->headers[first];
    }

    if (invsync_str_set(&in->headers[second])) {
        return &in->headers[second];
    }

    return NULL;
}


int
invsync_time_parse(const unsigned char *p, size_t len, int canonical,
    int64_t *t)
{
    size_t   i;
    int64_t  v;

    if (len == 0 || len > 18 || (canonical && len > 1 && p[0] == '0')) {
        return -1;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        v = v * 10 + (p[i] - '0');
    }

    *t = v;

    return 0;
}


invsync_rc_e
invsync_time_check(const invsync_input_t *in, int64_t t)
{
    if (in->now - t > in->tolerance) {
        return INVSYNC_ERR_STALE;
    }

    if (t - in->now > in->tolerance) {
        return INVSYNC_ERR_FUTURE;
    }

    return INVSYNC_OK;
}
