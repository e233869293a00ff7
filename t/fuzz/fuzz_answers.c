
/*
 * libFuzzer target: every channel's answer parsers (push_parse,
 * read_parse, poll_parse with poll_order, track_parse), each given the
 * request its build operation made for a recorded case's items.  The
 * input:
 *
 *     <row><op><case>status\nName: value\n...\n\nbody[\n\f\nanswer]...
 *
 * row picks a row of invsync_channels[] and op one of push, read, poll,
 * track (each modulo); case one of that row's cases of the operation in
 * t/channels/<type>/<op>/ (modulo, in name order), whose conf.json,
 * credentials and items.json make the context and the request, as
 * t/unit/channel_cases.h does.  A row without the operation is skipped;
 * track_parse needs no request, so it runs on the type's conf.json with
 * or without cases.  The answer is what invsync_call_verdict() hands on:
 * a status of 100..499 but 429 (others never reach a parse), Retry-After,
 * the channel's answer_headers (a name without ':' is one longer than
 * the engine keeps: NULL), the body NUL-terminated one byte past len.
 * A line of one form feed ends an answer: a read whose parse says MORE
 * is built again with the same items and given the next one (Square's
 * catalog after its counts), as the cases' next/ folders are.
 *
 * Checks besides the sanitizers: a parse leaves the items it was not
 * given and every item's identity as they were (it never reports an item
 * that was not in the request); each result is in its range with its
 * strings terminated and printable; a delay is within [0, 1 h] and
 * THROTTLED has one; RETRY says why; a poll leaves orders only with DONE
 * or MORE, MORE with a printable cursor that fits, and poll_order gives
 * a topic and an id that fits (the worker checks id and version as
 * tokens itself).  The cases are read once, from
 * $INVSYNC_CHANNEL_CASES or t/channels (run from the tree's root).
 */


#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_channel.h"
#include "invsync_shipment.h"


#define T_OPS          4
#define T_STEPS        4                    /* answers of one read */
#define T_MAX_ITEMS    64
#define T_MAX_CASES    64
#define T_PATH_LEN     1024
#define T_WHY_LEN      160                  /* as the engines give */
#define T_NOW_MS       1795000000000LL      /* as channel_cases.h */
#define T_DELAY_MAX    3600000              /* INVSYNC_CALL_DELAY_MAX_MS */


typedef enum { T_PUSH = 0, T_READ, T_POLL, T_TRACK } t_op_e;


typedef struct {
    invsync_channel_conf_t   conf;
    json_t                  *conf_doc;
    char                    *credentials;
    json_t                  *input;         /* items.json, or NULL */
    int64_t                  now_ms;
} t_case_t;


typedef struct {
    t_case_t   cases[T_MAX_CASES];
    size_t     n;
} t_cases_t;


typedef struct {
    invsync_answer_t   a;
    char              *hdrs;                /* its strings */
    char              *body;
    char               why[T_WHY_LEN];
} t_answer_t;


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static char *t_file(const char *path);
static int t_case_load(t_case_t *c, const invsync_channel_t *ch,
    const char *type_dir, const char *dir);
static void t_load(const char *root);
static int t_answer(const invsync_channel_t *ch, const uint8_t **p,
    size_t *size, t_answer_t *ta);
static void t_answer_free(t_answer_t *ta);
static void t_printable(const char *s, size_t cap, int empty_ok);
static void t_verdict(invsync_channel_rc_e rc, int64_t delay,
    const char *why);
static void t_push(const invsync_channel_t *ch, t_case_t *c,
    const invsync_answer_t *a);
static void t_read(const invsync_channel_t *ch, t_case_t *c,
    t_answer_t *ta, const uint8_t *next, size_t left);
static invsync_channel_rc_e t_read_step(const invsync_channel_t *ch,
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a,
    invsync_read_item_t *items, size_t *n);
static void t_poll(const invsync_channel_t *ch, t_case_t *c,
    const invsync_answer_t *a);
static void t_track(const invsync_channel_t *ch, t_case_t *c,
    const invsync_answer_t *a);


