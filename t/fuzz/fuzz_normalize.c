
/*
 * libFuzzer target: every normalizer of the channel table, through
 * invsync_normalize() as the worker calls it.  The input:
 *
 *     <type byte>topic\naccount\nevent\nbody
 *
 * the type byte picks one of the channel types that have a normalizer;
 * the envelope's other fields are fixed.  Strings are NUL-terminated as
 * hiredis gives them, the body too, one byte past body_len.  Besides the
 * sanitizers, it checks invsync_normalize()'s promises: an event on OK,
 * none otherwise, and a printable reason on POISON.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_channel.h"


#define T_FIELDS  3


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static const invsync_normalizer_t *t_normalizer(uint8_t b);
static char *t_field(const uint8_t **p, const uint8_t *last);
static void t_check(invsync_norm_rc_e rc, json_t *out, const char *err);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                        *field[T_FIELDS], *body, *dump;
    char                         err[INVSYNC_CANON_ERR_LEN];
    size_t                       i, len;
    json_t                      *out;
    const uint8_t               *p, *last;
    invsync_norm_rc_e            rc;
    invsync_envelope_t           ev;
    const invsync_normalizer_t  *n;

    if (size < 1) {
        return 0;
    }

    n = t_normalizer(data[0]);
    if (n == NULL) {
        return 0;
    }

    p = data + 1;
    last = data + size;
    body = NULL;

    for (i = 0; i < T_FIELDS; i++) {
        field[i] = t_field(&p, last);
    }

    len = (size_t) (last - p);
    body = malloc(len + 1);

    if (field[0] == NULL || field[1] == NULL || field[2] == NULL
        || body == NULL)
    {
        goto failed;
    }

    memcpy(body, p, len);
    body[len] = '\0';

    memset(&ev, 0, sizeof(invsync_envelope_t));
    ev.stream = "invsync:orders";
    ev.entry = "1718000000123-0";
    ev.channel = "fuzz";
    ev.scheme = n->type;
    ev.topic = field[0];
    ev.account = field[1];
    ev.event = field[2];
    ev.received = 1718000000123;
    ev.body = body;
    ev.body_len = len;
    ev.version = 1;
    ev.redelivery = "";

    out = NULL;
    rc = invsync_normalize(&ev, &out, err, sizeof(err));
    t_check(rc, out, err);

    if (out != NULL) {
        dump = json_dumps(out, JSON_COMPACT);
        free(dump);
        json_decref(out);
    }

failed:

    for (i = 0; i < T_FIELDS; i++) {
        free(field[i]);
    }

    free(body);

    return 0;
}


/* the b-th (modulo) channel type that has a normalizer */
static const invsync_normalizer_t *
t_normalizer(uint8_t b)
{
    size_t                    i, n, k;
    const invsync_channel_t  *ch;

    n = 0;

    for (i = 0; invsync_channels[i] != NULL; i++) {
        n += invsync_channels[i]->normalizer != NULL;
    }

    if (n == 0) {
        return NULL;
    }

    k = b % n;

    for (i = 0; invsync_channels[i] != NULL; i++) {
        ch = invsync_channels[i];

        if (ch->normalizer != NULL && k-- == 0) {
            return ch->normalizer;
        }
    }

    return NULL;
}


/* a new NUL-terminated copy of the bytes up to '\n', which is skipped */
static char *
t_field(const uint8_t **p, const uint8_t *last)
{
    char           *s;
    size_t          len;
    const uint8_t  *nl;

    nl = memchr(*p, '\n', (size_t) (last - *p));
    len = (size_t) ((nl != NULL ? nl : last) - *p);

    s = malloc(len + 1);
    if (s == NULL) {
        return NULL;
    }

    memcpy(s, *p, len);
    s[len] = '\0';

    *p = (nl != NULL) ? nl + 1 : last;

    return s;
}


static void
t_check(invsync_norm_rc_e rc, json_t *out, const char *err)
{
    const char  *c;

    switch (rc) {

    case INVSYNC_NORM_OK:
        if (out == NULL || !json_is_string(json_object_get(out, "kind"))
            || err[0] != '\0')
        {
            abort();
        }

        break;

    case INVSYNC_NORM_IGNORE:
    case INVSYNC_NORM_POISON:
        if (out != NULL || (rc == INVSYNC_NORM_POISON && err[0] == '\0')) {
            abort();
        }

        break;

    default:
        abort();
    }

    for (c = err; *c != '\0'; c++) {
        if (*c < 0x20 || *c > 0x7e) {
            abort();
        }
    }
}
