
/*
 * invsyncctl return: returns (RMA, docs/returns.md "RMA").  open records
 * one for an order's shipped lines; receive takes a parcel in, each line
 * with its condition, and runs the worker's own receipt
 * (src/actions/refund/invsync_return_receive.c, declared in
 * src/runtime/invsync_return.h): the restock rules, the ledger, the
 * journal, the refund due; transit and close move the state on; list and
 * show are invsyncctl_return_show.c.  Each is once by its cause: the same
 * command again changes nothing.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "invsyncctl_return.h"


#define INVSYNCCTL_RETURN_ARGS  64


const char  invsyncctl_return_usage[] =
    "usage: invsyncctl return open ORDER --channel C --line SKU:QTY[@LINE]\n"
    "                          ... [--reason R] [--id RMA] [--by NAME]\n"
    "                          [--json]\n"
    "       invsyncctl return receive RMA --line SKU:QTY:CONDITION ...\n"
    "                          [--receipt ID] [--by NAME] [--json]\n"
    "       invsyncctl return transit RMA [--tracking N] [--by NAME]\n"
    "       invsyncctl return close RMA [--by NAME]\n"
    "       invsyncctl return list [--state S] [--limit N] [--json]\n"
    "       invsyncctl return show RMA [--json]\n"
    "\n"
    "Returns (docs/returns.md, \"RMA\").  ORDER is the channel's order id,\n"
    "SKU a ledger SKU; --line may be given several times.  LINE names the\n"
    "order line taken back (its channel line id); without it the units go\n"
    "to the order's lines of the SKU in order, each filled before the next.\n"
    "\n"
    "  open     records a return of the order's lines, state open; prints\n"
    "           its id (--id to choose it)\n"
    "  receive  the parcel received and inspected: CONDITION is\n"
    "           resellable, damaged, missing or opened; each line restocked\n"
    "           by the restock rules, once per receipt (--receipt; by\n"
    "           default the same lines make the same receipt)\n"
    "  transit  the parcel is on its way back\n"
    "  close    nothing more is expected\n"
    "  list     returns, newest first; --state open, in_transit, received,\n"
    "           inspected, refunded or closed\n"
    "  show     one return: lines, history, receipts, refund due\n"
    "\n"
    "Exit: 0 (also: done before), 1 usage or refused, 2 no such order or\n"
    "RMA, 3 Redis.\n";


static int invsyncctl_return_open(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_return_receive(invsyncctl_t *ctl, int argc,
    char **argv);
static int invsyncctl_return_move(invsyncctl_t *ctl, int argc, char **argv);
static int invsyncctl_return_lines(const char *cmd, int *argc, char **argv,
    int conditions, json_t **lines);
static int invsyncctl_return_line_id(const char *id);
static int invsyncctl_return_session(invsyncctl_t *ctl);
static void invsyncctl_return_rid(const char *rma, json_t *lines, char *rid,
    size_t cap);


static const struct {
    const char         *name;
    invsyncctl_run_pt   run;
} invsyncctl_return_cmds[] = {
    { "open", invsyncctl_return_open },
    { "receive", invsyncctl_return_receive },
    { "transit", invsyncctl_return_move },
    { "close", invsyncctl_return_move },
    { "list", invsyncctl_return_list },
    { "show", invsyncctl_return_show },
    { NULL, NULL }
};


int
invsyncctl_return(invsyncctl_t *ctl, int argc, char **argv)
{
    size_t  i;

    if (argc < 2) {
        return invsyncctl_usage_error("return", "give open, receive, "
                                      "transit, close, list or show");
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(invsyncctl_return_usage, stdout);
        return INVSYNCCTL_HELP;
    }

    for (i = 0; invsyncctl_return_cmds[i].name != NULL; i++) {
        if (strcmp(argv[1], invsyncctl_return_cmds[i].name) == 0) {
            return invsyncctl_return_cmds[i].run(ctl, argc - 1, argv + 1);
        }
    }

    return invsyncctl_usage_error("return", "unknown subcommand \"%s\"",
                                  argv[1]);
}


static int
invsyncctl_return_open(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos;
    char                    id[INVSYNC_RMA_ID_LEN], event[256], audit[128];
    char                    err[INVSYNC_ERR_LEN];
    json_t                 *lines;
    const char             *pos[1], *channel, *reason, *want, *by;
    invsync_return_rc_e     orc;
    invsync_return_src_t    src;
    const invsyncctl_opt_t  opts[] = {
        { "--channel", &channel, NULL }, { "--reason", &reason, NULL },
        { "--id", &want, NULL }, { "--by", &by, NULL },
        { NULL, NULL, NULL }
    };

    channel = reason = want = by = NULL;

    rc = invsyncctl_return_lines("return open", &argc, argv, 0, &lines);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_args(ctl, "return open", invsyncctl_return_usage, argc,
                         argv, opts, pos, 1, &npos);
    if (rc == INVSYNCCTL_OK && (npos != 1 || channel == NULL
                                || json_array_size(lines) == 0))
    {
        rc = invsyncctl_usage_error("return open", "give the order, "
                                    "--channel and at least one --line");
    }

    if (rc == INVSYNCCTL_OK && want != NULL && !invsync_return_id_valid(want))
    {
        rc = invsyncctl_usage_error("return open", "--id: 1 to %d of "
                                    "A-Z a-z 0-9 . _ : -",
                                    INVSYNC_RMA_ID_LEN - 1);
    }

    if (rc == INVSYNCCTL_OK) {
        rc = invsyncctl_return_session(ctl);
    }

    if (rc != INVSYNCCTL_OK) {
        json_decref(lines);
        return rc;
    }

    if (want != NULL) {
        snprintf(id, sizeof(id), "%s", want);
    } else {
        invsync_return_id_new(id, sizeof(id));
    }

    snprintf(event, sizeof(event), "ctl:open:%s", id);
    memset(&src, 0, sizeof(src));
    src.channel = channel;
    src.event = event;
    src.topic = "return.open";
    src.by = invsyncctl_by(by);

    if (invsync_conf_channel(ctl->conf, channel) == NULL) {
        json_decref(lines);
        return invsyncctl_usage_error("return open", "unknown channel "
                                      "\"%s\"", channel);
    }

    orc = invsync_return_open(&ctl->w, &src, id, pos[0], lines, reason,
                              audit, sizeof(audit), err, sizeof(err));
    json_decref(lines);

    if (orc == INVSYNC_RETURN_REFUSED || orc == INVSYNC_RETURN_LOST) {
        return invsyncctl_return_exit(orc, err);
    }

    if (ctl->json) {
        return invsyncctl_print_json(json_pack("{s:s, s:s, s:s}", "rma", id,
            "result", orc == INVSYNC_RETURN_DONE ? "opened" : "opened before",
            orc == INVSYNC_RETURN_DONE ? "audit" : "state", audit));
    }

    printf("return %s: %s%s\n", id, orc == INVSYNC_RETURN_DONE
           ? "opened, audit " : "opened before, state ", audit);

    return INVSYNCCTL_OK;
}


static int
invsyncctl_return_receive(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos;
    char                    rid[INVSYNC_RMA_ID_LEN], event[512];
    char                    err[INVSYNC_ERR_LEN];
    json_t                 *lines, *out;
    const char             *pos[1], *want, *by;
    invsync_return_rc_e     rrc;
    invsync_return_src_t    src;
    const invsyncctl_opt_t  opts[] = {
        { "--receipt", &want, NULL }, { "--by", &by, NULL },
        { NULL, NULL, NULL }
    };

    want = by = NULL;

    rc = invsyncctl_return_lines("return receive", &argc, argv, 1, &lines);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    rc = invsyncctl_args(ctl, "return receive", invsyncctl_return_usage,
                         argc, argv, opts, pos, 1, &npos);
    if (rc == INVSYNCCTL_OK && (npos != 1 || json_array_size(lines) == 0)) {
        rc = invsyncctl_usage_error("return receive", "give the RMA and at "
                                    "least one --line SKU:QTY:CONDITION");
    }

    if (rc == INVSYNCCTL_OK && ((want != NULL
                                 && !invsync_return_id_valid(want))
                                || !invsync_return_id_valid(pos[0])))
    {
        rc = invsyncctl_usage_error("return receive", "an RMA or receipt "
                                    "id is 1 to %d of A-Z a-z 0-9 . _ : -",
                                    INVSYNC_RMA_ID_LEN - 1);
    }

    if (rc == INVSYNCCTL_OK) {
        rc = invsyncctl_return_session(ctl);
    }

    if (rc != INVSYNCCTL_OK) {
        json_decref(lines);
        return rc;
    }

    if (want != NULL) {
        snprintf(rid, sizeof(rid), "%s", want);
    } else {
        invsyncctl_return_rid(pos[0], lines, rid, sizeof(rid));
    }

    snprintf(event, sizeof(event), "ctl:receive:%s:%s", pos[0], rid);
    memset(&src, 0, sizeof(src));
    src.channel = "invsyncctl";
    src.event = event;
    src.topic = "return.receive";
    src.by = invsyncctl_by(by);

    out = NULL;
    err[0] = '\0';
    rrc = invsync_return_receive(&ctl->w, &src, pos[0], rid, lines, &out,
                                 err, sizeof(err));
    json_decref(lines);

    if (rrc == INVSYNC_RETURN_REFUSED || rrc == INVSYNC_RETURN_LOST) {
        json_decref(out);
        return invsyncctl_return_exit(rrc, err);
    }

    json_object_set_new(out, "result", json_string(rrc == INVSYNC_RETURN_DONE
                        ? "received" : "received before"));

    if (ctl->json) {
        return invsyncctl_print_json(out);
    }

    printf("return %s receipt %s: %s\n", pos[0], rid,
           json_string_value(json_object_get(out, "result")));
    invsyncctl_return_print_lines(json_object_get(out, "lines"));
    json_decref(out);

    return INVSYNCCTL_OK;
}


/* transit and close: the state moves on, once per RMA and state */
static int
invsyncctl_return_move(invsyncctl_t *ctl, int argc, char **argv)
{
    int                     rc, npos, transit;
    char                    event[512], err[INVSYNC_ERR_LEN], cmd[32];
    const char             *pos[1], *tracking, *by;
    invsync_return_rc_e     rrc;
    invsync_return_src_t    src;
    const invsyncctl_opt_t  opts[] = {
        { "--tracking", &tracking, NULL }, { "--by", &by, NULL },
        { NULL, NULL, NULL }
    };
    const invsyncctl_opt_t  close_opts[] = {
        { "--by", &by, NULL }, { NULL, NULL, NULL }
    };

    tracking = by = NULL;
    transit = strcmp(argv[0], "transit") == 0;
    snprintf(cmd, sizeof(cmd), "return %s", argv[0]);

    rc = invsyncctl_args(ctl, cmd, invsyncctl_return_usage, argc, argv,
                         transit ? opts : close_opts, pos, 1, &npos);
    if (rc == INVSYNCCTL_OK && (npos != 1 || !invsync_return_id_valid(pos[0])))
    {
        rc = invsyncctl_usage_error(cmd, "give the RMA");
    }

    if (rc == INVSYNCCTL_OK) {
        rc = invsyncctl_return_session(ctl);
    }

    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    snprintf(event, sizeof(event), "ctl:%s:%s", argv[0], pos[0]);
    memset(&src, 0, sizeof(src));
    src.channel = "invsyncctl";
    src.event = event;
    src.topic = transit ? "return.transit" : "return.close";
    src.by = invsyncctl_by(by);

    rrc = invsync_return_step(&ctl->w, &src, pos[0], transit ? "in_transit"
                              : "closed", tracking, err, sizeof(err));

    if (rrc == INVSYNC_RETURN_REFUSED || rrc == INVSYNC_RETURN_LOST) {
        return invsyncctl_return_exit(rrc, err);
    }

    if (ctl->json) {
        return invsyncctl_print_json(json_pack("{s:s, s:s}", "rma", pos[0],
            "result", rrc == INVSYNC_RETURN_DONE ? argv[0] : "before"));
    }

    printf("return %s: %s%s\n", pos[0], transit ? "in transit" : "closed",
           rrc == INVSYNC_RETURN_DONE ? "" : " before");

    return INVSYNCCTL_OK;
}


