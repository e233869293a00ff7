
/*
 * Routing decisions per second with the ledger step: the worker's own
 * order.route path (the first reads, which resolve the lines' SKUs, an
 * HMGET of each SKU's attributes and an HGETALL of its ledger,
 * invsync_route_decide, route.lua with ship_open.lua)
 * against a real Redis, on one connection, as one worker runs them: the
 * orders of one read together (invsync_route_batch), BATCH at a time (the
 * worker's consumer.batch, 32 by default; 1: one after another,
 * invsync_route_run).  The configuration (t/bench/route_ledger writes it:
 * 50 locations, 20 rules) comes from worker.json; the ledger is filled
 * here: 10,000 SKUs, each on hand at every location (all 50; before
 * 2026-12-03, the first 19 only), plenty (nothing runs out, so no
 * decision is unroutable for want of stock, and every one is written):
 * 1,000 units at each location by default, a warehouse's figure (100,000
 * orders take about 40 units of a SKU in all), or BENCH_ON_HAND.  Until
 * 2026-12-07 it was 1,000,000,000: ten digits for each of 50 locations
 * and each SKU made every order.route trace about 600 bytes longer than
 * any merchant's (docs/performance.md records both).
 *
 *   bench_route_ledger WORKER.JSON [ORDERS [BATCH]]
 *
 * Prints one JSON line: decisions, seconds (wall), per_s (wall),
 * cpu_us (this process's CPU time per decision: the decision and the
 * client's share of the ledger step), redis_us (the Redis server's CPU
 * time per decision, INFO cpu: the scripts and commands, its network work),
 * routed, other.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "route/invsync_route_run.h"


#define B_SKUS    10000
#define B_BATCH   1024


static int b_fill(invsync_worker_t *w);
static double b_cpu_us(void);
static double b_redis_us(invsync_worker_t *w);
static json_t *b_order(unsigned *seed, long i);
static long b_run(invsync_worker_t *w, invsync_envelope_t *ev,
    invsync_route_job_t *jobs, unsigned *seed, long i, long n);


int
main(int argc, char **argv)
{
    char                 err[INVSYNC_ERR_LEN];
    long                 n, i, routed, batch, k, got;
    double               secs, cpu0, redis0;
    int64_t              t0;
    unsigned             seed;
    invsync_worker_t     w;
    invsync_envelope_t  *ev;
    invsync_route_job_t *jobs;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_route_ledger WORKER.JSON "
                "[ORDERS [BATCH]]\n");
        return 1;
    }

    n = argc > 2 ? atol(argv[2]) : 100000;
    batch = argc > 3 ? atol(argv[3]) : 32;
    batch = batch < 1 ? 1 : batch > B_BATCH ? B_BATCH : batch;
    memset(&w, 0, sizeof(w));
    w.conf = invsync_conf_load(argv[1], err, sizeof(err));
    ev = calloc(batch, sizeof(invsync_envelope_t));
    jobs = calloc(batch, sizeof(invsync_route_job_t));

    if (w.conf == NULL || w.conf->routing == NULL || ev == NULL
        || jobs == NULL
        || invsync_redis_connect(&w, err, sizeof(err)) != 0
        || invsync_redis_load_scripts(&w, err, sizeof(err)) != 0
        || b_fill(&w) != 0)
    {
        fprintf(stderr, "bench_route_ledger: %s\n",
                w.conf && !w.conf->routing ? "no routing" : err);
        return 1;
    }

    for (k = 0; k < batch; k++) {
        ev[k].stream = ev[k].entry = ev[k].scheme = ev[k].account = "";
        ev[k].redelivery = "";
        ev[k].channel = "shop-eu";
        ev[k].topic = "orders/create";
        ev[k].event = malloc(64);
        ev[k].version = 1;
    }

    seed = 7;
    routed = 0;

    /* BENCH_STATS: Redis's command figures of the timed loop alone */
    if (getenv("BENCH_STATS") != NULL) {
        freeReplyObject(invsync_redis_cmdv(&w, (const char *[]) {
            "CONFIG", "RESETSTAT", NULL }));
    }

    cpu0 = b_cpu_us();
    redis0 = b_redis_us(&w);
    t0 = invsync_now_ms();

    for (i = 0; i < n; i += batch) {
        got = b_run(&w, ev, jobs, &seed, i, i + batch < n ? batch : n - i);

        if (got < 0) {
            fprintf(stderr, "bench_route_ledger: %s\n", jobs[0].err);
            return 1;
        }

        routed += got;
    }

    secs = (double) (invsync_now_ms() - t0) / 1000;

    printf("{\"decisions\": %ld, \"seconds\": %.2f, \"per_s\": %.0f, "
           "\"cpu_us\": %.1f, \"redis_us\": %.1f, \"routed\": %ld, "
           "\"other\": %ld, \"batch\": %ld}\n", n, secs,
           secs > 0 ? n / secs : 0, (b_cpu_us() - cpu0) / n,
           (b_redis_us(&w) - redis0) / n, routed, n - routed, batch);

    return 0;
}


/* orders i .. i+k-1 routed, as one read of k entries; the routed count,
 * -1 when the connection was lost */

