
/*
 * Label providers: the carrier APIs an own warehouse buys its labels
 * from.  The fulfilment engine (src/worker/invsync_worker_fulfil.c) asks
 * this table by the name a location's "fulfilment.provider" gives and
 * never knows a provider's request or answer shapes; each provider's
 * folder under src/channels/ holds them.  Requests go out through the
 * engine's invsync_call (src/runtime/invsync_call.h), with the
 * provider's authorize.
 */


#ifndef INVSYNC_PROVIDER_H_INCLUDED
#define INVSYNC_PROVIDER_H_INCLUDED


#include "invsync_channel.h"


#define INVSYNC_LABEL_RATES    16
#define INVSYNC_LABEL_ID_LEN   128
#define INVSYNC_LABEL_URL_LEN  1024


typedef struct {
    char         id[INVSYNC_LABEL_ID_LEN];
    char         carrier[64];
    char         service[64];
    char         currency[8];
    int64_t      cost_minor;
    int          days;                  /* delivery days; 0 unknown */
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


#endif /* INVSYNC_PROVIDER_H_INCLUDED */
