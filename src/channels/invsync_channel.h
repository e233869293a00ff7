
/*
 * The channel interface: one struct of operations per channel type, filled
 * by the channel's folder (src/channels/<type>/), listed in one table
 * (invsync_channel.c).  A NULL operation means the channel cannot do that,
 * as a NULL member of nginx's ngx_event_actions_t does.  Engines ask the
 * table what a channel can do, never its type name.
 *
 * Channel code builds requests and reads answers; it does no I/O.  The
 * engines (src/runtime, src/worker) send, rate-limit, retry and audit, and
 * handle HTTP 429 with Retry-After and 5xx the same way for every channel
 * before an answer reaches a parse operation (invsync_call_verdict() in
 * src/runtime/invsync_call.c).
 * docs/architecture.md describes the layers; docs/channels.md, "Adding a
 * channel", the steps.
 */


#ifndef INVSYNC_CHANNEL_H_INCLUDED
#define INVSYNC_CHANNEL_H_INCLUDED


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "invsync.h"
#include "invsync_canon.h"
#include "invsync_stock.h"


#define INVSYNC_REQ_URL_LEN      4096
#define INVSYNC_REQ_HEADERS      8
#define INVSYNC_REQ_HEADER_LEN   1100
#define INVSYNC_ANSWER_HEADERS   4
#define INVSYNC_ITEM_ERR_LEN     200
#define INVSYNC_ITEM_SKU_LEN     129
#define INVSYNC_CURSOR_LEN       (INVSYNC_REQ_URL_LEN * 2)
#define INVSYNC_REF_LEN          300    /* "sku:<text>", "product:<id>" */

/* the topic of a refund the worker read from its channel's API (an
 * envelope the worker adds to <prefix>:refunds, body: {"order_id",
 * "currency", "refund": the channel's own refund object}) */
#define INVSYNC_TOPIC_REFUND_READ  "invsync.refund.read"

/* the topic of a disposition of returned units the worker matched to its
 * return through the channel's API (body: {"disposition": the channel's
 * own webhook body, "read": what disposition_parse gave}) */
#define INVSYNC_TOPIC_DISPOSITION_READ  "invsync.return.disposition"


/* A channel as worker.json configures it (src/runtime/invsync_config.c). */
typedef struct {
    char                    *id;
    char                    *type;            /* a row of invsync_channels */
    char                    *api_base;
    char                    *credentials_file;
    json_t                  *stock;           /* stock rules, kept as is */
    invsync_stock_rules_t    rules;           /* the same, parsed */
    long                     poll_s;          /* order backfill, 0: off */
    long                     poll_since_s;    /* first poll looks back */
    json_t                  *options;         /* the type's own, or NULL */
} invsync_channel_conf_t;


/* What an operation is given: the channel, its credentials' text, and
 * the engine's clock for requests that carry a time. */
typedef struct {
    const invsync_channel_conf_t  *conf;
    const char                    *credentials;   /* NULL: none read */
    int64_t                        now_ms;        /* set before a build */
} invsync_channel_ctx_t;


/* A request a channel built; the engine sends it and frees body. */
typedef struct {
    const char  *method;                          /* static: "GET", "POST" */
    char         url[INVSYNC_REQ_URL_LEN];
    char        *body;                            /* malloc'ed, or NULL */
    size_t       nheaders;
    char         headers[INVSYNC_REQ_HEADERS][INVSYNC_REQ_HEADER_LEN];
} invsync_request_t;


/*
 * An answer as the engine received it.  headers[i] is the value of the
 * i-th name of the channel's answer_headers list, "" when absent, NULL
 * when it was longer than the engine keeps.  A parse that answers RETRY
 * says why in why (why_len bytes), for the log and the operator.
 */
typedef struct {
    long         status;
    const char  *body;
    size_t       len;
    const char  *retry_after;                     /* "" when absent */
    const char  *headers[INVSYNC_ANSWER_HEADERS];
    char        *why;
    size_t       why_len;
} invsync_answer_t;


/* What a parse operation makes of an answer. */
typedef enum {
    INVSYNC_CH_DONE = 0,        /* per-item results are filled in */
    INVSYNC_CH_RETRY,           /* nothing applied: all again, later */
    INVSYNC_CH_THROTTLED,       /* the same, after *delay_ms */
    INVSYNC_CH_MORE             /* done, and another page follows */
} invsync_channel_rc_e;


