
/*
 * invsync-worker: configuration, the Redis session, logging, the consumer
 * loop and the actions.  One process, one thread; several processes on
 * one or many machines share the streams through consumer groups.
 */


#ifndef INVSYNC_RUNTIME_H_INCLUDED
#define INVSYNC_RUNTIME_H_INCLUDED


#include <stddef.h>
#include <stdint.h>
#include <signal.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "invsync.h"
#include "invsync_credentials.h"
#include "invsync_canon.h"
#include "invsync_stock.h"
#include "invsync_returns.h"
#include "invsync_channel.h"
#include "invsync_routing.h"


#define INVSYNC_ERR_LEN        512
#define INVSYNC_MAX_STREAMS    8
#define INVSYNC_MAX_CHANNELS   64
#define INVSYNC_NAME_LEN       128
#define INVSYNC_PUSH_EVERY_MS  10     /* pusher turns inside a batch */
/*
 * A held stock notice (a channel with counts_before_orders) is handed back
 * by the first complete poll round that began this long after the notice
 * was received: the order behind the count has had that long to appear in
 * the channel's order search.  It is held again, for the pusher, at most
 * INVSYNC_HELD_MAX times.
 */
#define INVSYNC_HELD_MARGIN_MS 2000
#define INVSYNC_HELD_MAX       3
#define INVSYNC_CMDV_MAX       40     /* invsync_redis_cmdv() arguments
                                       * kept on the stack; more are
                                       * allocated */


typedef enum {
    INVSYNC_LOG_DEBUG = 0,
    INVSYNC_LOG_INFO,
    INVSYNC_LOG_WARN,
    INVSYNC_LOG_ERROR,
    INVSYNC_LOG_NONE            /* nothing: the CLI prints its own errors */
} invsync_log_level_e;


/* worker.json, validated; owned by invsync_conf_free() */
typedef struct {
    char                    *file;
    char                    *redis_host;     /* or NULL with redis_unix */
    int                      redis_port;
    char                    *redis_unix;
    char                    *redis_user;
    char                    *redis_password;
    int                      redis_timeout_ms;
    int                      epoch_require;   /* never create the epoch */
    char                    *prefix;
    char                    *group;
    char                    *consumer;       /* this process's name */
    char                    *streams[INVSYNC_MAX_STREAMS];
    size_t                   nstreams;
    int                      batch;
    int                      block_ms;
    int                      claim_idle_ms;
    int                      retry_attempts;
    int                      retry_base_ms;
    int                      retry_max_ms;
    int                      heartbeat_ms;
    int                      trim_interval_ms;
    long                     stream_retain_s; /* kept for replays */
    long                     audit_max_len;
    long                     effect_ttl_s;
    long                     reconcile_s;     /* re-push everything */
    long                     worker_forget_s; /* heartbeats dropped */
    int                      noop;            /* actions do nothing: bench */
    invsync_log_level_e      log_level;
    char                    *default_location; /* first of locations[] */
    invsync_routing_conf_t  *routing;         /* NULL: no "routing" */
    int                      carrier_slots;   /* "fulfilment": requests */
    int                      threepl_slots;   /* in flight at once */
    int                      track_slots;     /* per channel */
    invsync_returns_conf_t   returns;         /* "returns", defaults */
    json_t                  *journal_accounts; /* in root; NULL: no
                                                * "journal" (none kept) */
    invsync_channel_conf_t   channels[INVSYNC_MAX_CHANNELS];
    size_t                   nchannels;
    json_t                  *root;            /* the whole file */
} invsync_conf_t;


/* counters published with the heartbeat */
typedef struct {
    uint64_t    read;
    uint64_t    applied;
    uint64_t    duplicate;
    uint64_t    stale;
    uint64_t    ignored;
    uint64_t    exceptions;
    uint64_t    retried;
    uint64_t    dead;
    uint64_t    claimed;
    uint64_t    trimmed;
} invsync_counters_t;


/*
 * Milliseconds from an entry's stream write (its id) to its action's
 * start, in 1 ms buckets: the latency the worker adds to the chain.
 */
