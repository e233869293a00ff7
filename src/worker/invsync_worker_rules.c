
/*
 * What each channel's stock rules are, for the console (docs/console.md):
 * nginx does not read worker.json, so the worker writes every channel's
 * channels[].stock, as it is, to K stockrules when its Redis session
 * begins (start, reload, reconnection), and the console computes with
 * the core's stock arithmetic what a channel should show of a SKU.
 */


#include <stdlib.h>
#include <string.h>

#include "invsync_runtime.h"


#define INVSYNC_RULES_KEY_LEN  512


int
invsync_stock_rules_publish(invsync_worker_t *w)
{
    int                            argc, rc;
    char                           key[INVSYNC_RULES_KEY_LEN];
    char                          *text[INVSYNC_MAX_CHANNELS];
    size_t                         i, n, lens[2 + 2 * INVSYNC_MAX_CHANNELS];
    redisReply                    *r;
    const char                    *argv[2 + 2 * INVSYNC_MAX_CHANNELS];
    const invsync_channel_conf_t  *cc;

    n = w->conf->nchannels;

    if (n == 0) {
        return 0;
    }

    invsync_key_stockrules(key, sizeof(key), w->conf);
    argv[0] = "HSET";
    argv[1] = key;
    argc = 2;

    for (i = 0; i < n; i++) {
        cc = &w->conf->channels[i];
        text[i] = cc->stock != NULL
                  ? json_dumps(cc->stock, JSON_COMPACT | JSON_SORT_KEYS)
                  : strdup("{}");

        if (text[i] == NULL) {
            n = i;
            rc = 0;
            goto done;
        }

        argv[argc] = cc->id;
        argv[argc + 1] = text[i];
        argc += 2;
    }

    for (i = 0; i < (size_t) argc; i++) {
        lens[i] = strlen(argv[i]);
    }

    r = invsync_redis_cmd(w, argc, argv, lens);
    rc = r != NULL ? 0 : -1;

    if (r != NULL && r->type == REDIS_REPLY_ERROR) {
        invsync_log(INVSYNC_LOG_WARN, "stock rules not written",
                    json_pack("{s:s}", "err", r->str));
    }

    freeReplyObject(r);

done:

    for (i = 0; i < n; i++) {
        free(text[i]);
    }

    return rc;
}