/*
 * One identifier a channel's SKU mapping keeps: a member of the skumap
 * JSON, an `invsyncctl sku map --<option>` and a CSV column.  Rows are in
 * precedence order: an order line or a stock level is matched by the
 * first row with a ref whose value is known ("<ref>:<value>" in skuref),
 * then by the channel's SKU text ("sku:<text>").
 */
typedef enum {
    INVSYNC_ID_NUMBER = 0,      /* a positive decimal, or gid + one */
    INVSYNC_ID_TOKEN            /* 1..64 of [A-Za-z0-9_-] */
} invsync_id_shape_e;

typedef struct {
    const char          *key;       /* skumap member and CSV column */
    const char          *option;    /* CLI option, without "--" */
    const char          *gid;       /* a prefix also accepted, or NULL */
    const char          *ref;       /* skuref prefix, or NULL */
    invsync_id_shape_e   shape;
    unsigned             required:1;
    unsigned             nullable:1;    /* kept as null when not given */
    unsigned             location:1;    /* the channel's location the SKU's
                                         * quantity is pushed to: a stock
                                         * level at another one is not the
                                         * SKU's (inventory.observe) */
} invsync_channel_id_t;


/* One SKU's quantity to push, and what became of it: ok 1 applied, 0
 * refused (err says why: an exception for a person), -1 not applied
 * because of another item of an all-or-nothing request (sent again). */
typedef struct {
    char         sku[INVSYNC_ITEM_SKU_LEN];
    int64_t      qty;
    json_t      *ref;                   /* borrowed: the skumap ids */
    int          ok;
    char         err[INVSYNC_ITEM_ERR_LEN];
} invsync_push_item_t;


/* What a read back found of one SKU (reconciliation). */
typedef enum {
    INVSYNC_READ_UNREAD = 0,    /* no usable answer for it */
    INVSYNC_READ_SHOWS,         /* shows: what the channel shows */
    INVSYNC_READ_UNTRACKED,     /* the channel keeps no quantity */
    INVSYNC_READ_MISSING        /* the channel does not know the item */
} invsync_read_e;

typedef struct {
    char             sku[INVSYNC_ITEM_SKU_LEN];
    json_t          *ref;                   /* owned: the skumap ids */
    char             id[32];                /* the item the channel reads */
    char             at[32];                /* its location or parent */
    char             was[32];               /* shown before, or "" */
    char             name[72];              /* the item, for exceptions */
    invsync_read_e   read;
    int64_t          shows;
    const char      *why;                   /* static: why MISSING */
    unsigned         step;                  /* the channel's own: which of
                                             * its requests reads it next
                                             * (0 when queued) */
} invsync_read_item_t;


/* A page of orders (polling). */
typedef struct {
    int64_t      since_ms;      /* orders changed at or after this */
    char         cursor[INVSYNC_CURSOR_LEN];    /* "" for the first page */
    json_t      *orders;        /* parse: a new array of channel orders */
    long         pages;         /* total, when the channel says, or -1 */
} invsync_page_t;


/* A polled order as an envelope: its topic, id and version (the time
 * of its last change, as the channel writes it). */
typedef struct {
    const char  *topic;         /* static */
    char         id[64];
    const char  *version;       /* borrowed from the order */
} invsync_polled_t;


typedef struct invsync_shipment_s  invsync_shipment_t;  /* invsync_shipment.h */
typedef struct invsync_refund_push_s  invsync_refund_push_t;
                                        /* invsync_refund_push.h */