#define INVSYNC_LATENCY_BUCKETS  1001

typedef struct {
    uint64_t    count;
    uint64_t    buckets[INVSYNC_LATENCY_BUCKETS];  /* last: 1000 ms or more */
} invsync_latency_t;


typedef struct {
    invsync_conf_t         *conf;
    redisContext           *redis;
    char                    apply_sha[41];
    char                    exception_sha[41];
    char                    dead_sha[41];
    char                    resolve_sha[41];
    char                    ledger_sha[41];
    char                    route_sha[41];      /* route.lua */
    char                    ship_3pl_sha[41];   /* a 3PL step */
    char                    push_sha[41];
    char                    skumap_sha[41];     /* SKU mappings, bundles */
    char                    skuunmap_sha[41];
    char                    bundle_sha[41];
    char                    skuattr_sha[41];    /* routing attributes */
    char                    exc_retry_sha[41];  /* an operator's changes */
    char                    exc_resolve_sha[41];
    char                    held_sha[41];       /* a held stock notice */
    char                    ship_open_sha[41];  /* shipments */
    char                    ship_confirm_sha[41];
    char                    ship_cancel_sha[41];
    char                    ship_claim_sha[41]; /* a due shipment's slot */
    char                    journal_sha[41];    /* journal entries */
    char                    refundqty_sha[41];  /* units refunded */
    char                    refund_record_sha[41];  /* a batch's refund */
    CURLM                  *multi;       /* every request to a channel */
    struct invsync_push_s  *push;        /* the channel pusher */
    struct invsync_poll_s  *poll;        /* the order backfill poller */
    struct invsync_track_s *track;       /* tracking back to channels */
    struct invsync_refund_drv_s *refund_out; /* refunds made on channels */
    struct invsync_refunds_s *refunds;   /* refunds read from channels */
    struct invsync_dispose_s *dispose;   /* dispositions matched to their
                                          * returns through the channel */
    struct invsync_fulfil_s *fulfil;     /* labels bought, voided */
    int64_t                 poll_soon_ms[INVSYNC_MAX_CHANNELS];
                                         /* a held stock notice wants a
                                          * poll round of conf->channels[i]
                                          * then (0: none) */
    int                     busy_ms;     /* shorter reads while pushing */
    int64_t                 push_ms;     /* the pusher's last turn */
    int64_t                 started_ms;
    int64_t                 next_claim_ms;
    int64_t                 next_trim_ms;
    int64_t                 next_route_ms;  /* re-routing's check */
    int                     route_seen;     /* route_arrived read once */
    char                    route_arrived[32];
    int64_t                 next_heartbeat_ms;
    invsync_counters_t      counters;
    invsync_counters_t      by_stream[INVSYNC_MAX_STREAMS]; /* the same,
                                         * by conf->streams[] */
    invsync_latency_t       latency;
    uint64_t                lag[INVSYNC_MAX_STREAMS];
    char                    epoch[INVSYNC_EPOCH_HEX * 2 + 1]; /* seen */
    const char             *halted;      /* why it stopped acting, or NULL */
} invsync_worker_t;


extern volatile sig_atomic_t  invsync_stop;
extern volatile sig_atomic_t  invsync_reload;


/* invsync_worker_log.c */
void invsync_log_init(invsync_log_level_e level);
void invsync_log(invsync_log_level_e level, const char *msg, json_t *ctx);
int invsync_log_level_parse(const char *name, invsync_log_level_e *level);
int invsync_log_enabled(invsync_log_level_e level);
int64_t invsync_now_ms(void);

/* invsync_worker_config.c */
invsync_conf_t *invsync_conf_load(const char *file, char *err, size_t len);
void invsync_conf_free(invsync_conf_t *conf);
const invsync_channel_conf_t *invsync_conf_channel(const invsync_conf_t *conf,
    const char *id);

/* invsync_worker_redis.c: a synchronous session with reconnection */
int invsync_redis_connect(invsync_worker_t *w, char *err, size_t len);
void invsync_redis_close(invsync_worker_t *w);
redisReply *invsync_redis_cmd(invsync_worker_t *w, int argc,
    const char **argv, const size_t *argvlen);
