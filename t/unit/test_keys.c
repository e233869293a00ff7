
/*
 * The worker's key builders (src/runtime/invsync_key.c) against the
 * layout docs/keys.md gives, and that table against the builders: every
 * row of "One builder per key" names a builder tested here, and every
 * builder tested here has its row.  Prints TAP.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_runtime.h"
#include "tap.h"


#define T_BUILDERS  63
#define T_PLAN      (T_BUILDERS + 4)
#define T_NAME_LEN  64


static char    t_names[T_BUILDERS][T_NAME_LEN];


static void
t_named(int ok, const char *what, const char *detail)
{
    t_ok(ok, "%s%s%s", what, detail[0] ? ": " : "", detail);
}


/* one builder's call: its name kept for the table check */
static void
t_key(const char *call, size_t len, const char *key, const char *want)
{
    const char  *paren = strchr(call, '(');

    if (t_n < T_BUILDERS && paren != NULL) {
        snprintf(t_names[t_n], T_NAME_LEN, "%.*s", (int) (paren - call),
                 call);
    }

    t_named(len == strlen(want) && strcmp(key, want) == 0, call, key);
}

#define T_KEY(call, want)  t_key(#call, call, k, want)


/* the rows of "One builder per key": "| `key` | … | `invsync_key_x()` |" */
static size_t
t_doc_rows(const char *file, char names[][T_NAME_LEN], size_t max)
{
    char    line[1024], *b, *e;
    int     in = 0;
    size_t  n = 0;
    FILE   *f;

    f = fopen(file, "r");
    if (f == NULL) {
        return 0;
    }

    while (fgets(line, sizeof(line), f) != NULL && n < max) {
        if (line[0] == '#') {
            in = strncmp(line, "### One builder per key", 23) == 0;
        }

        b = in ? strstr(line, "`invsync_key_") : NULL;
        e = b ? strstr(b, "()`") : NULL;
        if (e != NULL && e - b - 1 < T_NAME_LEN) {
            snprintf(names[n++], T_NAME_LEN, "%.*s", (int) (e - b - 1),
                     b + 1);
        }
    }

    fclose(f);
    return n;
}


