
/*
 * The core below the schemes, where an event goes: the schemes' topic
 * routes, the registry of schemes, and the Redis key layout (stream,
 * epochs, dedupe keys; pairs the ':'-joined layout gave one key).
 * Codecs, digests, status texts and entities: test_codecs.c; meta helpers,
 * JSON checks, times, the ingest script and stock: test_meta.c.
 * Prints TAP.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_schemes.h"
#include "tap.h"


#define T_S(s)  (const unsigned char *) (s), sizeof(s) - 1


static int t_route(const invsync_scheme_t *s, const char *topic,
    const char *want);
static void t_routes(void);
static void t_registry(void);
static void t_keys(void);
static void t_key_pair(const char *topic1, const char *event1,
    const char *topic2, const char *event2, const char *channel1,
    const char *channel2, const char *what);


#define T_PLAN  50


static int
t_route(const invsync_scheme_t *s, const char *topic, const char *want)
{
    const char  *got;

    got = invsync_route_find(s->routes, (const unsigned char *) topic,
                             strlen(topic));

    if (want == NULL) {
        return got == NULL;
    }

    return got != NULL && strcmp(got, want) == 0;
}


static void
t_routes(void)
{
    size_t  i;

    static const struct {
        const invsync_scheme_t  *scheme;
        const char              *topic;
        const char              *stream;
    } table[] = {
        { &invsync_scheme_shopify, "orders/create", "orders" },
        { &invsync_scheme_shopify, "refunds/create", "refunds" },
        { &invsync_scheme_shopify, "fulfillments/update", "fulfillments" },
        { &invsync_scheme_shopify, "fulfillment_orders/moved",
          "fulfillments" },
        { &invsync_scheme_shopify, "fulfillment_events/create",
          "fulfillments" },
        { &invsync_scheme_shopify, "inventory_levels/update", "stock" },
        { &invsync_scheme_shopify, "inventory_items/update", "stock" },
        { &invsync_scheme_shopify, "products/update", "stock" },
        { &invsync_scheme_shopify, "orders", NULL },
        { &invsync_scheme_shopify, "customers/create", NULL },
        { &invsync_scheme_woocommerce, "order.updated", "orders" },
        { &invsync_scheme_woocommerce, "product.updated", "stock" },
        { &invsync_scheme_woocommerce, "customer.created", NULL },
        { &invsync_scheme_woocommerce, "coupon.deleted", NULL },
        { &invsync_scheme_stripe, "refund.created", "refunds" },
        { &invsync_scheme_stripe, "charge.refunded", "refunds" },
        { &invsync_scheme_stripe, "charge.refund.updated", "refunds" },
        { &invsync_scheme_stripe, "charge.refunded.x", NULL },
        { &invsync_scheme_stripe, "charge.dispute.created", NULL },
        { &invsync_scheme_square, "order.fulfillment.updated",
          "fulfillments" },
        { &invsync_scheme_square, "order.created", "orders" },
        { &invsync_scheme_square, "refund.updated", "refunds" },
        { &invsync_scheme_square, "inventory.count.updated", "stock" },
        { &invsync_scheme_square, "payment.updated", NULL },
        { &invsync_scheme_tiktok, "1", "orders" },
        { &invsync_scheme_tiktok, "2", "refunds" },
        { &invsync_scheme_tiktok, "3", "orders" },
        { &invsync_scheme_tiktok, "4", "fulfillments" },
        { &invsync_scheme_tiktok, "5", NULL },
        { &invsync_scheme_tiktok, "12", NULL },
        { &invsync_scheme_standard, "invoice.paid", NULL },
        { &invsync_scheme_hmac, "x", NULL },
        { NULL, NULL, NULL }
    };

    for (i = 0; table[i].scheme != NULL; i++) {
        t_ok(t_route(table[i].scheme, table[i].topic, table[i].stream),
             "route %s \"%s\" -> %s", table[i].scheme->name, table[i].topic,
             table[i].stream != NULL ? table[i].stream : "(default)");
    }

    t_ok(invsync_route_match("*", (const unsigned char *) "", 0)
         && invsync_route_match("*", T_S("anything")),
         "route: \"*\" matches all");
    t_ok(invsync_route_match("a.*", T_S("a.")) &&
         !invsync_route_match("a.*", T_S("a")),
         "route: prefix needs the whole prefix");
    t_ok(invsync_route_match("abc", T_S("abc"))
         && !invsync_route_match("abc", T_S("abcd"))
         && !invsync_route_match("abc", T_S("ab")),
         "route: exact");
    t_ok(invsync_route_find(NULL, T_S("x")) == NULL, "route: NULL table");
}


static void
t_registry(void)
{
    size_t  i;
    int     sorted, complete;

    sorted = 1;
    complete = 1;

    for (i = 0; invsync_schemes[i] != NULL; i++) {
        if (invsync_schemes[i + 1] != NULL
            && strcmp(invsync_schemes[i]->name, invsync_schemes[i + 1]->name)
               >= 0)
        {
            sorted = 0;
        }

        if (invsync_schemes[i]->verify == NULL
            || invsync_schemes[i]->describe == NULL)
        {
            complete = 0;
        }
    }

    t_ok(i == 8 && sorted && complete, "registry: 8 schemes, sorted");
    t_ok(invsync_scheme_find("stripe", 6) == &invsync_scheme_stripe
         && invsync_scheme_find("standard", 8) == &invsync_scheme_standard
         && invsync_scheme_find("stripe", 5) == NULL
         && invsync_scheme_find("Stripe", 6) == NULL
         && invsync_scheme_find("", 0) == NULL,
         "registry: find by name and length");
    t_ok(strcmp(invsync_scheme_names(), "hmac, shipbob, shopify, square, "
                "standard, stripe, tiktok, woocommerce") == 0
         && invsync_scheme_names() == invsync_scheme_names(),
         "registry: names \"%s\"", invsync_scheme_names());
    t_ok(invsync_scheme_square.needs_url && invsync_scheme_tiktok.needs_app_key
         && invsync_scheme_stripe.signs_time
         && invsync_scheme_standard.signs_time
         && !invsync_scheme_shopify.signs_time
         && invsync_scheme_hmac.headers == NULL,
         "registry: flags");
}


static void
t_keys(void)
{
    size_t          n, len;
    unsigned char   buf[256];
    invsync_meta_t  m;

    len = invsync_key_stream_len(7, 6);
    n = invsync_key_stream(buf, T_S("invsync"), T_S("orders"));
    t_ok(n == len && n == 14 && memcmp(buf, "invsync:orders", n) == 0,
         "key: stream");

    len = invsync_key_deployment_len(7);
    memset(buf, 'X', sizeof(buf));
    n = invsync_key_deployment(buf, T_S("invsync"));
    t_ok(n == len && memcmp(buf, "invsync:{invsync}:epoch", n) == 0
         && buf[n] == 'X', "key: the deployment's epoch");

    len = invsync_key_marker_len(7, 6);
    memset(buf, 'X', sizeof(buf));
    n = invsync_key_marker(buf, T_S("invsync"), T_S("orders"));
    t_ok(n == len && memcmp(buf, "invsync:{invsync:orders}:epoch", n) == 0
         && buf[n] == 'X', "key: a stream's epoch marker, in its slot");

    memset(&m, 0, sizeof(invsync_meta_t));
    invsync_meta_set(m.topic, &m.topic_len, INVSYNC_TOPIC_LEN,
                     T_S("orders/create"));
    invsync_meta_set(m.event, &m.event_len, INVSYNC_EVENT_LEN, T_S("e-1"));

    len = invsync_key_dedupe_len(7, 6, &m, 4);
    memset(buf, 'X', sizeof(buf));
    n = invsync_key_dedupe(buf, T_S("invsync"), T_S("orders"), T_S("shop"),
                           &m);

#define T_DEDUPE  "invsync:{invsync:orders}:idem:4:shop:13:orders/create:3:e-1"

    t_ok(n == len && n == sizeof(T_DEDUPE) - 1
         && memcmp(buf, T_DEDUPE, n) == 0 && buf[n] == 'X',
         "key: dedupe \"%.*s\"", (int) n, buf);

    m.topic_len = 0;
    len = invsync_key_dedupe_len(0, 1, &m, 0);
    n = invsync_key_dedupe(buf, (const unsigned char *) "", 0, T_S("s"),
                           (const unsigned char *) "", 0, &m);
    t_ok(n == len && memcmp(buf, ":{:s}:idem:0::0::3:e-1", n) == 0,
         "key: dedupe with empty parts");

    /* a part of 10 bytes or more: its length takes two digits */
    invsync_meta_set(m.event, &m.event_len, INVSYNC_EVENT_LEN,
                     T_S("0123456789"));
    len = invsync_key_dedupe_len(1, 1, &m, 1);
    memset(buf, 'X', sizeof(buf));
    n = invsync_key_dedupe(buf, T_S("p"), T_S("s"), T_S("c"), &m);
    t_ok(n == len && memcmp(buf, "p:{p:s}:idem:1:c:0::10:0123456789", n) == 0
         && buf[n] == 'X', "key: dedupe, a two-digit length");

    t_key_pair("orders/x", "aa:bb", "orders/x:aa", "bb", "shop", "shop",
               "key: a ':' moved from the id into the topic");
    t_key_pair("a", "b:c", "a:b", "c", "shop", "shop",
               "key: a ':' moved from the topic into the id");
    t_key_pair("x:t", "e", "t", "e", "shop", "shop:x",
               "key: a ':' moved from the topic into the channel");
    t_key_pair("t", "1:e", "t:1", "e", "shop", "shop",
               "key: a length-like part moved across");
}