int invsync_redis_load_scripts(invsync_worker_t *w, char *err, size_t len);
redisReply *invsync_redis_eval(invsync_worker_t *w, const char *sha,
    const char *script, size_t script_len, int nkeys, int argc,
    const char **argv, const size_t *argvlen);
int invsync_redis_append_evalsha(invsync_worker_t *w, const char *sha,
    int nkeys, int argc, const char **argv, const size_t *argvlen);
redisReply *invsync_redis_reply(invsync_worker_t *w);
int invsync_redis_reload(invsync_worker_t *w, const char *script, size_t len,
    char *sha);
int invsync_redis_noscript(const redisReply *r);
redisReply *invsync_redis_cmdv(invsync_worker_t *w, const char **argv);
int invsync_redis_appendv(invsync_worker_t *w, const char **argv);
/* invsync_redis_pairs.c: the next reply as field, value pairs given to fn
 * (0 to go on), no redisReply built: 0, 1 (not pairs, or an error: err),
 * -1 (the connection lost and closed); field is NUL-terminated at
 * field_len (a NUL may come before: Redis's strings are binary), value
 * is not NUL-terminated */
typedef int (*invsync_redis_pair_pt)(void *ctx, const char *field,
    size_t field_len, const char *value, size_t value_len);
int invsync_redis_pairs(invsync_worker_t *w, invsync_redis_pair_pt fn,
    void *ctx, char *err, size_t len);