static const char  *t_op_names[T_OPS] = { "push", "read", "poll", "track" };

/* by row of invsync_channels[] and op; [row][T_OPS]: the type's own */
static t_cases_t   *t_table;
static t_case_t    *t_type;


static char *
t_file(const char *path)
{
    char   *data;
    long    size;
    FILE   *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    data = NULL;

    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0
        && fseek(f, 0, SEEK_SET) == 0
        && (data = malloc((size_t) size + 1)) != NULL)
    {
        if (fread(data, 1, (size_t) size, f) == (size_t) size) {
            data[size] = '\0';

        } else {
            free(data);
            data = NULL;
        }
    }

    fclose(f);

    return data;
}


/* a case's conf.json (else its type's), credentials, items.json */

static int
t_case_load(t_case_t *c, const invsync_channel_t *ch, const char *type_dir,
    const char *dir)
{
    int           i;
    char          path[T_PATH_LEN], *nl;
    json_t       *v;
    const char   *dirs[2];

    dirs[0] = dir;
    dirs[1] = type_dir;
    memset(c, 0, sizeof(t_case_t));

    for (i = 0; i < 2 && c->conf_doc == NULL; i++) {
        snprintf(path, sizeof(path), "%s/conf.json", dirs[i]);
        c->conf_doc = json_load_file(path, 0, NULL);
    }

    for (i = 0; i < 2 && c->credentials == NULL; i++) {
        snprintf(path, sizeof(path), "%s/credentials", dirs[i]);
        c->credentials = t_file(path);
    }

    if (!json_is_object(c->conf_doc)) {
        fprintf(stderr, "fuzz_answers: no conf.json for %s\n", dir);
        return -1;
    }

    if (c->credentials != NULL && (nl = strchr(c->credentials, '\n'))) {
        *nl = '\0';
    }

    c->conf.id = (char *) json_string_value(json_object_get(c->conf_doc,
                                                             "id"));
    c->conf.type = (char *) ch->type;
    c->conf.api_base = (char *) json_string_value(
                           json_object_get(c->conf_doc, "api_base"));
    c->conf.options = json_object_get(c->conf_doc, "options");
    c->conf.poll_s = json_integer_value(json_object_get(c->conf_doc,
                                                        "poll_s"));

    snprintf(path, sizeof(path), "%s/items.json", dir);
    c->input = json_load_file(path, 0, NULL);
    v = json_object_get(c->input, "now_ms");
    c->now_ms = json_is_integer(v) ? json_integer_value(v) : T_NOW_MS;

    return 0;
}


static int
t_select(const struct dirent *d)
{
    return d->d_name[0] != '.';
}


