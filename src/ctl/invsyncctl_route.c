
/*
 * invsyncctl route: why an order went where it went (explain: the
 * order.route trace of the audit, in words or as JSON), where a sample
 * order would go (dry-run, invsyncctl_route_dry.c) and routing an
 * unroutable order again now (retry), through the worker's own routing
 * code (src/actions/route/, declared in invsync_runtime.h).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsyncctl_route.h"


const char  invsyncctl_route_usage[] =
    "usage: invsyncctl route explain ORDER [--json]\n"
    "       invsyncctl route dry-run FILE [--channel ID] [--json]\n"
    "       invsyncctl route retry ORDER [--json]\n"
    "\n"
    "Order routing (docs/routing.md).  ORDER is <channel>:<order id>.\n"
    "\n"
    "  explain  the last routing decision of the order, from its audit\n"
    "           entry order.route: the rule that matched, each location\n"
    "           considered, kept or rejected and why, the distance and\n"
    "           stock it saw, the allocation or why a line is unroutable\n"
    "  dry-run  routes the order in FILE against the live ledger and\n"
    "           rules and changes nothing: a canonical order\n"
    "           (docs/events.md), or with --channel ID that channel's own\n"
    "           order JSON, normalized as its webhooks are\n"
    "  retry    routes a waiting (unroutable or backordered) order again\n"
    "           now, as the worker does when stock arrives\n"
    "  --json   the trace as one JSON document\n"
    "\n"
    "Exit: 0, 1 usage (or retry: still unroutable), 2 no such order or\n"
    "no routing decision of it, 3 Redis.\n";


static int invsyncctl_route_explain(invsyncctl_t *ctl, int argc,
    char **argv);
static int invsyncctl_route_retry(invsyncctl_t *ctl, int argc, char **argv);


static const struct {
    const char         *name;
    invsyncctl_run_pt   run;
} invsyncctl_route_cmds[] = {
    { "explain", invsyncctl_route_explain },
    { "dry-run", invsyncctl_route_dry },
    { "retry", invsyncctl_route_retry },
    { NULL, NULL }
};


int
invsyncctl_route(invsyncctl_t *ctl, int argc, char **argv)
{
    size_t  i;

    if (argc < 2) {
        return invsyncctl_usage_error("route", "give explain, dry-run or "
                                      "retry");
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(invsyncctl_route_usage, stdout);
        return INVSYNCCTL_HELP;
    }

    for (i = 0; invsyncctl_route_cmds[i].name != NULL; i++) {
        if (strcmp(argv[1], invsyncctl_route_cmds[i].name) == 0) {
            return invsyncctl_route_cmds[i].run(ctl, argc - 1, argv + 1);
        }
    }

    return invsyncctl_usage_error("route", "unknown subcommand \"%s\"",
                                  argv[1]);
}


/* the one ORDER argument, checked, and the session opened */

static int
invsyncctl_route_order(invsyncctl_t *ctl, const char *sub, int argc,
    char **argv, const char **order)
{
    int          rc, npos;
    const char  *pos[1];

    rc = invsyncctl_args(ctl, "route", invsyncctl_route_usage, argc, argv,
                         NULL, pos, 1, &npos);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (npos != 1 || strchr(pos[0], ':') == NULL) {
        return invsyncctl_usage_error("route", "%s needs an order, "
                                      "<channel>:<order id>", sub);
    }

    *order = pos[0];

    return invsyncctl_open(ctl);
}


/*
 * The order's latest order.route audit entry's trace: INVSYNCCTL_OK with
 * *trace, NOTFOUND (said why), REDIS.
 */