int
main(void)
{
    char            k[256], small[8], doc[2 * T_BUILDERS][T_NAME_LEN];
    size_t          i, j, ndoc;
    int             all;
    invsync_conf_t  conf;

    memset(&conf, 0, sizeof(conf));
    conf.prefix = "inv";

    printf("1..%d\n", T_PLAN);

    T_KEY(invsync_key_prefix(k, sizeof(k), &conf), "inv:{inv}:");
    T_KEY(invsync_key_audit(k, sizeof(k), &conf), "inv:{inv}:audit");
    T_KEY(invsync_key_audit_event(k, sizeof(k), &conf, "shop-eu", "ev:1"),
          "inv:{inv}:audit:event:shop-eu:ev:1");
    T_KEY(invsync_key_audit_order(k, sizeof(k), &conf, "shop-eu:1001"),
          "inv:{inv}:audit:order:shop-eu:1001");
    T_KEY(invsync_key_audit_sku(k, sizeof(k), &conf, "MUG"),
          "inv:{inv}:audit:sku:MUG");
    T_KEY(invsync_key_stock(k, sizeof(k), &conf, "MUG"),
          "inv:{inv}:stock:MUG");
    T_KEY(invsync_key_sku(k, sizeof(k), &conf, "MUG"), "inv:{inv}:sku:MUG");
    T_KEY(invsync_key_skus(k, sizeof(k), &conf), "inv:{inv}:skus");
    T_KEY(invsync_key_skumap(k, sizeof(k), &conf, "MUG"),
          "inv:{inv}:skumap:MUG");
    T_KEY(invsync_key_skuref(k, sizeof(k), &conf, "shop-eu", "gid:7"),
          "inv:{inv}:skuref:shop-eu:gid:7");
    T_KEY(invsync_key_bundles(k, sizeof(k), &conf, "MUG"),
          "inv:{inv}:bundles:MUG");
    T_KEY(invsync_key_dirty(k, sizeof(k), &conf, "shop-eu"),
          "inv:{inv}:dirty:shop-eu");
    T_KEY(invsync_key_shown(k, sizeof(k), &conf, "shop-eu"),
          "inv:{inv}:shown:shop-eu");
    T_KEY(invsync_key_force(k, sizeof(k), &conf, "shop-eu"),
          "inv:{inv}:force:shop-eu");
    T_KEY(invsync_key_pushed(k, sizeof(k), &conf, "shop-eu", "MUG"),
          "inv:{inv}:pushed:shop-eu:MUG");
    T_KEY(invsync_key_pushseq(k, sizeof(k), &conf, "shop-eu"),
          "inv:{inv}:pushseq:shop-eu");
    T_KEY(invsync_key_exception(k, sizeof(k), &conf, "x:1"),
          "inv:{inv}:exception:x:1");
    T_KEY(invsync_key_exceptions_open(k, sizeof(k), &conf),
          "inv:{inv}:exceptions:open");
    T_KEY(invsync_key_exceptions_all(k, sizeof(k), &conf),
          "inv:{inv}:exceptions:all");
    T_KEY(invsync_key_dlq(k, sizeof(k), &conf), "inv:{inv}:dlq");
    T_KEY(invsync_key_retry(k, sizeof(k), &conf), "inv:{inv}:retry");
    T_KEY(invsync_key_attempts(k, sizeof(k), &conf, "orders", "1-0"),
          "inv:{inv}:attempts:orders:1-0");
    T_KEY(invsync_key_workers(k, sizeof(k), &conf), "inv:{inv}:workers");
    T_KEY(invsync_key_stockrules(k, sizeof(k), &conf),
          "inv:{inv}:stockrules");
    T_KEY(invsync_key_reconcile(k, sizeof(k), &conf, "shop-eu"),
          "inv:{inv}:reconcile:shop-eu");
    T_KEY(invsync_key_reconciling(k, sizeof(k), &conf, "shop-eu"),
          "inv:{inv}:reconciling:shop-eu");
    T_KEY(invsync_key_pollmark(k, sizeof(k), &conf, "shop-eu"),
          "inv:{inv}:pollmark:shop-eu");
    T_KEY(invsync_key_polling(k, sizeof(k), &conf, "shop-eu"),
          "inv:{inv}:polling:shop-eu");
    T_KEY(invsync_key_pollround(k, sizeof(k), &conf, "sq-main"),
          "inv:{inv}:pollround:sq-main");
    T_KEY(invsync_key_held(k, sizeof(k), &conf, "sq-main"),
          "inv:{inv}:held:sq-main");
    T_KEY(invsync_key_polled(k, sizeof(k), &conf, "shop-eu", "shop-eu:1001"),
          "inv:{inv}:polled:shop-eu:shop-eu:1001");
    T_KEY(invsync_key_order(k, sizeof(k), &conf, "shop-eu:1001"),
          "inv:{inv}:order:shop-eu:1001");
    T_KEY(invsync_key_alloc(k, sizeof(k), &conf, "shop-eu:1001"),
          "inv:{inv}:alloc:shop-eu:1001");
    T_KEY(invsync_key_route_waiting(k, sizeof(k), &conf),
          "inv:{inv}:route:waiting");
    T_KEY(invsync_key_route_arrived(k, sizeof(k), &conf),
          "inv:{inv}:route:arrived");
    T_KEY(invsync_key_payref(k, sizeof(k), &conf, "txn:ch_3Pk"),
          "inv:{inv}:payref:txn:ch_3Pk");
    T_KEY(invsync_key_refundwait(k, sizeof(k), &conf, "pay:txn:ch_3Pk"),
          "inv:{inv}:refundwait:pay:txn:ch_3Pk");
    T_KEY(invsync_key_refunded(k, sizeof(k), &conf, "shop-eu:501"),
          "inv:{inv}:refunded:shop-eu:501");
    T_KEY(invsync_key_disposeread_due(k, sizeof(k), &conf),
          "inv:{inv}:disposeread:due");
    T_KEY(invsync_key_disposeread_wait(k, sizeof(k), &conf),
          "inv:{inv}:disposeread:wait");
    T_KEY(invsync_key_refundread_due(k, sizeof(k), &conf),
          "inv:{inv}:refundread:due");
    T_KEY(invsync_key_refundread_fails(k, sizeof(k), &conf),
          "inv:{inv}:refundread:fails");
    T_KEY(invsync_key_refundwaits(k, sizeof(k), &conf),
          "inv:{inv}:refundwaits");
    T_KEY(invsync_key_shipment(k, sizeof(k), &conf, "shop-eu:1001@w1"),
          "inv:{inv}:shipment:shop-eu:1001@w1");
    T_KEY(invsync_key_shipments(k, sizeof(k), &conf, "shop-eu:1001"),
          "inv:{inv}:shipments:shop-eu:1001");
    T_KEY(invsync_key_fulfil_due(k, sizeof(k), &conf),
          "inv:{inv}:fulfil:due");
    T_KEY(invsync_key_track_due(k, sizeof(k), &conf), "inv:{inv}:track:due");
    T_KEY(invsync_key_rma(k, sizeof(k), &conf, "R-20261203-1"),
          "inv:{inv}:rma:R-20261203-1");
    T_KEY(invsync_key_rmaearly(k, sizeof(k), &conf, "shop-eu:77"),
          "inv:{inv}:rmaearly:shop-eu:77");
    T_KEY(invsync_key_rmas(k, sizeof(k), &conf), "inv:{inv}:rmas");
    T_KEY(invsync_key_refundout(k, sizeof(k), &conf, "rma:R-1"),
          "inv:{inv}:refundout:rma:R-1");
    T_KEY(invsync_key_refundouts(k, sizeof(k), &conf), "inv:{inv}:refundouts");
    T_KEY(invsync_key_refundout_due(k, sizeof(k), &conf),
          "inv:{inv}:refundout:due");
    T_KEY(invsync_key_refundref(k, sizeof(k), &conf, "shop-eu", "77"),
          "inv:{inv}:refundref:shop-eu:77");
    T_KEY(invsync_key_done(k, sizeof(k), &conf, "order.record", "shop-eu",
                           "ev:1"),
          "inv:{inv}:done:order.record:shop-eu:ev:1");
    T_KEY(invsync_key_journal(k, sizeof(k), &conf), "inv:{inv}:journal");
    T_KEY(invsync_key_done_journal(k, sizeof(k), &conf, "refund:shop:R1"),
          "inv:{inv}:done:journal:refund:shop:R1");
    T_KEY(invsync_key_done_ledger(k, sizeof(k), &conf, "reserve:o:1"),
          "inv:{inv}:done:ledger:reserve:o:1");
    T_KEY(invsync_key_done_operator(k, sizeof(k), &conf, "x:1"),
          "inv:{inv}:done:ledger:operator:x:1");
    T_KEY(invsync_key_state(k, sizeof(k), &conf, "order:shop-eu:1001"),
          "inv:{inv}:order:shop-eu:1001");
    T_KEY(invsync_key_nostate(k, sizeof(k), &conf), "inv:{inv}:nostate");
    T_KEY(invsync_key_epoch(k, sizeof(k), &conf), "inv:{inv}:epoch");
    T_KEY(invsync_key_stream_of(k, sizeof(k), &conf, "orders"), "inv:orders");

    t_named(invsync_key_stock(small, sizeof(small), &conf, "MUG") == 0,
         "a key that does not fit gives 0", "");
    t_named(invsync_key_stream_of(small, sizeof(small), &conf, "orders") == 0
            && small[0] == '\0',
         "a stream key that does not fit gives 0 and an empty key", "");

    ndoc = t_doc_rows("docs/keys.md", doc, 2 * T_BUILDERS);
    t_named(ndoc == T_BUILDERS, "docs/keys.md has one row per builder",
         ndoc == T_BUILDERS ? "" : "the counts differ");

    all = ndoc > 0;
    for (i = 0; i < ndoc; i++) {
        for (j = 0; j < T_BUILDERS && strcmp(t_names[j], doc[i]) != 0; j++) {
            /* void */
        }

        if (j == T_BUILDERS) {
            all = 0;
            printf("# docs/keys.md names %s, not tested here\n", doc[i]);
        }
    }
    t_named(all, "each row's builder is tested here", "");

    return t_failed;
}
