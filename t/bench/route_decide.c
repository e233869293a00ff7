
/*
 * The routing decision's speed on one core (t/bench/route): 50
 * locations, 20 rules, 10,000 SKUs, orders of 1 to 5 lines to random
 * destinations; invsync_route_decide() with its trace, the stock read
 * through the callback from an in-memory table (the ledger step, Redis
 * included, is measured separately).  Prints decisions per second of
 * CPU time and of wall time, and the share of each outcome.
 *
 *   build/t/bench_route [DECISIONS]     default 200000
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route/invsync_route.h"


#define B_LOCS    50
#define B_RULES   20
#define B_SKUS    10000
#define B_ORDERS  1024
#define B_LINES   5


typedef struct {
    char                   skus[B_LINES][16];
    char                   ids[B_LINES][8];
    char                   postal[8];
    invsync_route_line_t   lines[B_LINES];
    invsync_route_order_t  o;
} b_order_t;


static uint64_t b_rand(void);
static json_t *b_config(void);
static json_t *b_location(int i);
static json_t *b_rule(int i);
static void b_orders(b_order_t *orders, invsync_strv_t *tags);
static int64_t b_stock(void *ctx, const char *sku, const char *location);
static double b_now(clockid_t clock);


static uint64_t       b_state = 88172645463325252ull;
static int16_t        b_table[B_SKUS][B_LOCS];
static const char    *b_countries[] = { "DE", "AT", "FR", "NL", "PL" };
static const char    *b_channels[] = { "shop-eu", "woo", "pos" };
static const char    *b_methods[] = { "standard", "express", "economy" };
static const char    *b_zones[] = {
    "Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo", "UTC"
};


int
main(int argc, char **argv)
{
    long                     n, i, rc[3];
    char                     err[512];
    json_t                  *conf;
    double                   cpu, wall;
    b_order_t               *orders;
    invsync_strv_t           tags[3];
    invsync_routing_conf_t  *rc_conf;
    invsync_route_result_t   res;

    n = argc > 1 ? atol(argv[1]) : 200000;
    conf = b_config();

    if (invsync_routing_conf_parse(conf, NULL, &rc_conf, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }

    orders = calloc(B_ORDERS, sizeof(b_order_t));
    b_orders(orders, tags);
    memset(rc, 0, sizeof(rc));

    cpu = b_now(CLOCK_PROCESS_CPUTIME_ID);
    wall = b_now(CLOCK_MONOTONIC);

    for (i = 0; i < n; i++) {
        /* the clock of orders arriving at 10,000/s */
        orders[i % B_ORDERS].o.now_ms = 1767268800000ll + i / 10;

        if (invsync_route_decide(rc_conf, &orders[i % B_ORDERS].o, b_stock,
                                 NULL, &res, err, sizeof(err)) != 0)
        {
            fprintf(stderr, "bench: %s\n", err);
            return 1;
        }

        rc[res.rc]++;
        invsync_route_result_free(&res);
    }

    cpu = b_now(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    wall = b_now(CLOCK_MONOTONIC) - wall;

    printf("routing decisions: %ld, %d locations, %d rules, %d SKUs\n", n,
           B_LOCS, B_RULES, B_SKUS);
    printf("decisions/s (CPU time, one core): %.0f  (%.2f us each)\n",
           n / cpu, cpu * 1e6 / n);
    printf("decisions/s (wall time): %.0f\n", n / wall);
    printf("routed %.1f%%, backordered %.1f%%, unroutable %.1f%%\n",
           100.0 * rc[0] / n, 100.0 * rc[1] / n, 100.0 * rc[2] / n);

    invsync_routing_conf_free(rc_conf);
    json_decref(conf);
    free(orders);

    return 0;
}


/* xorshift64: the same figures from one run to the next */

static uint64_t
b_rand(void)
{
    b_state ^= b_state << 13;
    b_state ^= b_state >> 7;
    b_state ^= b_state << 17;

    return b_state;
}


static json_t *
b_config(void)
{
    int      i, k;
    json_t  *locs, *rules, *postal;

    locs = json_array();
    rules = json_array();
    postal = json_array();

    for (i = 0; i < B_LOCS; i++) {
        json_array_append_new(locs, b_location(i));
    }

    for (i = 0; i < B_RULES; i++) {
        json_array_append_new(rules, b_rule(i));
    }

    for (i = 0; i < 5; i++) {
        for (k = 0; k < 10; k++) {
            char  p[4];

            snprintf(p, sizeof(p), "%d", k);
            json_array_append_new(postal, json_pack("{s:s, s:s, s:f, s:f}",
                "country", b_countries[i], "prefix", p,
                "lat", 44.0 + (double) (b_rand() % 1000) / 100,
                "lon", -1.0 + (double) (b_rand() % 2000) / 100));
        }
    }

    return json_pack("{s:o, s:{s:o, s:o}}", "locations", locs, "routing",
                     "rules", rules, "postal_coordinates", postal);
}


