
/*
 * STUB, for testing the 3PL path before helper "ship"'s shipment model is
 * merged; deleted then.  Per FULFIL-CONTRACT.md: the shipment and
 * fulfil:due keys, a confirm that only marks the shipment shipped (ship's
 * ship_confirm.lua also moves the ledger and queues tracking), and the
 * driver's turn for due shipments of kind 3pl.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_actions.h"
#include "fulfil/invsync_fulfil.h"


#define INVSYNC_KEY_LEN  512


size_t
invsync_key_shipment(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id)
{
    size_t  n;

    n = invsync_key_prefix(dst, cap, conf);
    snprintf(dst + n, cap - n, "shipment:%s", id);

    return strlen(dst);
}


size_t
invsync_key_fulfil_due(char *dst, size_t cap, const invsync_conf_t *conf)
{
    size_t  n;

    n = invsync_key_prefix(dst, cap, conf);
    snprintf(dst + n, cap - n, "fulfil:due");

    return strlen(dst);
}


invsync_act_rc_e
invsync_shipment_confirm(invsync_worker_t *w, const char *id,
    const char *carrier, const char *service, const char *tracking,
    const char *tracking_url, char *err, size_t len)
{
    char         key[INVSYNC_KEY_LEN], ms[32];
    redisReply  *r;
    const char  *argv[16];
    int          shipped;

    invsync_key_shipment(key, sizeof(key), w->conf, id);
    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "state";
    argv[3] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        snprintf(err, len, "redis");
        return INVSYNC_ACT_RETRY;
    }

    shipped = r->type == REDIS_REPLY_STRING && strcmp(r->str, "shipped") == 0;
    freeReplyObject(r);

    if (shipped) {
        return INVSYNC_ACT_DUPLICATE;
    }

    snprintf(ms, sizeof(ms), "%lld", (long long) invsync_now_ms());
    argv[0] = "HSET";
    argv[2] = "state";
    argv[3] = "shipped";
    argv[4] = "carrier";
    argv[5] = carrier ? carrier : "";
    argv[6] = "service";
    argv[7] = service ? service : "";
    argv[8] = "tracking";
    argv[9] = tracking ? tracking : "";
    argv[10] = "tracking_url";
    argv[11] = tracking_url ? tracking_url : "";
    argv[12] = "shipped_at";
    argv[13] = ms;
    argv[14] = NULL;

    r = invsync_redis_cmdv(w, argv);
    if (r == NULL) {
        snprintf(err, len, "redis");
        return INVSYNC_ACT_RETRY;
    }

    freeReplyObject(r);
    argv[0] = "HINCRBY";
    argv[2] = "confirms";
    argv[3] = "1";
    argv[4] = NULL;
    r = invsync_redis_cmdv(w, argv);
    if (r != NULL) {
        freeReplyObject(r);
    }

    return INVSYNC_ACT_APPLIED;
}