/* two events that the ':'-joined layout gave one key must get two */
static void
t_key_pair(const char *topic1, const char *event1, const char *topic2,
    const char *event2, const char *channel1, const char *channel2,
    const char *what)
{
    size_t          n1, n2, len1, len2;
    unsigned char   k1[256], k2[256];
    invsync_meta_t  m1, m2;

    memset(&m1, 0, sizeof(invsync_meta_t));
    memset(&m2, 0, sizeof(invsync_meta_t));
    invsync_meta_set(m1.topic, &m1.topic_len, INVSYNC_TOPIC_LEN,
                     (const unsigned char *) topic1, strlen(topic1));
    invsync_meta_set(m1.event, &m1.event_len, INVSYNC_EVENT_LEN,
                     (const unsigned char *) event1, strlen(event1));
    invsync_meta_set(m2.topic, &m2.topic_len, INVSYNC_TOPIC_LEN,
                     (const unsigned char *) topic2, strlen(topic2));
    invsync_meta_set(m2.event, &m2.event_len, INVSYNC_EVENT_LEN,
                     (const unsigned char *) event2, strlen(event2));

    len1 = invsync_key_dedupe_len(7, 6, &m1, strlen(channel1));
    len2 = invsync_key_dedupe_len(7, 6, &m2, strlen(channel2));
    n1 = invsync_key_dedupe(k1, T_S("invsync"), T_S("orders"),
                            (const unsigned char *) channel1,
                            strlen(channel1), &m1);
    n2 = invsync_key_dedupe(k2, T_S("invsync"), T_S("orders"),
                            (const unsigned char *) channel2,
                            strlen(channel2), &m2);

    t_ok(n1 == len1 && n2 == len2
         && (n1 != n2 || memcmp(k1, k2, n1) != 0),
         "%s: \"%.*s\" and \"%.*s\"", what, (int) n1, k1, (int) n2, k2);
}


int
main(void)
{
    printf("1..%d\n", T_PLAN);

    t_routes();
    t_registry();
    t_keys();

    if (t_n != T_PLAN) {
        printf("# planned %d, ran %zu\n", T_PLAN, t_n);
        return 1;
    }

    return t_failed;
}
