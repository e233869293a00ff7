
/*
 * The channel cases against the channel table: every folder of
 * $INVSYNC_CHANNEL_CASES (default t/channels) is a channel type, every
 * <type>/<op>/ an operation the channel has, and a channel that pushes,
 * reads or polls has cases of each operation it can do (set up here,
 * run by test_channels.c and test_channels_orders.c; track/ by
 * test_channels_track.c).  Prints TAP.
 */


#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_cases.h"


static void t_channel(const invsync_channel_t *ch, const char *root);


/* one channel type's operations, and that what it can do has cases */

static void
t_channel(const invsync_channel_t *ch, const char *root)
{
    int              no, k, n, can[T_OPS], found[T_OPS];
    char             tdir[T_PATH_LEN];
    size_t           op;
    struct dirent  **ops;

    t_can(ch, can);
    snprintf(tdir, sizeof(tdir), "%s/%s", root, ch->type);
    memset(found, 0, sizeof(found));
    no = scandir(tdir, &ops, t_select, alphasort);

    for (k = 0; k < no; k++) {
        /* tracking's sequences: t/unit/test_channels_track.c */
        if (strcmp(ops[k]->d_name, "track") == 0) {
            free(ops[k]);
            continue;
        }

        for (op = 0; op < T_OPS && strcmp(t_ops[op], ops[k]->d_name) != 0;
             op++)
        {
            /* void */
        }

        n = op < T_OPS && can[op] ? t_op_cases(ch, root, op, NULL) : -1;

        if (n < 0) {
            t_ok(0, "%s/%s: an operation of the channel", ch->type,
                 ops[k]->d_name);

        } else {
            found[op] = n;
        }

        free(ops[k]);
    }

    if (no >= 0) {
        free(ops);
    }

    /* a channel without push, read and poll (a scheme only) needs none */
    if (can[0] || can[1] || can[2]) {
        t_ok((found[0] || !can[0]) && (found[1] || !can[1])
             && (found[2] || !can[2]) && (found[3] || !can[3])
             && (found[4] || !can[4]) && (found[5] || !can[5]),
             "%s: every operation has cases (%d push, %d read, %d poll, "
             "%d authorize, %d refunds, %d disposition)", ch->type,
             found[0], found[1], found[2], found[3], found[4], found[5]);
    }
}


int
main(void)
{
    int              nt, i;
    size_t           j;
    const char      *root;
    struct dirent  **types;

    root = t_root();

    nt = scandir(root, &types, t_select, alphasort);
    if (nt < 0) {
        printf("1..0 # SKIP no cases in %s\n", root);
        return 1;
    }

    for (i = 0; i < nt; i++) {
        if (invsync_channel_find(types[i]->d_name) == NULL) {
            t_ok(0, "%s: a channel type", types[i]->d_name);
        }

        free(types[i]);
    }

    free(types);

    for (j = 0; invsync_channels[j] != NULL; j++) {
        t_channel(invsync_channels[j], root);
    }

    printf("1..%zu\n", t_n);

    return t_failed;
}