static void
t_load(const char *root)
{
    int                       k, m;
    char                      tdir[T_PATH_LEN], odir[T_PATH_LEN];
    char                      cdir[T_PATH_LEN];
    size_t                    rows, r, op;
    t_cases_t                *tc;
    struct dirent           **cases;
    const invsync_channel_t  *ch;

    for (rows = 0; invsync_channels[rows] != NULL; rows++) {
        /* void */
    }

    t_table = calloc(rows * T_OPS, sizeof(t_cases_t));
    t_type = calloc(rows, sizeof(t_case_t));

    if (t_table == NULL || t_type == NULL) {
        abort();
    }

    for (r = 0; r < rows; r++) {
        ch = invsync_channels[r];
        snprintf(tdir, sizeof(tdir), "%s/%s", root, ch->type);

        /* a type without cases (a scheme only) has nothing to parse */
        if (t_case_load(&t_type[r], ch, tdir, tdir) != 0) {
            continue;
        }

        for (op = 0; op < T_OPS; op++) {
            snprintf(odir, sizeof(odir), "%s/%s", tdir, t_op_names[op]);
            m = scandir(odir, &cases, t_select, alphasort);
            tc = &t_table[r * T_OPS + op];

            for (k = 0; k < m; k++) {
                snprintf(cdir, sizeof(cdir), "%s/%s", odir,
                         cases[k]->d_name);

                if (tc->n < T_MAX_CASES
                    && t_case_load(&tc->cases[tc->n], ch, tdir, cdir) == 0)
                {
                    tc->n++;
                }

                free(cases[k]);
            }

            if (m >= 0) {
                free(cases);
            }
        }
    }
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char  *root;

    (void) argc;
    (void) argv;

    root = getenv("INVSYNC_CHANNEL_CASES");
    t_load(root != NULL ? root : "t/channels");

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                    rows, r, op, left;
    t_case_t                 *c;
    t_cases_t                *tc;
    t_answer_t                ta;
    const uint8_t            *p;
    const invsync_channel_t  *ch;

    if (size < 3) {
        return -1;
    }

    for (rows = 0; invsync_channels[rows] != NULL; rows++) {
        /* void */
    }

    r = data[0] % rows;
    op = data[1] % T_OPS;
    ch = invsync_channels[r];
    tc = &t_table[r * T_OPS + op];

    if (op == T_TRACK) {
        if (ch->track_parse == NULL || t_type[r].conf_doc == NULL) {
            return -1;
        }

        c = tc->n > 0 ? &tc->cases[data[2] % tc->n] : &t_type[r];

    } else {
        if (tc->n == 0) {
            return -1;
        }

        c = &tc->cases[data[2] % tc->n];
    }

    p = data + 3;
    left = size - 3;

    if (t_answer(ch, &p, &left, &ta) != 0) {
        return -1;
    }

    switch (op) {
    case T_PUSH:
        t_push(ch, c, &ta.a);
        break;
    case T_READ:
        t_read(ch, c, &ta, p, left);
        break;
    case T_POLL:
        t_poll(ch, c, &ta.a);
        break;
    default:
        t_track(ch, c, &ta.a);
    }

    t_answer_free(&ta);

    return 0;
}


/*
 * The next answer of p: "status\nheader lines\n\nbody" up to a form
 * feed's line or the end; p and size move past it.  -1 for a status the
 * engine keeps from the parses, or none left.
 */

static int
t_answer(const invsync_channel_t *ch, const uint8_t **p, size_t *size,
    t_answer_t *ta)
{
    char              *s, *line, *next, *colon, *end, *v;
    size_t             i, n, len, seg;
    const char        *blank, *ff;
    invsync_answer_t  *a;

    if (*size == 0) {
        return -1;
    }

    ff = memmem(*p, *size, "\n\f\n", 3);
    seg = ff != NULL ? (size_t) (ff - (const char *) *p) : *size;
    blank = memmem(*p, seg, "\n\n", 2);
    n = blank != NULL ? (size_t) (blank - (const char *) *p) + 1 : seg;
    len = blank != NULL ? seg - n - 1 : 0;

    memset(ta, 0, sizeof(t_answer_t));
    a = &ta->a;
    ta->hdrs = malloc(n + 1);
    ta->body = malloc(len + 1);

    if (ta->hdrs == NULL || ta->body == NULL) {
        goto refused;
    }

    memcpy(ta->hdrs, *p, n);
    ta->hdrs[n] = '\0';
    memcpy(ta->body, *p + n + 1 - (blank == NULL), len);
    ta->body[len] = '\0';

    *p += ff != NULL ? seg + 3 : seg;
    *size -= ff != NULL ? seg + 3 : seg;

    a->body = ta->body;
    a->len = len;
    a->retry_after = "";
    a->why = ta->why;
    a->why_len = sizeof(ta->why);

    for (i = 0; i < INVSYNC_ANSWER_HEADERS; i++) {
        a->headers[i] = "";
    }

    s = ta->hdrs;
    next = strchr(s, '\n');
    if (next != NULL) {
        *next++ = '\0';
    }

    a->status = strtol(s, &end, 10);

    if (end == s || *end != '\0' || a->status < 100 || a->status > 499
        || a->status == 429)
    {
        goto refused;
    }

    for (line = next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }

        colon = strchr(line, ':');
        v = NULL;

        if (colon != NULL) {
            *colon = '\0';
            for (v = colon + 1; *v == ' ' || *v == '\t'; v++) {
                /* void */
            }
        }

        if (strcasecmp(line, "Retry-After") == 0) {
            a->retry_after = v != NULL ? v : "";
            continue;
        }

        for (i = 0; ch->answer_headers != NULL
                    && i < INVSYNC_ANSWER_HEADERS
                    && ch->answer_headers[i] != NULL; i++)
        {
            if (strcasecmp(ch->answer_headers[i], line) == 0) {
                a->headers[i] = v;
                break;
            }
        }
    }

    return 0;

