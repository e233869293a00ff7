
/*
 * The shipment scripts' calls (ship_open.lua, ship_confirm.lua,
 * ship_cancel.lua), shared by the worker's actions and engine and by
 * invsyncctl ship, so that both confirm a shipment through the same step.
 * The shipment's layout is docs/fulfilment.md's.
 */


#ifndef INVSYNC_SHIP_H_INCLUDED
#define INVSYNC_SHIP_H_INCLUDED


#include "invsync_runtime.h"


#define INVSYNC_SHIP_ID_LEN  512


typedef enum {
    INVSYNC_SHIP_LOST = -2,      /* the Redis session was lost: retry */
    INVSYNC_SHIP_REFUSED = -1,   /* the script refused (err says why) */
    INVSYNC_SHIP_BEFORE = 0,     /* shipped before: nothing written */
    INVSYNC_SHIP_DONE = 1,       /* confirmed now */
    INVSYNC_SHIP_CANCELLED = 2   /* cancelled or voided: nothing written */
} invsync_ship_rc_e;


/*
 * What a confirmation records on the shipment; NULL members are left as
 * they are.  by names who confirmed (the audit's "by").
 */
typedef struct {
    const char   *carrier;
    const char   *service;
    const char   *tracking;
    const char   *tracking_url;
    const char   *label_url;
    const char   *cost_minor;
    const char   *currency;
    const char   *provider_ref;
    const char   *by;
    const char   *shipped_by;    /* "channel": the channel shipped it (no
                                  * label, no 3PL; nothing to tell it) */
    const char   *tracked_ref;   /* then: the channel's fulfilment id */
} invsync_ship_record_t;


/* lines without those that require no shipping ("parcel": false) */
json_t *invsync_ship_parcel_lines(json_t *lines);

/* ship_confirm.lua; audit gets the audit entry's id (or the state) */
invsync_ship_rc_e invsync_ship_confirm_call(invsync_worker_t *w,
    const char *id, const invsync_ship_record_t *rec, char *audit,
    size_t alen, char *err, size_t len);
/* ship_open.lua's ARGV[5]: each configured location's kind, *len bytes
 * (NULs inside) to free; NULL: no memory */
char *invsync_ship_kinds(const invsync_conf_t *conf, size_t *len);
/* the same of n locations only, "\1" first (route.lua's ARGV[8]) */
char *invsync_ship_kinds_of(const invsync_conf_t *conf,
    const char *const *ids, size_t n, size_t *len);
/* ship_open.lua: the order's shipments from its allocation */
invsync_ship_rc_e invsync_ship_open_call(invsync_worker_t *w,
    const char *channel, const char *order, char *err, size_t len);
/* the same pipelined: appended (-1: no memory, no session), then its
 * answer (takes r) */
int invsync_ship_open_append(invsync_worker_t *w, const char *channel,
    const char *order);
invsync_ship_rc_e invsync_ship_open_take(redisReply *r, char *err,
    size_t len);
/* ship_cancel.lua: *shipped, the ids already shipped (JSON array) */
invsync_ship_rc_e invsync_ship_cancel_call(invsync_worker_t *w,
    const char *order, json_t **shipped, char *err, size_t len);
/* "<order>@<location>" into dst (cap bytes); 0 when it does not fit */
size_t invsync_ship_id(char *dst, size_t cap, const char *order,
    const char *location);


/* ship_claim.lua: the due members of a window still due, leased */
#define INVSYNC_SHIP_CLAIM_MAX  256
redisReply *invsync_ship_claim(invsync_worker_t *w, const char *due_key,
    int64_t now, int64_t lease_ms, const char **ids, size_t n);


#endif /* INVSYNC_SHIP_H_INCLUDED */
