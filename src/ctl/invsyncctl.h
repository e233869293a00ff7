
/*
 * invsyncctl, the operator's tool: what its command files share, namely
 * the command table, argument parsing, the Redis session (the worker's,
 * reused), output as tables or one JSON document, times, and the audit
 * entry every operator action leaves.
 */


#ifndef INVSYNCCTL_H_INCLUDED
#define INVSYNCCTL_H_INCLUDED


#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "invsync_runtime.h"


/* exit codes, docs/invsyncctl.md */
#define INVSYNCCTL_OK          0
#define INVSYNCCTL_USAGE       1    /* bad arguments or configuration */
#define INVSYNCCTL_NOTFOUND    2    /* nothing matched, no such id */
#define INVSYNCCTL_REDIS       3    /* Redis unreachable or refusing */
#define INVSYNCCTL_HALTED      4    /* status: a worker halted, Redis lost
                                       its data */
#define INVSYNCCTL_HELP        (-1) /* internal: help printed, exit 0 */

#define INVSYNCCTL_KEY_LEN     512
#define INVSYNCCTL_ID_LEN      64
#define INVSYNCCTL_TIME_LEN    32
#define INVSYNCCTL_MAX_POS     4
#define INVSYNCCTL_CONFIG      "/etc/invsync/worker.json"
#define INVSYNCCTL_SKU_MAX     128  /* bytes of a canonical SKU */


typedef struct {
    const char          *config;     /* -c, $INVSYNC_CONFIG, the default */
    int                  json;       /* --json */
    invsync_conf_t      *conf;       /* once invsyncctl_open() succeeded */
    invsync_worker_t     w;          /* the session: w.conf, w.redis */
    int64_t              now;        /* Unix ms, when the command started */
} invsyncctl_t;


/* argv[0] is the command's own name; returns an exit code */
typedef int (*invsyncctl_run_pt)(invsyncctl_t *ctl, int argc, char **argv);


typedef struct {
    const char          *name;
    const char          *summary;
    invsyncctl_run_pt    run;
    const char          *usage;      /* the text of "<name> --help" */
} invsyncctl_cmd_t;


/* one option a command takes: value != NULL for "--name VALUE" */
typedef struct {
    const char          *name;       /* with its dashes: "--limit" */
    const char         **value;
    int                 *flag;
} invsyncctl_opt_t;


/* arguments of one Redis command, binary-safe; formatted ones are owned */
typedef struct {
    size_t               n;
    size_t               cap;
    const char         **argv;
    size_t              *lens;
    char               **owned;
    int                  failed;     /* out of memory on some add */
} invsyncctl_argv_t;


/* a table for people: header row, cells copied, columns padded */
typedef struct {
    size_t               ncols;
    size_t               nrows;
    size_t               cap;
    char               **cells;
    unsigned             right;      /* bit i: column i aligned right */
} invsyncctl_table_t;


/* the commands, one file each */
int invsyncctl_status(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_audit(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_replay(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_dlq(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_exceptions(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_stock(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_sku(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_reconcile(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_route(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_epoch(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_ship(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_journal(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_return(invsyncctl_t *ctl, int argc, char **argv);
int invsyncctl_refund(invsyncctl_t *ctl, int argc, char **argv);

extern const char  invsyncctl_status_usage[];
extern const char  invsyncctl_audit_usage[];
extern const char  invsyncctl_replay_usage[];
extern const char  invsyncctl_dlq_usage[];
extern const char  invsyncctl_exceptions_usage[];
extern const char  invsyncctl_stock_usage[];
extern const char  invsyncctl_sku_usage[];
extern const char  invsyncctl_reconcile_usage[];
extern const char  invsyncctl_route_usage[];
extern const char  invsyncctl_epoch_usage[];
extern const char  invsyncctl_ship_usage[];
extern const char  invsyncctl_journal_usage[];
extern const char  invsyncctl_return_usage[];
extern const char  invsyncctl_refund_usage[];

/* invsyncctl_sku.c: what stock and sku share */
int invsyncctl_sku_valid(const char *sku);
int invsyncctl_sku_known(invsyncctl_t *ctl, const char *sku);

/* invsyncctl_audit.c: the audit entry of an operator action */
int invsyncctl_audit_operator(invsyncctl_t *ctl, const char *action,
    const char *by, const char *why, const char *channel, const char *event,
    const char *order, char *id, ...);

/* invsyncctl_args.c: arguments */
int invsyncctl_args(invsyncctl_t *ctl, const char *cmd, const char *usage,
    int argc, char **argv, const invsyncctl_opt_t *opts, const char **pos,
    int maxpos, int *npos);
int invsyncctl_usage_error(const char *cmd, const char *fmt, ...);
int invsyncctl_parse_long(const char *cmd, const char *name,
    const char *value, long min, long max, long *out);
int invsyncctl_parse_time(const char *s, int64_t now, int64_t *ms);
int invsyncctl_valid_id(const char *s);
const char *invsyncctl_by(const char *by);

/* invsyncctl_session.c: the Redis session */
int invsyncctl_open(invsyncctl_t *ctl);
redisReply *invsyncctl_redis(invsyncctl_t *ctl, const char *fmt, ...);
redisReply *invsyncctl_argv_run(invsyncctl_t *ctl, invsyncctl_argv_t *a);
redisReply *invsyncctl_script(invsyncctl_t *ctl, const char *name,
    const char *sha, const char *script, size_t len, int nkeys,
    invsyncctl_argv_t *a);
void invsyncctl_argv_init(invsyncctl_argv_t *a);
void invsyncctl_argv_add(invsyncctl_argv_t *a, const char *s, size_t len);
void invsyncctl_argv_addf(invsyncctl_argv_t *a, const char *fmt, ...);
void invsyncctl_argv_free(invsyncctl_argv_t *a);
int invsyncctl_stream_key(invsyncctl_t *ctl, const char *name, char *key,
    size_t cap, const char **shortname);
const redisReply *invsyncctl_field(const redisReply *fields,
    const char *name);
const char *invsyncctl_fstr(const redisReply *fields, const char *name);
int invsyncctl_entry_ok(const redisReply *entry);

/* invsyncctl_output.c and invsyncctl_table.c: output */
int invsyncctl_print_json(json_t *doc);
json_t *invsyncctl_fields_json(const redisReply *fields, int with_body);
void invsyncctl_json_bytes(json_t *obj, const char *key, const char *s,
    size_t len);
char *invsyncctl_time_fmt(int64_t ms, char *buf, size_t cap);
char *invsyncctl_age_fmt(int64_t ms, char *buf, size_t cap);
int64_t invsyncctl_id_ms(const char *id);
invsyncctl_table_t *invsyncctl_table_new(size_t ncols, unsigned right, ...);
int invsyncctl_table_add(invsyncctl_table_t *t, ...);
void invsyncctl_table_print(invsyncctl_table_t *t, FILE *out);
void invsyncctl_table_free(invsyncctl_table_t *t);


#endif /* INVSYNCCTL_H_INCLUDED */