refused:

    t_answer_free(ta);

    return -1;
}


static void
t_answer_free(t_answer_t *ta)
{
    free(ta->hdrs);
    free(ta->body);
    ta->hdrs = NULL;
    ta->body = NULL;
}


/* s ends within cap and is UTF-8 without a control byte nor DEL: what
 * the log (jansson) and a person's terminal take */

static void
t_printable(const char *s, size_t cap, int empty_ok)
{
    size_t          i, len, k;
    const uint8_t  *p;

    p = (const uint8_t *) s;

    for (i = 0; i < cap && p[i] != '\0'; i += len) {
        len = p[i] < 0x80 ? 1 : p[i] >= 0xc2 && p[i] <= 0xdf ? 2
              : p[i] >= 0xe0 && p[i] <= 0xef ? 3
              : p[i] >= 0xf0 && p[i] <= 0xf4 ? 4 : 0;

        for (k = 1; k < len && i + k < cap && (p[i + k] & 0xc0) == 0x80;
             k++)
        {
            /* void */
        }

        if (len == 0 || k < len || p[i] < 0x20 || p[i] == 0x7f) {
            abort();
        }
    }

    if (i >= cap || (i == 0 && !empty_ok)) {
        abort();
    }
}


static void
t_verdict(invsync_channel_rc_e rc, int64_t delay, const char *why)
{
    if ((unsigned) rc > INVSYNC_CH_MORE || delay < 0 || delay > T_DELAY_MAX
        || (rc == INVSYNC_CH_THROTTLED && delay == 0))
    {
        abort();
    }

    t_printable(why, T_WHY_LEN, rc != INVSYNC_CH_RETRY);
}


static void
t_push(const invsync_channel_t *ch, t_case_t *c, const invsync_answer_t *a)
{
    size_t                 i, n, taken;
    json_t                *list, *v;
    int64_t                delay;
    invsync_request_t      rq;
    invsync_channel_ctx_t  ctx;
    invsync_channel_rc_e   rc;
    invsync_push_item_t    items[T_MAX_ITEMS], before[T_MAX_ITEMS];

    list = json_object_get(c->input, "items");
    n = json_array_size(list) < T_MAX_ITEMS ? json_array_size(list)
                                            : T_MAX_ITEMS;
    memset(items, 0, sizeof(items));

    for (i = 0; i < n; i++) {
        v = json_array_get(list, i);
        snprintf(items[i].sku, sizeof(items[i].sku), "%s",
                 json_string_value(json_object_get(v, "sku")));
        items[i].qty = json_integer_value(json_object_get(v, "qty"));
        items[i].ref = json_object_get(v, "ref");
        items[i].ok = -1;
    }

    ctx.conf = &c->conf;
    ctx.credentials = c->credentials;
    ctx.now_ms = c->now_ms;

    invsync_request_init(&rq, "POST");
    taken = ch->push_build(&ctx, items, n,
                           json_string_value(json_object_get(c->input,
                                                             "idempotency")),
                           &rq);
    invsync_request_free(&rq);

    if (taken == 0) {
        return;
    }

    memcpy(before, items, sizeof(items));
    delay = 0;
    rc = ch->push_parse(&ctx, a, items, taken, &delay);
    t_verdict(rc, delay, a->why);

    /* the items not sent are not the parse's to touch */
    if (memcmp(items + taken, before + taken,
               (n - taken) * sizeof(invsync_push_item_t)) != 0)
    {
        abort();
    }

    for (i = 0; i < taken; i++) {
        if (strcmp(items[i].sku, before[i].sku) != 0
            || items[i].qty != before[i].qty || items[i].ref != before[i].ref
            || items[i].ok < -1 || items[i].ok > 1)
        {
            abort();
        }

        /* a refusal is for a person: it says why */
        t_printable(items[i].err, sizeof(items[i].err),
                    rc != INVSYNC_CH_DONE || items[i].ok != 0);
    }
}