/*
 * Takes every "--line V" (or --line=V) out of argv (argc shrinks):
 * SKU:QTY[@LINE], with conditions SKU:QTY:CONDITION, into *lines [{sku,
 * qty, condition, line_id}].
 * The SKU is what comes before the last one (or two) colons, so a SKU
 * may hold colons itself.
 */
static int
invsyncctl_return_lines(const char *cmd, int *argc, char **argv,
    int conditions, json_t **lines)
{
    int          i, n;
    long         qty;
    char         buf[512], *q, *c, *at, *end;
    const char  *v;

    *lines = json_array();
    n = 1;

    for (i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--line") == 0 && i + 1 < *argc) {
            v = argv[++i];
        } else if (strncmp(argv[i], "--line=", 7) == 0) {
            v = argv[i] + 7;
        } else {
            argv[n++] = argv[i];
            continue;
        }

        snprintf(buf, sizeof(buf), "%s", v);
        c = conditions ? strrchr(buf, ':') : NULL;
        if (c != NULL) {
            *c++ = '\0';
        }
        q = strrchr(buf, ':');

        if ((conditions && c == NULL) || q == NULL || q == buf
            || json_array_size(*lines) >= INVSYNC_RMA_MAX_LINES)
        {
            json_decref(*lines);
            return invsyncctl_usage_error(cmd, "--line \"%s\": give %s (at "
                                          "most %d lines)", v, conditions
                                          ? "SKU:QTY:CONDITION" : "SKU:QTY",
                                          INVSYNC_RMA_MAX_LINES);
        }

        *q++ = '\0';

        /* open's SKU:QTY@LINE: the order line it takes back */
        at = conditions ? NULL : strchr(q, '@');
        if (at != NULL) {
            *at++ = '\0';
        }

        qty = strtol(q, &end, 10);

        if (*end != '\0' || end == q || qty <= 0 || qty > 1000000
            || !invsyncctl_sku_valid(buf)
            || (at != NULL && !invsyncctl_return_line_id(at)))
        {
            json_decref(*lines);
            return invsyncctl_usage_error(cmd, "--line \"%s\": a ledger SKU "
                                          "and a quantity of 1 to 1000000%s",
                                          v, conditions ? "" : ", then "
                                          "@LINE (the order's line id, 1 to "
                                          "63 printable bytes) if you name "
                                          "one");
        }

        json_array_append_new(*lines, json_pack("{s:s, s:I, s:s*, s:s*}",
                              "sku", buf, "qty", (json_int_t) qty,
                              "condition", c, "line_id", at));
    }

    *argc = n;
    argv[n] = NULL;

    return INVSYNCCTL_OK;
}