static long
b_run(invsync_worker_t *w, invsync_envelope_t *ev, invsync_route_job_t *jobs,
    unsigned *seed, long i, long k)
{
    long   j, routed;
    int    rc;

    for (j = 0; j < k; j++) {
        snprintf((char *) ev[j].event, 64, "bench-%ld", i + j);
        memset(&jobs[j], 0, sizeof(invsync_route_job_t));
        jobs[j].ev = &ev[j];
        jobs[j].canon = b_order(seed, i + j);
    }

    if (k == 1) {
        jobs[0].rc = invsync_route_run(w, &ev[0], jobs[0].canon, 0,
                                       jobs[0].err, sizeof(jobs[0].err));
        rc = jobs[0].rc == INVSYNC_ACT_RETRY && w->redis == NULL ? -1 : 0;

    } else {
        rc = invsync_route_batch(w, jobs, (size_t) k);
    }

    routed = 0;

    for (j = 0; j < k; j++) {
        routed += jobs[j].rc == INVSYNC_ACT_APPLIED;
        json_decref(jobs[j].canon);
    }

    return rc != 0 ? -1 : routed;
}


static double
b_cpu_us(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
           + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}


/* Redis's own CPU time so far (INFO cpu), microseconds */

static double
b_redis_us(invsync_worker_t *w)
{
    char        *p;
    double       us;
    redisReply  *r;

    r = invsync_redis_cmdv(w, (const char *[]) { "INFO", "cpu", NULL });
    us = 0;

    if (r != NULL && r->type == REDIS_REPLY_STRING) {
        p = strstr(r->str, "used_cpu_sys:");
        us += p ? atof(p + 13) * 1e6 : 0;
        p = strstr(r->str, "used_cpu_user:");
        us += p ? atof(p + 14) * 1e6 : 0;
    }

    freeReplyObject(r);

    return us;
}


/* 10,000 SKUs on hand everywhere, each its skuref on shop-eu */

static int
b_fill(invsync_worker_t *w)
{
    char          key[INVSYNC_ACTION_KEY_LEN], ref[INVSYNC_ACTION_KEY_LEN];
    char          sku[32];
    char          field[64];
    size_t        k;
    long          s, sent;
    const char   *argv[4 + 2 * 64], *on_hand;
    redisReply   *r;

    sent = 0;
    on_hand = getenv("BENCH_ON_HAND") != NULL ? getenv("BENCH_ON_HAND")
                                               : "1000";

    for (s = 0; s < B_SKUS; s++) {
        snprintf(sku, sizeof(sku), "S%05ld", s);
        invsync_key_stock(key, sizeof(key), w->conf, sku);
        argv[0] = "HSET";
        argv[1] = key;

        for (k = 0; k < w->conf->routing->nlocations && k < 64; k++) {
            snprintf(field, sizeof(field), "on_hand:%s",
                     w->conf->routing->locations[k].id);
            argv[2 + 2 * k] = strdup(field);
            argv[3 + 2 * k] = on_hand;
        }

        argv[2 + 2 * k] = NULL;

        if (invsync_redis_appendv(w, argv) != 0) {
            return -1;
        }

        for (k = 0; argv[2 + 2 * k] != NULL; k++) {
            free((char *) argv[2 + 2 * k]);
        }

        snprintf(field, sizeof(field), "sku:%s", sku);
        invsync_key_skuref(ref, sizeof(ref), w->conf, "shop-eu", field);

        if (invsync_redis_appendv(w, (const char *[]) { "SET", ref, sku,
                                                        NULL })
            != 0)
        {
            return -1;
        }

        sent += 2;
    }

    while (sent-- > 0) {
        r = invsync_redis_reply(w);
        if (r == NULL) {
            return -1;
        }

        freeReplyObject(r);
    }

    /* every location stocked: a command cut short would leave some out */
    invsync_key_stock(key, sizeof(key), w->conf, "S00000");
    r = invsync_redis_cmdv(w, (const char *[]) { "HLEN", key, NULL });
    k = r != NULL && r->type == REDIS_REPLY_INTEGER ? (size_t) r->integer : 0;
    freeReplyObject(r);

    if (k != w->conf->routing->nlocations) {
        fprintf(stderr, "bench: %zu of %zu locations stocked\n", k,
                w->conf->routing->nlocations);
        return -1;
    }

    return 0;
}


/* 1 to 3 lines of random SKUs, a destination of five countries */

static json_t *
b_order(unsigned *seed, long i)
{
    char          id[32], sku[32], ref[40], line[16];
    int           l, nl;
    json_t       *lines;
    static const char  *countries[] = { "DE", "FR", "NL", "BE", "AT" };
    static const char  *zips[] = { "10115", "75001", "1012", "1000",
                                   "1010" };

    lines = json_array();
    nl = 1 + (int) (rand_r(seed) % 3);

    for (l = 0; l < nl; l++) {
        snprintf(sku, sizeof(sku), "S%05d", (int) (rand_r(seed) % B_SKUS));
        snprintf(ref, sizeof(ref), "sku:%s", sku);
        snprintf(line, sizeof(line), "%d", l + 1);
        json_array_append_new(lines, json_pack("{s:s, s:s, s:i, s:[s]}",
            "channel_line_id", line, "sku", sku, "quantity",
            1 + (int) (rand_r(seed) % 3), "refs", ref));
    }

    snprintf(id, sizeof(id), "%ld", i);
    l = (int) (rand_r(seed) % 5);

    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:{s:s, s:s}, s:o}",
                     "kind", "order", "channel", "shop-eu", "order_id", id,
                     "status", "paid", "updated_ms", (json_int_t) 1,
                     "total_minor", (json_int_t) (1000 + i % 50000),
                     "shipping_address", "country_code", countries[l],
                     "zip", zips[l], "lines", lines);
}