static void
t_read(const invsync_channel_t *ch, t_case_t *c, t_answer_t *ta,
    const uint8_t *next, size_t left)
{
    size_t                 i, n, step;
    json_t                *list, *v;
    t_answer_t             more;
    invsync_read_item_t    items[T_MAX_ITEMS];
    invsync_channel_ctx_t  ctx;

    list = json_object_get(c->input, "items");
    memset(items, 0, sizeof(items));
    n = 0;

    /* as the engine queues them: those read_item takes, in their order */
    json_array_foreach(list, i, v) {
        if (n == T_MAX_ITEMS) {
            break;
        }

        memset(&items[n], 0, sizeof(invsync_read_item_t));
        snprintf(items[n].sku, sizeof(items[n].sku), "%s",
                 json_string_value(json_object_get(v, "sku")));
        items[n].ref = json_object_get(v, "ref");
        n += ch->read_item(&items[n]) == 0;
    }

    ctx.conf = &c->conf;
    ctx.credentials = c->credentials;
    ctx.now_ms = c->now_ms;

    if (t_read_step(ch, &ctx, &ta->a, items, &n) != INVSYNC_CH_MORE) {
        return;
    }

    /* MORE: the same items again, with the input's next answer */
    for (step = 1; step < T_STEPS; step++) {
        if (t_answer(ch, &next, &left, &more) != 0) {
            return;
        }

        if (t_read_step(ch, &ctx, &more.a, items, &n) != INVSYNC_CH_MORE) {
            t_answer_free(&more);
            return;
        }

        t_answer_free(&more);
    }
}


/* one request of a read and its answer; *n becomes the items taken */

static invsync_channel_rc_e
t_read_step(const invsync_channel_t *ch, const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a, invsync_read_item_t *items, size_t *n)
{
    size_t                 i, taken;
    int64_t                delay;
    invsync_request_t      rq;
    invsync_read_item_t   *it, before[T_MAX_ITEMS];
    invsync_channel_rc_e   rc;

    invsync_request_init(&rq, "GET");
    taken = *n > 0 ? ch->read_build(ctx, items, *n, &rq) : 0;
    invsync_request_free(&rq);

    if (taken == 0 || taken > *n) {
        return INVSYNC_CH_RETRY;
    }

    memcpy(before, items, *n * sizeof(invsync_read_item_t));
    delay = 0;
    rc = ch->read_parse(ctx, a, items, taken, &delay);
    t_verdict(rc, delay, a->why);

    if (memcmp(items + taken, before + taken,
               (*n - taken) * sizeof(invsync_read_item_t)) != 0)
    {
        abort();
    }

    for (i = 0; i < taken; i++) {
        it = &items[i];

        if (strcmp(it->sku, before[i].sku) != 0 || it->ref != before[i].ref
            || strcmp(it->id, before[i].id) != 0
            || (unsigned) it->read > INVSYNC_READ_MISSING
            || (it->read == INVSYNC_READ_MISSING && it->why == NULL))
        {
            abort();
        }

        t_printable(it->at, sizeof(it->at), 1);
        t_printable(it->was, sizeof(it->was), 1);
        t_printable(it->name, sizeof(it->name), 1);

        if (it->why != NULL) {
            t_printable(it->why, INVSYNC_ITEM_ERR_LEN, 0);
        }
    }

    *n = taken;

    return rc;
}


