
/*
 * Label providers: the carrier APIs an own warehouse buys its labels
 * from.  The fulfilment engine (src/worker/invsync_worker_fulfil.c) asks
 * this table by the name a location's "fulfilment.provider" gives and
 * never knows a provider's request or answer shapes; each provider's
 * folder under src/channels/ holds them.  Requests go out through the
 * engine's invsync_call (src/runtime/invsync_call.h), with the
 * provider's authorize.
 *
 * Its second part is the 3PL table (helper "threepl"): the APIs a 3pl
 * location sends its orders to, asked by the type of the location's
 * fulfilment.channel (src/worker/invsync_worker_3pl.c).
 */


#ifndef INVSYNC_PROVIDER_H_INCLUDED
#define INVSYNC_PROVIDER_H_INCLUDED


#include <stdint.h>

#include <jansson.h>

#include "invsync_channel.h"


#define INVSYNC_LABEL_RATES    16
#define INVSYNC_LABEL_ID_LEN   128
#define INVSYNC_LABEL_URL_LEN  1024


typedef struct {
    char         id[INVSYNC_LABEL_ID_LEN];
    char         carrier[64];
    char         service[64];
    char         currency[8];
    int64_t      cost_minor;            /* -1: no usable cost, see why */
    int          days;                  /* delivery days; 0 unknown */
    char         why[96];               /* why cost_minor is -1 */
} invsync_rate_t;


/* a shipment as the provider knows it (any of its answers) */
typedef struct {
    char            id[INVSYNC_LABEL_ID_LEN];   /* the provider's */
    int             purchased;                  /* a label was bought */
    char            tracking[INVSYNC_LABEL_ID_LEN];
    char            label_url[INVSYNC_LABEL_URL_LEN];
    char            tracking_url[INVSYNC_LABEL_URL_LEN];
    invsync_rate_t  bought;                     /* when purchased */
    invsync_rate_t  rates[INVSYNC_LABEL_RATES];
    size_t          nrates;
    char            refund_status[32];
} invsync_label_t;


/* what a label is bought for: addresses in the canonical shape
 * (docs/events.md shipping_address: name, address1, address2, city,
 * province, zip, country_code, phone), the parcel in grams and mm */
typedef struct {
    const char  *reference;             /* the shipment id */
    json_t      *from;
    json_t      *to;
    int64_t      weight_g;
    int64_t      length_mm, width_mm, height_mm;    /* 0: not given */
} invsync_label_req_t;


typedef enum {
    INVSYNC_LABEL_OK = 0,       /* *l filled */
    INVSYNC_LABEL_NOTFOUND,     /* no such shipment (a lookup's) */
    INVSYNC_LABEL_REFUSED,      /* a person must look: a->why says why */
    INVSYNC_LABEL_RETRY         /* later: a->why says why */
} invsync_label_rc_e;


typedef struct {
    const char               *name;     /* worker.json provider */
    const invsync_channel_t  *call;     /* authorize, answer_headers */

    /* the shipment that carries reference, to buy nothing twice */
    int   (*lookup_build)(const invsync_channel_ctx_t *ctx,
                          const char *reference, invsync_request_t *rq);
    int   (*create_build)(const invsync_channel_ctx_t *ctx,
                          const invsync_label_req_t *req,
                          invsync_request_t *rq);
    int   (*buy_build)(const invsync_channel_ctx_t *ctx, const char *id,
                       const char *rate_id, invsync_request_t *rq);
    /* an unused label back (a refund) */
    int   (*void_build)(const invsync_channel_ctx_t *ctx, const char *id,
                        invsync_request_t *rq);
    /* any of their answers, after invsync_call_verdict() said DONE */
    invsync_label_rc_e (*parse)(const invsync_channel_ctx_t *ctx,
                                const invsync_answer_t *a,
                                invsync_label_t *l);
} invsync_provider_t;


/* invsync_providers.c: by name, or NULL; the names for messages */
const invsync_provider_t *invsync_provider_find(const char *name);
const char *invsync_provider_names(void);


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
    /* what its later notices name our products by: {"<ref>": "<the
     * reference invsync sent, the ledger SKU>"}, the engine keeping each
     * as skuref:<channel>:<ref> (a return's lines are matched by it);
     * NULL: none.  New, freed by the engine. */
    json_t              *items;
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
