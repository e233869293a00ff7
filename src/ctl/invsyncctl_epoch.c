
/*
 * invsyncctl epoch: the deployment's epoch (docs/keys.md, "The epoch";
 * docs/operations.md, "Redis that comes back empty").  show reads it;
 * init makes it if there is none, as a deployment step; reset makes a new
 * one, whatever there was, with the markers of the configuration's
 * streams: how an operator accepts a Redis that lost its data.
 */


#include <stdio.h>
#include <string.h>

#include "invsyncctl.h"


static int invsyncctl_epoch_print(invsyncctl_t *ctl, const char *what,
    const redisReply *r, int created, const char *audit);


const char  invsyncctl_epoch_usage[] =
    "usage: invsyncctl epoch [show]\n"
    "       invsyncctl epoch init\n"
    "       invsyncctl epoch reset --yes [--by WHO] [--why TEXT]\n"
    "\n"
    "The epoch says which Redis this is: nginx and the workers remember\n"
    "it and stop (503 \"redis data lost\"; worker state \"halted\") when\n"
    "Redis has none or another, as after a restart without persistence, a\n"
    "failover to a replica that had not caught up, or FLUSHALL.\n"
    "\n"
    "  show     the epoch, or that there is none\n"
    "  init     make one if there is none (a deployment step: a Redis\n"
    "           found without one after that is one that lost its data)\n"
    "  reset    accept the state Redis is in: a new epoch and the markers\n"
    "           of the streams; then reload nginx, restart the workers,\n"
    "           run invsyncctl reconcile and a backfill window\n"
    "  --yes    reset: yes, the data Redis lost stays lost\n"
    "  --json   {\"epoch\": \"<hex>\" or null, \"created\": bool,\n"
    "           \"audit\": the reset's audit entry or null}\n"
    "\n"
    "Exit: 0, 1 usage, 2 show: no epoch, 3 Redis.\n";


int
invsyncctl_epoch(invsyncctl_t *ctl, int argc, char **argv)
{
    int                rc, npos, yes, created;
    char               want[INVSYNC_EPOCH_MAX + 1], audit[INVSYNCCTL_ID_LEN];
    char               key[INVSYNCCTL_KEY_LEN];
    const char        *what, *mode, *by, *why, *pos[1];
    redisReply        *r;
    invsyncctl_opt_t   opts[] = {
        { "--yes", NULL, &yes },
        { "--by", &by, NULL },
        { "--why", &why, NULL },
        { NULL, NULL, NULL }
    };

    yes = 0;
    by = NULL;
    why = NULL;

    rc = invsyncctl_args(ctl, "epoch", invsyncctl_epoch_usage, argc, argv,
                         opts, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    what = npos ? pos[0] : "show";

    if (strcmp(what, "show") == 0) {
        mode = NULL;

    } else if (strcmp(what, "init") == 0) {
        mode = "create";

    } else if (strcmp(what, "reset") == 0) {
        mode = "reset";

        if (!yes) {
            return invsyncctl_usage_error("epoch", "reset accepts that what "
                                          "Redis lost stays lost: say "
                                          "--yes");
        }

    } else {
        return invsyncctl_usage_error("epoch", "unknown action \"%s\"", what);
    }

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (invsync_epoch_new(want, 1) != 0) {
        fprintf(stderr, "invsyncctl: no random bytes for an epoch\n");
        return INVSYNCCTL_USAGE;
    }

    if (mode == NULL) {
        if (invsync_key_epoch(key, sizeof(key), ctl->conf) == 0) {
            fprintf(stderr, "invsyncctl: epoch: prefix too long\n");
            return INVSYNCCTL_USAGE;
        }

        r = invsyncctl_redis(ctl, "GET %s", key);

    } else {
        r = invsync_epoch_call(&ctl->w, mode, want, 1);
    }

    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "invsyncctl: epoch: %s\n",
                r ? r->str : "connection lost");
        freeReplyObject(r);
        return INVSYNCCTL_REDIS;
    }

    created = r->type == REDIS_REPLY_STRING && mode != NULL
              && r->len == strlen(want) && memcmp(r->str, want, r->len) == 0;

    audit[0] = '\0';

    if (strcmp(what, "reset") == 0) {
        rc = invsyncctl_audit_operator(ctl, "operator.epoch.reset",
                                       invsyncctl_by(by), why, NULL, NULL,
                                       NULL, audit, "epoch", r->str, NULL);
        if (rc != INVSYNCCTL_OK) {
            freeReplyObject(r);
            return rc;
        }
    }

    rc = invsyncctl_epoch_print(ctl, what, r, created, audit);
    freeReplyObject(r);

    return rc;
}


static int
invsyncctl_epoch_print(invsyncctl_t *ctl, const char *what,
    const redisReply *r, int created, const char *audit)
{
    int  none;

    none = r->type != REDIS_REPLY_STRING;

    if (ctl->json) {
        (void) invsyncctl_print_json(json_pack("{s:s?, s:b, s:s?}", "epoch",
                                               none ? NULL : r->str,
                                               "created", created, "audit",
                                               audit[0] ? audit : NULL));

    } else if (none) {
        printf("no epoch: Redis has lost its data, or invsync never wrote "
               "to it (invsyncctl epoch --help)\n");

    } else if (strcmp(what, "reset") == 0) {
        printf("epoch %s (new)\n"
               "next: reload nginx, restart the workers, then run "
               "invsyncctl reconcile and a backfill window "
               "(docs/operations.md)\n", r->str);

    } else {
        printf("epoch %s%s\n", r->str,
               strcmp(what, "init") != 0 ? ""
               : (created ? " (created)" : " (there already)"));
    }

    return none ? INVSYNCCTL_NOTFOUND : INVSYNCCTL_OK;
}
