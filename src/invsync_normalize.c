
/*
 * The normalizer registry: one row per channel type, the entry point the
 * worker calls for every stream entry.
 */


#include <stdio.h>
#include <string.h>

#include "invsync_canon.h"


static void invsync_normalize_ascii(char *err);


/* sorted by type; one row per file src/invsync_normalize_<type>.c */
static const invsync_normalizer_t  *invsync_normalizers[] = {
    &invsync_normalizer_shopify,
    &invsync_normalizer_woocommerce,
    NULL
};


const invsync_normalizer_t *
invsync_normalizer_find(const char *type)
{
    size_t  i;

    if (type == NULL) {
        return NULL;
    }

    for (i = 0; invsync_normalizers[i] != NULL; i++) {
        if (strcmp(invsync_normalizers[i]->type, type) == 0) {
            return invsync_normalizers[i];
        }
    }

    return NULL;
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