typedef struct {
    const char                  *type;      /* worker.json "type" */
    const invsync_scheme_t      *scheme;    /* NULL: polled only */
    const invsync_normalizer_t  *normalizer;
    const invsync_channel_id_t  *ids;       /* NULL-key-ended, or NULL */
    const char                 **answer_headers;   /* NULL-ended, or NULL */

    /* worker.json channels[].options of this type (cc->options, with
     * the rest of the channel), checked at -t: 0, or -1 with the reason
     * in err; NULL: the type takes no options */
    int    (*check_options)(const invsync_channel_conf_t *cc, char *err,
                            size_t len);

    /* credentials into the request: a header, Basic, a signature */
    int    (*authorize)(const invsync_channel_ctx_t *ctx,
                        invsync_request_t *rq);

    /* stock: items[0..n) to one request; those that cannot go with the
     * first are moved behind the ones taken; returns how many are taken */
    size_t   push_max;
    size_t (*push_build)(const invsync_channel_ctx_t *ctx,
                         invsync_push_item_t *items, size_t n,
                         const char *idempotency, invsync_request_t *rq);
    invsync_channel_rc_e (*push_parse)(const invsync_channel_ctx_t *ctx,
                         const invsync_answer_t *a,
                         invsync_push_item_t *items, size_t n,
                         int64_t *delay_ms);

    /* read back: an item's id and location from its skumap ids, then as
     * push; parse sets each item's read and shows, or answers MORE when
     * the same items need another request (e.g. the catalog for those
     * with no count): the engine then builds again with the same items,
     * which keep their step and what was read */
    size_t   read_max;
    int    (*read_item)(invsync_read_item_t *it);
    size_t (*read_build)(const invsync_channel_ctx_t *ctx,
                         invsync_read_item_t *items, size_t n,
                         invsync_request_t *rq);
    invsync_channel_rc_e (*read_parse)(const invsync_channel_ctx_t *ctx,
                         const invsync_answer_t *a,
                         invsync_read_item_t *items, size_t n,
                         int64_t *delay_ms);

    /* orders changed since page->since_ms, a page at a time; MORE sets
     * page->cursor to the next one */
    int    (*poll_build)(const invsync_channel_ctx_t *ctx,
                         const invsync_page_t *page, invsync_request_t *rq);
    invsync_channel_rc_e (*poll_parse)(const invsync_channel_ctx_t *ctx,
                         const invsync_answer_t *a, invsync_page_t *page,
                         int64_t *delay_ms);
    int    (*poll_order)(const invsync_channel_ctx_t *ctx, json_t *order,
                         invsync_polled_t *p);
    /* the envelope's account of what invsync adds itself (polled orders),
     * as the module would have it from the channel's webhooks */
    void   (*account)(const invsync_channel_ctx_t *ctx, char *buf,
                      size_t cap);

    /*
     * tracking back to the channel, a small step machine: build makes the
     * request of s->step (0, or -1: it cannot be asked, s->err says why);
     * parse reads its answer: DONE with s->step moved on (to the next
     * request, to INVSYNC_TRACK_DONE with s->ref, or to
     * INVSYNC_TRACK_REFUSED with s->err), RETRY or THROTTLED leaving the
     * step as it was.  Every attempt begins at INVSYNC_TRACK_LOOK, whose
     * answer says what the channel has already: nothing is created twice.
     */
    int    (*track_build)(const invsync_channel_ctx_t *ctx,
                          invsync_shipment_t *s, invsync_request_t *rq);
    invsync_channel_rc_e (*track_parse)(const invsync_channel_ctx_t *ctx,
                          const invsync_answer_t *a, invsync_shipment_t *s,
                          int64_t *delay_ms);

    /*
     * refunds made on the channel, a step machine as tracking's: build
     * makes the request of r->step (0, or -1 with r->err); parse reads its
     * answer: DONE with r->step moved on (to the next request, to
     * INVSYNC_REFUND_DONE with r->refund_id, INVSYNC_REFUND_COVERED or
     * INVSYNC_REFUND_REFUSED with r->err, the channel's words made
     * printable), RETRY or THROTTLED leaving the step as it was.  Every
     * attempt begins at INVSYNC_REFUND_LOOK: a refund carrying r->ref is
     * never made again.
     */
    int    (*refund_build)(const invsync_channel_ctx_t *ctx,
                           invsync_refund_push_t *r, invsync_request_t *rq);
    invsync_channel_rc_e (*refund_parse)(const invsync_channel_ctx_t *ctx,
                           const invsync_answer_t *a,
                           invsync_refund_push_t *r, int64_t *delay_ms);

    /*
     * the refunds of one order, read when the order's event names them
     * without their lines: build is 0, or -1 when the order id cannot be
     * asked for; parse answers DONE with *refunds a new array of
     * {"refund_id": "<id>", "refund": <the channel's refund object>}
     */
    int    (*refunds_build)(const invsync_channel_ctx_t *ctx,
                            const char *order_id, invsync_request_t *rq);
    invsync_channel_rc_e (*refunds_parse)(const invsync_channel_ctx_t *ctx,
                            const invsync_answer_t *a, json_t **refunds,
                            int64_t *delay_ms);
    /*
     * the ledger location (worker.json locations[].id, borrowed from cc)
     * of a sale the channel made at its own location location_id (the
     * canonical order's fulfilment.location_id: a pickup, a counter
     * sale), by the channel's options; NULL: not mapped.  *mapped says
     * whether the channel has a map of its locations at all: without one
     * the engine takes the channel's stock location, with one a location
     * it does not name is unknown (docs/routing.md).  inventory.observe
     * asks it too, to name in the audit the ledger location of a stock
     * level at a location the SKU is not pushed to (docs/worker.md)
     */
    const char *(*sale_location)(const invsync_channel_conf_t *cc,
                                 const char *location_id, int *mapped);

    /*
     * what a disposition of returned units (a canonical
     * "return_disposition" that names no return) belongs to, read from
     * the channel's API: build is 0, or -1 when the id cannot be asked
     * for; parse answers DONE with *read a new object {"return_id",
     * "order_id", "lines": {"<the disposition's line id>": "<the order's
     * line id>"}}, or DONE with *read NULL when the channel has no such
     * disposition
     */
    int    (*disposition_build)(const invsync_channel_ctx_t *ctx,
                                const char *disposition_id,
                                invsync_request_t *rq);
    invsync_channel_rc_e (*disposition_parse)(const invsync_channel_ctx_t *ctx,
                                const invsync_answer_t *a, json_t **read,
                                int64_t *delay_ms);

    unsigned     stock_per_location:1;  /* a quantity per location */
    unsigned     counts_before_orders:1;    /* its stock notices count
                                         * its own sales before their
                                         * orders can be read (polled):
                                         * a notice is decided after the
                                         * next poll round */
    unsigned     may_email_buyers:1;    /* its buyers' addresses are ours
                                         * to write to */
} invsync_channel_t;


