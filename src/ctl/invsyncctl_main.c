
/*
 * invsyncctl: the global options and the command table, one row per
 * command file (invsyncctl_<name>.c) as Redis's command table has one per
 * command.  What the command files share: invsyncctl_args.c (arguments),
 * invsyncctl_session.c (Redis), invsyncctl_output.c (JSON) and
 * invsyncctl_table.c (tables).
 */


#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invsyncctl.h"


static void invsyncctl_usage(FILE *out);
static const invsyncctl_cmd_t *invsyncctl_find(const char *name);


static const invsyncctl_cmd_t  invsyncctl_cmds[] = {
    { "status", "streams, lag, pending, dead letters, exceptions, workers",
      invsyncctl_status, invsyncctl_status_usage },
    { "audit", "audit entries by order, SKU, event or time",
      invsyncctl_audit, invsyncctl_audit_usage },
    { "replay", "deliver stream entries again",
      invsyncctl_replay, invsyncctl_replay_usage },
    { "dlq", "list, show, retry or drop dead letters",
      invsyncctl_dlq, invsyncctl_dlq_usage },
    { "exceptions", "list, show, retry or resolve exceptions",
      invsyncctl_exceptions, invsyncctl_exceptions_usage },
    { "stock", "stock of a SKU: show, count, adjust, history",
      invsyncctl_stock, invsyncctl_stock_usage },
    { "sku", "SKUs and their channel identifiers: map, bundle, import",
      invsyncctl_sku, invsyncctl_sku_usage },
    { "reconcile", "read the channels' quantities, audit and fix drift",
      invsyncctl_reconcile, invsyncctl_reconcile_usage },
    { "route", "why an order went where it went; dry-run, retry",
      invsyncctl_route, invsyncctl_route_usage },
    { "epoch", "which Redis this is: show, init, reset after a data loss",
      invsyncctl_epoch, invsyncctl_epoch_usage },
    { "ship", "confirm that a shipment left: carrier, tracking",
      invsyncctl_ship, invsyncctl_ship_usage },
    { "journal", "refunds' and restocks' journal: export, trial balance",
      invsyncctl_journal, invsyncctl_journal_usage },
    { "return", "returns (RMA): open, receive, transit, close, list, show",
      invsyncctl_return, invsyncctl_return_usage },
    { "refund", "refunds made on a channel: create, list, show, retry",
      invsyncctl_refund, invsyncctl_refund_usage },
    { NULL, NULL, NULL, NULL }
};


int
main(int argc, char **argv)
{
    int                      i, rc;
    char                    *help[3];
    const char              *env, *a;
    invsyncctl_t             ctl;
    const invsyncctl_cmd_t  *cmd;

    memset(&ctl, 0, sizeof(invsyncctl_t));

    env = getenv("INVSYNC_CONFIG");
    ctl.config = (env != NULL && env[0] != '\0') ? env : INVSYNCCTL_CONFIG;
    ctl.now = invsync_now_ms();

    /* the worker's JSON log would only repeat what we say in words */
    invsync_log_init(INVSYNC_LOG_NONE);

    /* a Redis that closes the connection must not kill us mid-write */
    signal(SIGPIPE, SIG_IGN);

    for (i = 1; i < argc; i++) {
        a = argv[i];

        if (strcmp(a, "--json") == 0) {
            ctl.json = 1;

        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "invsyncctl: %s needs a file\n", a);
                return INVSYNCCTL_USAGE;
            }

            ctl.config = argv[++i];

        } else if (strncmp(a, "--config=", 9) == 0) {
            ctl.config = a + 9;

        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            invsyncctl_usage(stdout);
            return INVSYNCCTL_OK;

        } else if (a[0] == '-') {
            fprintf(stderr, "invsyncctl: unknown option \"%s\"\n", a);
            invsyncctl_usage(stderr);
            return INVSYNCCTL_USAGE;

        } else {
            break;
        }
    }

    if (i == argc) {
        invsyncctl_usage(stderr);
        return INVSYNCCTL_USAGE;
    }

    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 == argc) {
            invsyncctl_usage(stdout);
            return INVSYNCCTL_OK;
        }

        cmd = invsyncctl_find(argv[i + 1]);

        if (cmd == NULL) {
            fprintf(stderr, "invsyncctl: unknown command \"%s\"\n",
                    argv[i + 1]);
            return INVSYNCCTL_USAGE;
        }

        /* "help CMD" is "CMD --help": a command may add to its usage */
        help[0] = (char *) cmd->name;
        help[1] = (char *) "--help";
        help[2] = NULL;

        rc = cmd->run(&ctl, 2, help);

        return rc == INVSYNCCTL_HELP ? INVSYNCCTL_OK : rc;
    }

    cmd = invsyncctl_find(argv[i]);

    if (cmd == NULL) {
        fprintf(stderr, "invsyncctl: unknown command \"%s\"\n", argv[i]);
        invsyncctl_usage(stderr);
        return INVSYNCCTL_USAGE;
    }

    rc = cmd->run(&ctl, argc - i, argv + i);

    invsync_redis_close(&ctl.w);
    invsync_conf_free(ctl.conf);

    if (rc == INVSYNCCTL_HELP) {
        rc = INVSYNCCTL_OK;
    }

    if (fflush(stdout) != 0 && errno != EPIPE) {
        fprintf(stderr, "invsyncctl: writing the output: %s\n",
                strerror(errno));
        return rc == INVSYNCCTL_OK ? INVSYNCCTL_USAGE : rc;
    }

    return rc;
}


static void
invsyncctl_usage(FILE *out)
{
    const invsyncctl_cmd_t  *cmd;

    fprintf(out,
            "usage: invsyncctl [-c worker.json] [--json] COMMAND [ARGS]\n"
            "\n"
            "  -c, --config FILE  the worker's configuration (default "
            "$INVSYNC_CONFIG,\n"
            "                     else " INVSYNCCTL_CONFIG ")\n"
            "  --json             one JSON document on stdout\n"
            "  -h, --help         this text; COMMAND --help for a "
            "command's\n"
            "\n"
            "commands:\n");

    for (cmd = invsyncctl_cmds; cmd->name != NULL; cmd++) {
        fprintf(out, "  %-12s %s\n", cmd->name, cmd->summary);
    }

    fprintf(out,
            "\n"
            "exit codes: 0 done, 1 usage or configuration error, 2 not "
            "found,\n"
            "3 Redis unreachable or refusing.  See docs/invsyncctl.md.\n");
}


static const invsyncctl_cmd_t *
invsyncctl_find(const char *name)
{
    const invsyncctl_cmd_t  *cmd;

    for (cmd = invsyncctl_cmds; cmd->name != NULL; cmd++) {
        if (strcmp(cmd->name, name) == 0) {
            return cmd;
        }
    }

    return NULL;
}