/* invsync_order_data.c: an order's canonical JSON as order.record keeps it */
json_t *invsync_order_data(invsync_worker_t *w, const char *order, int *lost);
/* invsync_key.c: one builder per row of docs/keys.md, "One builder per key" */
size_t invsync_key_prefix(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_audit(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_audit_event(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *channel, const char *event);
size_t invsync_key_audit_order(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *order);
size_t invsync_key_audit_sku(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku);
size_t invsync_key_stock(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku);
size_t invsync_key_sku(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku);
size_t invsync_key_skus(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_skumap(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku);
size_t invsync_key_skuref(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *ref);
size_t invsync_key_bundles(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku);
size_t invsync_key_dirty(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_shown(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_force(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_pushed(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *sku);
size_t invsync_key_pushseq(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_exception(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id);
size_t invsync_key_exceptions_open(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_exceptions_all(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_dlq(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_retry(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_attempts(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *stream, const char *entry);
size_t invsync_key_workers(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_stockrules(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_reconcile(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_reconciling(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *channel);
size_t invsync_key_pollmark(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_polling(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_pollround(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_held(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel);
size_t invsync_key_polled(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *order);
size_t invsync_key_order(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *order);
size_t invsync_key_alloc(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *order);
size_t invsync_key_route_waiting(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_route_arrived(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_payref(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *ref);
size_t invsync_key_refunded(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *order);
size_t invsync_key_disposeread_due(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_disposeread_wait(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_refundread_due(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_refundread_fails(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_refundwait(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *ref);
size_t invsync_key_refundwaits(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_shipment(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id);
size_t invsync_key_shipments(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *order);
size_t invsync_key_refundout(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *cause);
size_t invsync_key_refundouts(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_refundout_due(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_refundref(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *id);
size_t invsync_key_fulfil_due(char *dst, size_t cap,
    const invsync_conf_t *conf);
size_t invsync_key_track_due(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_rma(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id);
size_t invsync_key_rmaearly(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id);
size_t invsync_key_rmas(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_journal(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_done_journal(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *cause);
size_t invsync_key_done(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *action, const char *channel, const char *event);
size_t invsync_key_done_ledger(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *cause);
size_t invsync_key_done_operator(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *id);
size_t invsync_key_epoch(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_state(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *state);
size_t invsync_key_nostate(char *dst, size_t cap, const invsync_conf_t *conf);
size_t invsync_key_stream_of(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *stream);

/* invsync_epoch.c: the deployment's epoch (docs/keys.md, "The epoch") */
int invsync_epoch_new(char *dst, int operator);
redisReply *invsync_epoch_call(invsync_worker_t *w, const char *mode,
    const char *want, int markers);

/* invsync_lag.c: a group's lag, counted (docs/worker.md, "Lag") */
int invsync_stream_lag(invsync_worker_t *w, const char *stream,
    const char *group, int64_t *lag, int *exact);
int invsync_workers_forget(invsync_worker_t *w, int64_t now);

/* invsync_worker_epoch.c: 0 known, 1 halted (w->halted), -1 no session */
int invsync_worker_epoch(invsync_worker_t *w);
void invsync_worker_halted_turn(invsync_worker_t *w);

/* invsync_worker_consumer.c */
int invsync_consumer_setup(invsync_worker_t *w, char *err, size_t len);
/* invsync_worker_rules.c: each channel's stock rules to K stockrules, for
 * the console; 0, or -1 with the session lost */
int invsync_stock_rules_publish(invsync_worker_t *w);
int invsync_consumer_run_once(invsync_worker_t *w);
void invsync_consumer_heartbeat(invsync_worker_t *w, int leaving);
void invsync_latency_add(invsync_latency_t *l, int64_t ms);
long invsync_latency_percentile(const invsync_latency_t *l, double p);

/* src/actions: the action table (src/actions/invsync_actions.h) */
typedef enum {
    INVSYNC_ACT_APPLIED = 0,
    INVSYNC_ACT_DUPLICATE,      /* this cause was applied before */
    INVSYNC_ACT_STALE,          /* older than the state: ignored */
    INVSYNC_ACT_IGNORED,        /* nothing to do for this event */
    INVSYNC_ACT_EXCEPTION,      /* recorded for a person to decide */
    INVSYNC_ACT_RETRY,          /* failed, may succeed later: err */
    INVSYNC_ACT_POISON          /* can never succeed: err */
} invsync_act_rc_e;

/* one effect of one cause, for apply.lua */
typedef struct {
    const char   *action;       /* e.g. "order.record" */
    const char   *state;        /* state key suffix, NULL: no state */
    int64_t       version;      /* -1: the state has no version */
    const char   *order;        /* order id or NULL */
    const char   *order_channel;    /* the order's channel; NULL: the
                                     * event's (a payment provider's
                                     * refund names a store's order) */
    json_t       *inputs;       /* borrowed: what decided the effect */
    const char   *part;         /* NULL, or the part of the event the
                                 * effect is of (a level of a stock
                                 * notice of several): done once per
                                 * part, done:<action>:<channel>:
                                 * <event>#<part> */
} invsync_effect_t;

invsync_act_rc_e invsync_action_run(invsync_worker_t *w,
    const invsync_envelope_t *ev, char *err, size_t len);
int invsync_action_resolve(invsync_worker_t *w, const invsync_envelope_t *ev);
invsync_act_rc_e invsync_action_exception(invsync_worker_t *w,
    const invsync_envelope_t *ev, json_t *data, const char *kind,
    const char *id_suffix, const char *order, const char *summary,
    char *err, size_t len);
/* (defined in invsync_reconcile.c, which invsyncctl links too) */
int invsync_stock_reply(const redisReply *r, invsync_stock_t *st);

/* src/actions/route/invsync_route_retry.c: orders waiting for stock */
int invsync_route_waiting(invsync_worker_t *w);
invsync_act_rc_e invsync_route_again(invsync_worker_t *w, const char *order,
    char *err, size_t len);
/* src/actions/route/invsync_route_dry.c: decided, nothing written */
int invsync_route_dry_run(invsync_worker_t *w, const char *channel,
    json_t *canon, json_t **trace, char *err, size_t len);
/* src/actions/route/invsync_route_unpack.c (as invsync_route.h declares
 * it): an audited trace's packed locations written out, a new reference */
json_t *invsync_route_trace_unpack(json_t *trace);

/* src/actions/order/invsync_order_batch.c: orders of one read, pipelined */
typedef struct invsync_job_s  invsync_job_t;

#define INVSYNC_BATCH_ORDER   1     /* invsync_batch_add(): an order's job */
#define INVSYNC_BATCH_REFUND  2     /* a refund's */


invsync_job_t *invsync_batch_jobs(size_t n);
int invsync_batch_add(invsync_worker_t *w, invsync_job_t *jobs, size_t i,
    const invsync_envelope_t *ev);
int invsync_batch_run(invsync_worker_t *w, invsync_job_t *jobs, size_t n);
invsync_act_rc_e invsync_batch_result(invsync_job_t *jobs, size_t i,
    const char **err);
void invsync_batch_clear(invsync_job_t *jobs, size_t n);
invsync_job_t *invsync_batch_at(invsync_job_t *jobs, size_t i);

/* invsync_worker_exception.c */
typedef struct {
    const char   *id;           /* <kind>:<channel>:<cause> */
    const char   *kind;
    const char   *summary;
    const char   *channel;
    const char   *event;
    const char   *topic;
    const char   *stream;
    const char   *entry;
    const char   *order;        /* "<channel>:<order id>", or "" */
    const char   *sku;          /* indexed when not "" */
    const char   *consumer;
    json_t       *data;         /* borrowed */
} invsync_exception_t;

redisReply *invsync_exception_open(invsync_worker_t *w,
    const invsync_exception_t *x);
int invsync_exception_resolve(invsync_worker_t *w, const char *id,
    const char *channel, const char *event, const char *why);

/* invsync_call.c (the rest in invsync_call.h) */
/* a retry's wait: base << min(n, max_shift), capped at max_ms (0: no cap),
 * then half of it jittered so that retries do not march in step */
int64_t invsync_backoff_ms(int64_t base_ms, unsigned n, unsigned max_shift,
    int64_t max_ms);
/* a failed attempt of the hash at key: "attempts" counted, "last_error"
 * set to why; *attempts the count; 0, or -1 when the session was lost */
int invsync_attempt_failed(invsync_worker_t *w, const char *key,
    const char *why, long long *attempts);
char *invsync_channel_credentials(const char *file);
void invsync_channel_credentials_free(char *credentials);

/* invsync_worker_track.c: shipments' tracking back to their channels */
int invsync_track_init(invsync_worker_t *w, char *err, size_t len);
void invsync_track_free(invsync_worker_t *w);
int invsync_track_step(invsync_worker_t *w);

/* invsync_worker_refund_out.c: refunds made on their channels */
/* invsync_worker_stream.c: an envelope as the module writes one */
redisReply *invsync_envelope_add(invsync_worker_t *w, const char *stream,
    const char *channel, const char *scheme, const char *account,
    const char *topic, const char *event, const char *body);

int invsync_refund_out_init(invsync_worker_t *w, char *err, size_t len);
void invsync_refund_out_free(invsync_worker_t *w);
int invsync_refund_out_step(invsync_worker_t *w);
/* invsync_worker_refunds.c: an order's refunds read from its channel */
int invsync_refunds_init(invsync_worker_t *w, char *err, size_t len);
void invsync_refunds_free(invsync_worker_t *w);
int invsync_refunds_step(invsync_worker_t *w);
int invsync_dispose_init(invsync_worker_t *w, char *err, size_t len);
void invsync_dispose_free(invsync_worker_t *w);
int invsync_dispose_step(invsync_worker_t *w);

/* invsync_worker_push.c: absolute quantities to every channel */
int invsync_push_init(invsync_worker_t *w, char *err, size_t len);
void invsync_push_free(invsync_worker_t *w);
int invsync_push_step(invsync_worker_t *w);

/* invsync_worker_poll.c: orders fetched from the channels' APIs */
int invsync_poll_init(invsync_worker_t *w, char *err, size_t len);
void invsync_poll_free(invsync_worker_t *w);
int invsync_poll_step(invsync_worker_t *w);
int invsync_poll_busy(invsync_worker_t *w);


#endif /* INVSYNC_RUNTIME_H_INCLUDED */