/* invsync_channel.c: the table, sorted by type */
extern const invsync_channel_t  *invsync_channels[];

const invsync_channel_t *invsync_channel_find(const char *type);
const char *invsync_channel_types(void);       /* "shopify, square, ..." */
/* the types that can do an operation, for messages: "shopify, woocommerce" */
const char *invsync_channel_types_with(size_t offset);
#define invsync_channel_can(ch, op)  ((ch) != NULL && (ch)->op != NULL)

/* a parse's reason for RETRY into a->why; returns INVSYNC_CH_RETRY */
invsync_channel_rc_e invsync_answer_retry(const invsync_answer_t *a,
    const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Text of an answer made fit for a log line and a person, in place:
 * control bytes, DEL and bytes that do not form UTF-8 (a sequence cut by
 * a bounded copy) become '?' (jansson, and so the log, refuses invalid
 * UTF-8; a control byte could forge a terminal's or a log's line).
 */
void invsync_channel_text(char *s);

/* a request's helpers, for the build operations */
void invsync_request_init(invsync_request_t *rq, const char *method);
int invsync_request_header(invsync_request_t *rq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int invsync_request_url(invsync_request_t *rq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* the channel's api_base (trailing slashes dropped) and then a path */
int invsync_request_api(invsync_request_t *rq,
    const invsync_channel_ctx_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* api_base's length without its trailing slashes */
size_t invsync_api_base_len(const char *base);
/* a JSON document as the request's body: 0, or -1 (doc is taken) */
int invsync_request_json(invsync_request_t *rq, json_t *doc);
/* an id member as digits: a positive integer, a string of digits, or
 * "gid://.../<digits>"; 1, or 0 when it is none of these */
int invsync_id_digits(json_t *v, char *buf, size_t cap);
/*
 * Moves the items that may share a request with the first to the front,
 * at most max, keeping the order of the others: same(first, other) says.
 * Returns how many are in front.
 */
size_t invsync_items_group(void *items, size_t n, size_t size, size_t max,
    int (*same)(const void *first, const void *other));
void invsync_request_free(invsync_request_t *rq);
/* "Authorization: Basic <base64 of credentials>", for authorize */
int invsync_request_basic(invsync_request_t *rq, const char *credentials);

/* Unix ms as "YYYY-MM-DDTHH:MM:SSZ", or with ".mmm" when frac */
void invsync_iso_time(int64_t ms, int frac, char *dst, size_t cap);

/* the skuref names of a mapping's ids: the first row with a ref and a
 * value, then "sku:<channel_sku or sku>"; returns how many (at most 2) */
size_t invsync_channel_refs(const invsync_channel_t *ch, json_t *ids,
    const char *sku, char refs[2][INVSYNC_REF_LEN]);
/* checks value against an id row's shape; the digits or token into out */
int invsync_channel_id_value(const invsync_channel_id_t *id,
    const char *value, char *out, size_t cap);
/*
 * Whether a stock level at the channel's own location location_id (a
 * canonical inventory_level's) is at the location a SKU mapped by ids
 * (its skumap ids on the channel) is pushed to: 1 it is, or the channel
 * has no location among its ids (one stock per item) or ids names none;
 * 0 it is another location.
 */
int invsync_channel_level_here(const invsync_channel_t *ch, json_t *ids,
    const char *location_id);


#endif /* INVSYNC_CHANNEL_H_INCLUDED */
