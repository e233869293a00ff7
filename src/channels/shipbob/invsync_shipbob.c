
/*
 * ShipBob's row of the channel table.  A 3PL is not a store: nothing is
 * pushed, read or polled; the row is its account (api_base, the personal
 * access token in credentials_file, options.channel_id) and its shipment
 * webhooks (scheme and normalizer).  The orders it is sent are the 3PL
 * row's (invsync_shipbob_orders.c).
 */


#include <stdio.h>
#include <string.h>

#include "invsync_shipbob.h"


static int invsync_shipbob_check(const invsync_channel_conf_t *cc, char *err,
    size_t len);
static int invsync_shipbob_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq);


const invsync_channel_t  invsync_channel_shipbob = {
    .type = "shipbob",
    .scheme = &invsync_scheme_shipbob,
    .normalizer = &invsync_normalizer_shipbob,
    .check_options = invsync_shipbob_check,
    .authorize = invsync_shipbob_authorize,
    .stock_per_location = 0,
    .may_email_buyers = 0,
};


/* options: {"channel_id": N}, the shipbob_channel_id orders are made in */

static int
invsync_shipbob_check(const invsync_channel_conf_t *cc, char *err, size_t len)
{
    char         buf[32];
    const char  *key;
    json_t      *v;

    if (cc->options == NULL) {
        snprintf(err, len, "\"channel_id\" is required: the "
                 "shipbob_channel_id of its orders");
        return -1;
    }

    json_object_foreach(cc->options, key, v) {
        if (strcmp(key, "channel_id") != 0) {
            snprintf(err, len, "\"%s\": unknown option (known: "
                     "channel_id)", key);
            return -1;
        }
    }

    if (invsync_shipbob_channel_id(cc, buf, sizeof(buf)) == NULL) {
        snprintf(err, len, "\"channel_id\" must be a positive "
                 "integer: the shipbob_channel_id of its orders");
        return -1;
    }

    return 0;
}


const char *
invsync_shipbob_channel_id(const invsync_channel_conf_t *cc, char *buf,
    size_t cap)
{
    json_t  *v;

    v = cc->options ? json_object_get(cc->options, "channel_id") : NULL;

    if (v == NULL || !invsync_id_digits(v, buf, cap)) {
        return NULL;
    }

    return buf;
}


/* a personal access token: "Authorization: Bearer <token>" */

static int
invsync_shipbob_authorize(const invsync_channel_ctx_t *ctx,
    invsync_request_t *rq)
{
    if (ctx->credentials == NULL || ctx->credentials[0] == '\0') {
        return -1;
    }

    return invsync_request_header(rq, "Authorization: Bearer %s",
                                  ctx->credentials);
}