/* an order's line id: 1 to 63 printable bytes, no space */
static int
invsyncctl_return_line_id(const char *id)
{
    size_t  i, n;

    n = strlen(id);

    for (i = 0; i < n; i++) {
        if ((unsigned char) id[i] <= ' ' || (unsigned char) id[i] >= 0x7f) {
            return 0;
        }
    }

    return n > 0 && n < 64;
}


static int
invsyncctl_return_session(invsyncctl_t *ctl)
{
    int   rc;
    char  err[INVSYNC_ERR_LEN];

    rc = invsyncctl_open(ctl);
    if (rc != INVSYNCCTL_OK) {
        return rc;
    }

    if (invsync_redis_load_scripts(&ctl->w, err, sizeof(err)) != 0) {
        fprintf(stderr, "invsyncctl: %s\n", err);
        return INVSYNCCTL_REDIS;
    }

    return INVSYNCCTL_OK;
}


/* the default receipt id: the same RMA and lines make the same receipt */
static void
invsyncctl_return_rid(const char *rma, json_t *lines, char *rid, size_t cap)
{
    char           *text, *all;
    size_t          i;
    unsigned char   md[SHA_DIGEST_LENGTH];

    text = json_dumps(lines, JSON_COMPACT | JSON_SORT_KEYS);
    all = NULL;
    if (asprintf(&all, "%s %s", rma, text ? text : "") < 0) {
        all = NULL;
    }
    SHA1((const unsigned char *) (all ? all : rma),
         strlen(all ? all : rma), md);
    free(all);
    free(text);

    snprintf(rid, cap, "ctl-");
    for (i = 0; i < 6 && 4 + 2 * i + 2 < cap; i++) {
        snprintf(rid + 4 + 2 * i, 3, "%02x", md[i]);
    }
}


int
invsyncctl_return_exit(invsync_return_rc_e rc, const char *err)
{
    fprintf(stderr, "invsyncctl: return: %s\n", err);

    if (rc == INVSYNC_RETURN_LOST) {
        return INVSYNCCTL_REDIS;
    }

    return strncmp(err, "no ", 3) == 0 ? INVSYNCCTL_NOTFOUND
                                       : INVSYNCCTL_USAGE;
}
