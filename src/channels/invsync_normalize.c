
/*
 * The normalizer entry point the worker calls for every stream entry: the
 * channel table names each type's normalizer, this wrapper enforces what
 * every one of them promises (frees on failure, gives a reason).
 */


#include <stdio.h>
#include <string.h>

#include "invsync_channel.h"


static void invsync_normalize_ascii(char *err);


/* the normalizer of a channel type, from the channel table */

const invsync_normalizer_t *
invsync_normalizer_find(const char *type)
{
    const invsync_channel_t  *ch;

    ch = invsync_channel_find(type);

    return ch != NULL ? ch->normalizer : NULL;
}


/* the worker logs err as a JSON string: keep it printable ASCII */
static void
invsync_normalize_ascii(char *err)
{
    for ( /* void */ ; *err != '\0'; err++) {
        if (*err < 0x20 || *err > 0x7e) {
            *err = '?';
        }
    }
}


/*
 * *out receives a new reference on OK and is NULL otherwise; err holds the
 * reason on POISON and on IGNORE (for the audit), "" on OK.
 */
invsync_norm_rc_e
invsync_normalize(const invsync_envelope_t *ev, json_t **out, char *err,
    size_t len)
{
    char                         q[64];
    invsync_norm_rc_e            rc;
    const invsync_normalizer_t  *n;

    *out = NULL;

    if (len == 0) {
        return INVSYNC_NORM_POISON;
    }

    err[0] = '\0';

    n = invsync_normalizer_find(ev->scheme);

    if (n == NULL) {
        snprintf(err, len, "unknown channel type \"%s\"",
                 invsync_canon_quote(q, sizeof(q), ev->scheme));
        return INVSYNC_NORM_POISON;
    }

    rc = n->normalize(ev, out, err, len);

    if (rc != INVSYNC_NORM_OK && *out != NULL) {
        json_decref(*out);
        *out = NULL;
    }

    if (rc == INVSYNC_NORM_OK && *out == NULL) {
        snprintf(err, len, "normalizer \"%s\" returned no event", n->type);
        rc = INVSYNC_NORM_POISON;
    }

    if (rc == INVSYNC_NORM_POISON && err[0] == '\0') {
        snprintf(err, len, "normalizer \"%s\" gave no reason", n->type);
    }

    if (rc == INVSYNC_NORM_OK) {
        err[0] = '\0';
    }

    invsync_normalize_ascii(err);

    return rc;
}
