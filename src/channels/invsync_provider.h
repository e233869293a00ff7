
/*
 * Fulfilment providers: the APIs a location ships through, one row per
 * provider beside the channel rows (the channel table stays the stores').
 * Like a channel, a provider builds requests and reads answers and does
 * no I/O; the fulfilment engine (src/worker) sends, retries and records.
 * Engines ask the table, never a provider's name.
 *
 * This file holds the 3PL part (helper "threepl"); the carrier part sits
 * beside it in its own section.  docs/fulfilment.md, "3PL", describes the
 * engine's use of it.
 */


#ifndef INVSYNC_PROVIDER_H_INCLUDED
#define INVSYNC_PROVIDER_H_INCLUDED


#include <stdint.h>

#include <jansson.h>

#include "invsync_channel.h"


/* ---- 3PL: an order sent to a third-party warehouse --------------------- */

#define INVSYNC_3PL_REF_LEN      64
#define INVSYNC_3PL_FIELD_LEN    128
#define INVSYNC_3PL_URL_LEN      512


/* what the 3PL says of an order invsync sent it */
typedef enum {
    INVSYNC_3PL_NONE = 0,       /* it has no order with our reference */
    INVSYNC_3PL_DUPLICATE,      /* create refused: the reference exists */
    INVSYNC_3PL_OPEN,           /* accepted, not shipped yet */
    INVSYNC_3PL_SHIPPED,        /* handed to a carrier: tracking is set */
    INVSYNC_3PL_CANCELLED,      /* cancelled before shipping */
    INVSYNC_3PL_REFUSED         /* cancel refused: it has shipped */
} invsync_3pl_state_e;

typedef struct {
    invsync_3pl_state_e  state;
    char                 ref[INVSYNC_3PL_REF_LEN];   /* the 3PL's order id */
    char                 carrier[INVSYNC_3PL_FIELD_LEN];
    char                 service[INVSYNC_3PL_FIELD_LEN];
    char                 tracking[INVSYNC_3PL_FIELD_LEN];
    char                 url[INVSYNC_3PL_URL_LEN];
} invsync_3pl_order_t;


/* the shipment as the 3PL is sent it; every member borrowed */
typedef struct {
    const char  *id;                /* the shipment id: our reference */
    const char  *order_number;      /* the channel's, for people */
    const char  *shipping_method;   /* the customer's, or NULL */
    json_t      *address;           /* canonical shipping_address */
    json_t      *customer;          /* canonical customer, or NULL */
    json_t      *lines;             /* [{line_id, sku, qty}] */
} invsync_3pl_shipment_t;


/*
 * One 3PL.  Its account is a worker.json channel of the same type (its
 * api_base, credentials_file, options; its webhooks are that channel's),
 * so the operations take the channel's context.  Every parse answers
 * DONE with o->state set, or RETRY with the reason in a->why; 429 and
 * 5xx never reach a parse (invsync_call_verdict()).
 */
typedef struct {
    const char  *type;              /* the channel type it belongs to */

    /* the order with our reference, if any (look before create) */
    int    (*find_build)(const invsync_channel_ctx_t *ctx, const char *id,
                         invsync_request_t *rq);
    invsync_channel_rc_e (*find_parse)(const invsync_channel_ctx_t *ctx,
                         const invsync_answer_t *a, const char *id,
                         invsync_3pl_order_t *o);

    /* a new order; DUPLICATE when the reference exists (then find) */
    int    (*create_build)(const invsync_channel_ctx_t *ctx,
                           const invsync_3pl_shipment_t *s,
                           invsync_request_t *rq);
    invsync_channel_rc_e (*create_parse)(const invsync_channel_ctx_t *ctx,
                           const invsync_answer_t *a,
                           invsync_3pl_order_t *o);

    /* the order by the 3PL's id (ask again); NONE when it is unknown */
    int    (*get_build)(const invsync_channel_ctx_t *ctx, const char *ref,
                        invsync_request_t *rq);
    invsync_channel_rc_e (*get_parse)(const invsync_channel_ctx_t *ctx,
                        const invsync_answer_t *a, invsync_3pl_order_t *o);

    /* cancel: CANCELLED, or REFUSED once shipped */
    int    (*cancel_build)(const invsync_channel_ctx_t *ctx, const char *ref,
                           invsync_request_t *rq);
    invsync_channel_rc_e (*cancel_parse)(const invsync_channel_ctx_t *ctx,
                           const invsync_answer_t *a,
                           invsync_3pl_order_t *o);
} invsync_3pl_t;


/* invsync_provider.c: the 3PL rows, sorted by type */
extern const invsync_3pl_t  *invsync_3pls[];

/* the 3PL of a channel type, or NULL */
const invsync_3pl_t *invsync_3pl_find(const char *type);
/* "shipbob, ..." for messages */
const char *invsync_3pl_types(void);
const char *invsync_3pl_state_name(invsync_3pl_state_e s);


#endif /* INVSYNC_PROVIDER_H_INCLUDED */