static json_t *
b_location(int i)
{
    char     id[16], cutoff[8];
    json_t  *loc;

    snprintf(id, sizeof(id), "loc-%02d", i);
    snprintf(cutoff, sizeof(cutoff), "%02d:00", 12 + i % 8);

    loc = json_pack("{s:s, s:s, s:i, s:s, s:s, s:b, s:{s:s, s:f, s:f}}",
                    "id", id, "kind", i % 3 ? "warehouse" : "3pl",
                    "priority", (int) (b_rand() % 100),
                    "cutoff", cutoff, "timezone", b_zones[i % 5],
                    "active", i % 17 != 16,
                    "address", "country", b_countries[i % 5],
                    "lat", 44.0 + (double) (b_rand() % 1000) / 100,
                    "lon", -1.0 + (double) (b_rand() % 2000) / 100);

    if (i % 5 == 0) {
        json_object_set_new(loc, "capabilities", json_pack("[s]", "hazmat"));
    }

    if (i % 7 == 0) {
        json_object_set_new(loc, "capabilities",
                            json_pack("[s, s]", "cold", "hazmat"));
    }

    if (i % 4 == 0) {
        json_object_set_new(loc, "channels", json_pack("[s]", "shop-eu"));
    }

    return loc;
}


/* filters that match now and then, the strategies in turn, a default */

static json_t *
b_rule(int i)
{
    char         name[16], loc[16];
    json_t      *r, *when;
    const char  *strategies[] = {
        "priority", "fewest_shipments", "nearest", "most_stock"
    };

    snprintf(name, sizeof(name), "rule-%02d", i);
    snprintf(loc, sizeof(loc), "loc-%02d", i * 2);

    r = json_pack("{s:s, s:s}", "name", name, "strategy",
                  strategies[i % 4]);

    if (i == B_RULES - 1) {
        return r;
    }

    switch (i % 5) {
    case 0:
        when = json_pack("{s:s, s:[s, s]}", "country", b_countries[i % 5],
                         "postal_prefixes", "1", "2");
        break;
    case 1:
        when = json_pack("{s:s}", "shipping_method", b_methods[i % 3]);
        break;
    case 2:
        when = json_pack("{s:i}", "min_value", 20000 + i * 1000);
        break;
    case 3:
        when = json_pack("{s:s, s:s}", "channel", b_channels[i % 3],
                         "country", b_countries[(i + 1) % 5]);
        break;
    default:
        when = json_pack("{s:s}", "sku_tag", i % 2 ? "cold" : "hazmat");
        break;
    }

    json_object_set_new(r, "when", when);
    json_object_set_new(r, "prefer", json_pack("[s]", loc));
    json_object_set_new(r, "split", json_pack("{s:i}", "max", 2 + i % 3));

    return r;
}


static void
b_orders(b_order_t *orders, invsync_strv_t *tags)
{
    int          i, k, s, l;
    b_order_t   *b;
    static char *hazmat[] = { "hazmat" }, *cold[] = { "cold", "fragile" };

    tags[0].v = NULL;
    tags[0].n = 0;
    tags[1].v = hazmat;
    tags[1].n = 1;
    tags[2].v = cold;
    tags[2].n = 2;

    for (s = 0; s < B_SKUS; s++) {
        for (k = 0; k < B_LOCS; k++) {
            b_table[s][k] = b_rand() % 10 < 3 ? (int16_t) (b_rand() % 20)
                                              : 0;
        }
    }

    for (i = 0; i < B_ORDERS; i++) {
        b = &orders[i];
        b->o.channel = b_channels[b_rand() % 3];
        b->o.order = "bench:1";
        b->o.version = "";
        b->o.country = b_countries[b_rand() % 5];
        snprintf(b->postal, sizeof(b->postal), "%05d",
                 (int) (b_rand() % 100000));
        b->o.postal_code = b->postal;
        b->o.has_value = 1;
        b->o.value_minor = (int64_t) (b_rand() % 40000);
        b->o.shipping_method = b_methods[b_rand() % 3];
        b->o.nlines = 1 + b_rand() % B_LINES;
        b->o.lines = b->lines;

        for (l = 0; l < (int) b->o.nlines; l++) {
            s = (int) (b_rand() % B_SKUS);
            snprintf(b->skus[l], sizeof(b->skus[l]), "sku-%05d", s);
            snprintf(b->ids[l], sizeof(b->ids[l]), "%d", l + 1);
            b->lines[l].sku = b->skus[l];
            b->lines[l].line_id = b->ids[l];
            b->lines[l].qty = 1 + (int64_t) (b_rand() % 3);
            b->lines[l].tags = tags[s % 20 == 0 ? 1 : s % 33 == 0 ? 2 : 0];
        }
    }
}


/* "sku-NNNNN" at "loc-NN": what the ledger step would have read */

static int64_t
b_stock(void *ctx, const char *sku, const char *location)
{
    int  s, l;

    (void) ctx;

    for (s = 0, sku += 4; *sku; sku++) {
        s = s * 10 + (*sku - '0');
    }

    l = (location[4] - '0') * 10 + (location[5] - '0');

    return b_table[s][l];
}


static double
b_now(clockid_t clock)
{
    struct timespec  ts;

    clock_gettime(clock, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}