int
invsyncctl_route_last(invsyncctl_t *ctl, const char *order, json_t **trace)
{
    char         index[INVSYNCCTL_KEY_LEN], audit[INVSYNCCTL_KEY_LEN];
    size_t       i;
    json_t      *packed;
    redisReply  *ids, *r;
    const char  *inputs;

    *trace = NULL;
    invsync_key_audit_order(index, sizeof(index), ctl->conf, order);
    invsync_key_audit(audit, sizeof(audit), ctl->conf);

    ids = invsyncctl_redis(ctl, "ZREVRANGE %s 0 -1", index);
    if (ids == NULL) {
        return INVSYNCCTL_REDIS;
    }

    for (i = 0; *trace == NULL && ids->type == REDIS_REPLY_ARRAY
                && i < ids->elements; i++)
    {
        r = invsyncctl_redis(ctl, "XRANGE %s %s %s", audit,
                             ids->element[i]->str, ids->element[i]->str);
        if (r == NULL) {
            freeReplyObject(ids);
            return INVSYNCCTL_REDIS;
        }

        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1
            && invsyncctl_entry_ok(r->element[0])
            && strcmp(invsyncctl_fstr(r->element[0]->element[1], "action"),
                      "order.route") == 0)
        {
            inputs = invsyncctl_fstr(r->element[0]->element[1], "inputs");
            packed = json_loads(inputs, 0, NULL);
            *trace = packed != NULL ? invsync_route_trace_unpack(packed)
                                    : NULL;
            json_decref(packed);

            /* the order's version is audited beside the trace */
            if (json_is_object(*trace)) {
                json_object_set_new(*trace, "version", json_string(
                    invsyncctl_fstr(r->element[0]->element[1], "version")));
            }
        }

        freeReplyObject(r);
    }

    freeReplyObject(ids);

    if (*trace == NULL) {
        fprintf(stderr, "invsyncctl: route: order %s has no routing "
                "decision in the audit\n", order);
        return INVSYNCCTL_NOTFOUND;
    }

    return INVSYNCCTL_OK;
}


static int
invsyncctl_route_explain(invsyncctl_t *ctl, int argc, char **argv)
{
    int          rc;
    json_t      *trace;
    const char  *order;

    rc = invsyncctl_route_order(ctl, "explain", argc, argv, &order);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_route_last(ctl, order, &trace);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (!json_object_get(trace, "order")) {
        json_object_set_new(trace, "order", json_string(order));
    }

    rc = ctl->json ? invsyncctl_print_json(json_incref(trace))
                   : invsyncctl_route_print(trace, stdout);
    json_decref(trace);

    return rc;
}


/* the worker's re-routing of one order, now; then its decision */

static int
invsyncctl_route_retry(invsyncctl_t *ctl, int argc, char **argv)
{
    int               rc;
    char              err[INVSYNC_ERR_LEN];
    json_t           *trace;
    const char       *order;
    invsync_act_rc_e  arc;

    rc = invsyncctl_route_order(ctl, "retry", argc, argv, &order);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (ctl->conf->routing == NULL) {
        fprintf(stderr, "invsyncctl: route: %s has no \"routing\"\n",
                ctl->conf->file);
        return INVSYNCCTL_USAGE;
    }

    err[0] = '\0';
    arc = invsync_route_again(&ctl->w, order, err, sizeof(err));

    if (arc == INVSYNC_ACT_RETRY || arc == INVSYNC_ACT_POISON
        || arc == INVSYNC_ACT_IGNORED)
    {
        fprintf(stderr, "invsyncctl: route: %s\n", err);
        return arc == INVSYNC_ACT_RETRY ? INVSYNCCTL_REDIS
                                        : INVSYNCCTL_NOTFOUND;
    }

    rc = invsyncctl_route_last(ctl, order, &trace);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = ctl->json ? invsyncctl_print_json(json_incref(trace))
                   : invsyncctl_route_print(trace, stdout);
    json_decref(trace);

    if (rc == INVSYNCCTL_OK && arc == INVSYNC_ACT_EXCEPTION) {
        rc = INVSYNCCTL_USAGE;      /* still unroutable */
    }

    return rc;
}
