
/*
 * invsyncctl stock history: the audit entries of one SKU, oldest first.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_stock.h"


/*
 * The SKU's audit entries: "audit --sku SKU", after checking that the SKU
 * is known or has a history.  audit opens its own session.
 */

int
invsyncctl_stock_history(invsyncctl_t *ctl, int argc, char **argv)
{
    int                rc, npos, known, n;
    long               limit;
    char               key[INVSYNCCTL_KEY_LEN];
    char              *args[9];
    redisReply        *r;
    const char        *sku, *limit_s, *since_s, *until_s, *pos[1];
    invsyncctl_opt_t   opts[] = {
        { "--limit", &limit_s, NULL },
        { "--since", &since_s, NULL },
        { "--until", &until_s, NULL },
        { NULL, NULL, NULL }
    };

    limit_s = NULL;
    since_s = NULL;
    until_s = NULL;

    rc = invsyncctl_args(ctl, "stock", invsyncctl_stock_usage, argc, argv,
                         opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1) {
        return invsyncctl_usage_error("stock", "history needs a SKU");
    }

    sku = pos[0];

    if (!invsyncctl_sku_valid(sku)) {
        return invsyncctl_usage_error("stock", "\"%s\" is not a SKU", sku);
    }

    if (limit_s != NULL
        && invsyncctl_parse_long("stock", "--limit", limit_s, 1, 1000000,
                                 &limit)
           != INVSYNCCTL_OK)
    {
        return INVSYNCCTL_USAGE;
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    known = invsyncctl_sku_known(ctl, sku);

    if (known == 0) {
        invsync_key_audit_sku(key, sizeof(key), ctl->conf, sku);

        r = invsyncctl_redis(ctl, "EXISTS %s", key);
        if (r == NULL) {
            return INVSYNCCTL_REDIS;
        }

        known = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
        freeReplyObject(r);
    }

    if (known < 0) {
        return INVSYNCCTL_REDIS;
    }

    if (known == 0) {
        fprintf(stderr, "invsyncctl: stock: unknown SKU \"%s\"\n", sku);
        return INVSYNCCTL_NOTFOUND;
    }

    /* audit loads the configuration and connects again */
    invsync_redis_close(&ctl->w);
    invsync_conf_free(ctl->conf);
    ctl->conf = NULL;
    ctl->w.conf = NULL;

    n = 0;
    args[n++] = "audit";
    args[n++] = "--sku";
    args[n++] = (char *) sku;

    if (limit_s != NULL) {
        args[n++] = "--limit";
        args[n++] = (char *) limit_s;
    }

    if (since_s != NULL) {
        args[n++] = "--since";
        args[n++] = (char *) since_s;
    }

    if (until_s != NULL) {
        args[n++] = "--until";
        args[n++] = (char *) until_s;
    }

    args[n] = NULL;

    return invsyncctl_audit(ctl, n, args);
}
