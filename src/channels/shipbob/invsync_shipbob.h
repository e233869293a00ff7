
/*
 * ShipBob, a 3PL (docs/channels/shipbob.md): its channel row (the account,
 * its signed webhooks), its normalizer and its 3PL operations after the
 * public Orders API.  What its files share.
 */


#ifndef INVSYNC_SHIPBOB_H_INCLUDED
#define INVSYNC_SHIPBOB_H_INCLUDED


#include "invsync_channel.h"
#include "invsync_provider.h"
#include "invsync_schemes.h"


extern const invsync_normalizer_t  invsync_normalizer_shipbob;

/* invsync_shipbob_return.c: return.completed as a "return_receipt" */
json_t *invsync_shipbob_return(const invsync_envelope_t *ev,
    invsync_canon_src_t *s);

/* options.channel_id as a decimal, or NULL when it is not set */
const char *invsync_shipbob_channel_id(const invsync_channel_conf_t *cc,
    char *buf, size_t cap);


#endif /* INVSYNC_SHIPBOB_H_INCLUDED */