static void
t_poll(const invsync_channel_t *ch, t_case_t *c, const invsync_answer_t *a)
{
    int                    rc_order;
    size_t                 i;
    json_t                *v, *order;
    int64_t                delay;
    invsync_page_t         page;
    invsync_polled_t       p;
    invsync_request_t      rq;
    invsync_channel_ctx_t  ctx;
    invsync_channel_rc_e   rc;

    memset(&page, 0, sizeof(invsync_page_t));
    page.since_ms = json_integer_value(json_object_get(c->input,
                                                       "since_ms"));
    v = json_object_get(c->input, "cursor");
    snprintf(page.cursor, sizeof(page.cursor), "%s",
             json_is_string(v) ? json_string_value(v) : "");
    page.pages = -1;

    ctx.conf = &c->conf;
    ctx.credentials = c->credentials;
    ctx.now_ms = c->now_ms;

    invsync_request_init(&rq, "GET");
    if (ch->poll_build(&ctx, &page, &rq) != 0) {
        invsync_request_free(&rq);
        return;
    }

    invsync_request_free(&rq);

    delay = 0;
    rc = ch->poll_parse(&ctx, a, &page, &delay);
    t_verdict(rc, delay, a->why);

    if (rc != INVSYNC_CH_DONE && rc != INVSYNC_CH_MORE) {
        /* the engines take orders only with DONE or MORE */
        if (page.orders != NULL) {
            abort();
        }

        return;
    }

    /* the engine asks for the next page with the cursor */
    t_printable(page.cursor, sizeof(page.cursor), rc != INVSYNC_CH_MORE);

    if (!json_is_array(page.orders) || page.pages < -1) {
        abort();
    }

    json_array_foreach(page.orders, i, order) {
        memset(&p, 0, sizeof(invsync_polled_t));
        rc_order = ch->poll_order(&ctx, order, &p);

        if (rc_order == 0) {
            if (p.topic == NULL) {
                abort();
            }

            /* id and version are the worker's to check as tokens
             * (invsync_worker_poll_order.c): here, that the id fits */
            t_printable(p.topic, INVSYNC_ITEM_ERR_LEN, 0);

            if (memchr(p.id, '\0', sizeof(p.id)) == NULL) {
                abort();
            }
        }
    }

    json_decref(page.orders);
}


static void
t_track(const invsync_channel_t *ch, t_case_t *c, const invsync_answer_t *a)
{
    int                    turn;
    int64_t                delay;
    invsync_shipment_t     s;
    invsync_channel_ctx_t  ctx;
    invsync_channel_rc_e   rc;

    ctx.conf = &c->conf;
    ctx.credentials = c->credentials;
    ctx.now_ms = c->now_ms;

    /* a shipment as the driver reads one, told from the look on; the
     * same answer is given to each step the parse moves to, so that
     * what one step leaves (s.found) is read by the next */
    memset(&s, 0, sizeof(s));
    snprintf(s.id, sizeof(s.id), "shop:1001@wh-a");
    snprintf(s.order_id, sizeof(s.order_id), "1001");
    snprintf(s.location, sizeof(s.location), "wh-a");
    snprintf(s.lines[0].line_id, sizeof(s.lines[0].line_id), "11");
    snprintf(s.lines[0].sku, sizeof(s.lines[0].sku), "MUG");
    s.lines[0].qty = 2;
    s.nlines = 1;
    snprintf(s.carrier, sizeof(s.carrier), "UPS");
    snprintf(s.tracking, sizeof(s.tracking), "1Z999");
    s.shipped_at_ms = c->now_ms;
    s.last = 1;
    s.step = INVSYNC_TRACK_LOOK;

    for (turn = 0; turn < 4; turn++) {
        delay = 0;
        rc = ch->track_parse(&ctx, a, &s, &delay);
        t_verdict(rc, delay, a->why);

        if (rc == INVSYNC_CH_MORE) {
            abort();
        }

        if (s.step == INVSYNC_TRACK_DONE) {
            t_printable(s.ref, sizeof(s.ref), 0);
        }

        if (s.step == INVSYNC_TRACK_REFUSED) {
            t_printable(s.err, sizeof(s.err), 0);
        }

        if (rc != INVSYNC_CH_DONE || s.step == INVSYNC_TRACK_DONE
            || s.step == INVSYNC_TRACK_REFUSED)
        {
            break;
        }
    }

    json_decref(s.found);
}
