
/*
 * libFuzzer target: the answer parsers of the calls beyond stock and
 * orders (fuzz_answers has push, read back, poll and tracking): the
 * channel table's refund_parse (a refund made on the channel, each step),
 * refunds_parse (an order's refunds read back) and disposition_parse (a
 * return's disposition read), the label providers' parse and the 3PLs'
 * find, create, get and cancel parses.  The input:
 *
 *     <op><row><step>status\nName: value\n...\n\nbody
 *
 * op picks the operation (0 refund, 1 refunds, 2 disposition, 3 label,
 * 4 find, 5 create, 6 get, 7 cancel; modulo), row one of the rows that
 * have it (modulo, in table order), step the refund's first step (LOOK,
 * ORDER or CREATE); the status is 100..499 but 429 (others never reach a
 * parse), then header lines (Retry-After and the row's answer_headers),
 * an empty line and the body.  None of these parses reads its context
 * beyond the configuration's presence.
 *
 * Checks besides the sanitizers (LeakSanitizer too): every verdict is in
 * range, a delay within [0, 1 h] and THROTTLED with one, RETRY and every
 * refusal say why in printable UTF-8; a refund keeps what it was given
 * (the part before its step), moves on only with DONE, names its refund
 * when DONE and says why when REFUSED; a refunds read gives an array of
 * {refund_id, refund} only with DONE, a disposition read an object of
 * strings or nothing; a label's and a 3PL order's strings end within
 * their buffers, a label has at most its rates, a 3PL answers DONE or
 * RETRY, a shipped order has its tracking, its items map to strings.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "invsync_channel.h"
#include "invsync_provider.h"
#include "invsync_refund_push.h"


#define T_OPS        8
#define T_WHY_LEN    160                  /* as the engines give */
#define T_DELAY_MAX  3600000              /* INVSYNC_CALL_DELAY_MAX_MS */


typedef struct {
    invsync_answer_t   a;
    char              *hdrs;
    char              *body;
    char               why[T_WHY_LEN];
} t_answer_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static int t_has(size_t op, const invsync_channel_t *ch);
static const invsync_channel_t *t_channel(size_t op, uint8_t b);
static const invsync_provider_t *t_provider(uint8_t b);
static int t_answer(const invsync_channel_t *ch, const uint8_t *p,
    size_t size, t_answer_t *ta);
static void t_printable(const char *s, size_t cap, int empty_ok);
static void t_verdict(invsync_channel_rc_e rc, int64_t delay,
    const char *why);
static void t_refund(const invsync_channel_t *ch, uint8_t step,
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a);
static void t_refunds(const invsync_channel_t *ch,
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a);
static void t_disposition(const invsync_channel_t *ch,
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a);
static void t_label(const invsync_provider_t *p,
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a);
static void t_3pl(size_t op, const invsync_3pl_t *p,
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a);
static void t_ended(const char *s, size_t cap);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                      op, n;
    t_answer_t                  ta;
    const invsync_3pl_t        *tp;
    invsync_channel_ctx_t       ctx;
    invsync_channel_conf_t      conf;
    const invsync_channel_t    *ch;
    const invsync_provider_t   *p;

    if (size < 3) {
        return 0;
    }

    op = data[0] % T_OPS;
    ch = NULL;
    p = NULL;
    tp = NULL;

    if (op <= 2) {
        ch = t_channel(op, data[1]);

    } else if (op == 3) {
        p = t_provider(data[1]);
        ch = p != NULL ? p->call : NULL;

    } else {
        for (n = 0; invsync_3pls[n] != NULL; n++) {
            /* void */
        }

        tp = n > 0 ? invsync_3pls[data[1] % n] : NULL;
        ch = tp != NULL ? invsync_channel_find(tp->type) : NULL;
    }

    if ((ch == NULL && p == NULL) || (op > 3 && tp == NULL)) {
        return 0;
    }

    if (t_answer(ch, data + 3, size - 3, &ta) != 0) {
        return 0;
    }

    memset(&conf, 0, sizeof(conf));
    conf.id = (char *) "fuzz";
    conf.type = (char *) (ch != NULL ? ch->type : "fuzz");
    conf.api_base = (char *) "https://api.example.com";
    ctx.conf = &conf;
    ctx.credentials = "fuzz-token";
    ctx.now_ms = 1795000000000LL;

    switch (op) {
    case 0:
        t_refund(ch, data[2], &ctx, &ta.a);
        break;
    case 1:
        t_refunds(ch, &ctx, &ta.a);
        break;
    case 2:
        t_disposition(ch, &ctx, &ta.a);
        break;
    case 3:
        t_label(p, &ctx, &ta.a);
        break;
    default:
        t_3pl(op, tp, &ctx, &ta.a);
    }

    free(ta.hdrs);
    free(ta.body);

    return 0;
}


/* the b-th (modulo) row of the channel table that has op's parse */
static int
t_has(size_t op, const invsync_channel_t *ch)
{
    return op == 0 ? ch->refund_parse != NULL
           : op == 1 ? ch->refunds_parse != NULL
           : ch->disposition_parse != NULL;
}


static const invsync_channel_t *
t_channel(size_t op, uint8_t b)
{
    size_t  i, n, k;

    n = 0;
    for (i = 0; invsync_channels[i] != NULL; i++) {
        n += t_has(op, invsync_channels[i]);
    }

    if (n == 0) {
        return NULL;
    }

    k = b % n;

    for (i = 0; invsync_channels[i] != NULL; i++) {
        if (t_has(op, invsync_channels[i]) && k-- == 0) {
            return invsync_channels[i];
        }
    }

    return NULL;
}


/* the b-th (modulo) label provider, by the names the table gives */
static const invsync_provider_t *
t_provider(uint8_t b)
{
    char                       names[256], *name, *save;
    size_t                     n;
    const invsync_provider_t  *found[16];

    snprintf(names, sizeof(names), "%s", invsync_provider_names());
    n = 0;

    for (name = strtok_r(names, ", ", &save); name != NULL && n < 16;
         name = strtok_r(NULL, ", ", &save))
    {
        found[n] = invsync_provider_find(name);
        n += found[n] != NULL;
    }

    return n > 0 ? found[b % n] : NULL;
}


static int
t_answer(const invsync_channel_t *ch, const uint8_t *p, size_t size,
    t_answer_t *ta)
{
    char              *s, *line, *next, *colon, *end, *v;
    size_t             i, n, len;
    const char        *blank;
    invsync_answer_t  *a;

    blank = memmem(p, size, "\n\n", 2);
    n = blank != NULL ? (size_t) (blank - (const char *) p) + 1 : size;
    len = blank != NULL ? size - n - 1 : 0;

    memset(ta, 0, sizeof(t_answer_t));
    a = &ta->a;
    ta->hdrs = malloc(n + 1);
    ta->body = malloc(len + 1);

    if (ta->hdrs == NULL || ta->body == NULL) {
        goto refused;
    }

    memcpy(ta->hdrs, p, n);
    ta->hdrs[n] = '\0';
    memcpy(ta->body, p + n + 1 - (blank == NULL), len);
    ta->body[len] = '\0';

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

        for (i = 0; ch != NULL && ch->answer_headers != NULL
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

    free(ta->hdrs);
    free(ta->body);

    return -1;
}


/* s ends within cap and is UTF-8 without a control byte nor DEL */
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
t_ended(const char *s, size_t cap)
{
    if (memchr(s, '\0', cap) == NULL) {
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


/* a refund of two lines and the shipping, told from step on; the same
 * answer given to each step the parse moves to (what a look leaves in
 * r.found is read by the create) */
static void
t_refund(const invsync_channel_t *ch, uint8_t step,
    const invsync_channel_ctx_t *ctx, const invsync_answer_t *a)
{
    int                     turn;
    int64_t                 delay;
    invsync_refund_push_t   r, given;
    invsync_channel_rc_e    rc;
    invsync_refund_step_e   was;

    memset(&r, 0, sizeof(r));
    snprintf(r.cause, sizeof(r.cause), "return:shop:RMA-1:1");
    snprintf(r.order_id, sizeof(r.order_id), "1001");
    snprintf(r.lines[0].line_id, sizeof(r.lines[0].line_id), "11");
    snprintf(r.lines[0].sku, sizeof(r.lines[0].sku), "MUG");
    r.lines[0].qty = 2;
    snprintf(r.lines[1].line_id, sizeof(r.lines[1].line_id), "12");
    snprintf(r.lines[1].sku, sizeof(r.lines[1].sku), "TEE");
    r.lines[1].qty = 1;
    r.nlines = 2;
    r.shipping_minor = 500;
    snprintf(r.currency, sizeof(r.currency), "EUR");
    snprintf(r.reason, sizeof(r.reason), "Returned");
    snprintf(r.note, sizeof(r.note), "RMA-1");
    snprintf(r.ref, sizeof(r.ref), "[invsync:%s]", r.cause);
    memset(r.idempotency, 'a', sizeof(r.idempotency) - 1);
    r.step = (invsync_refund_step_e) (step % (INVSYNC_REFUND_CREATE + 1));
    given = r;

    for (turn = 0; turn < 4; turn++) {
        delay = 0;
        was = r.step;
        rc = ch->refund_parse(ctx, a, &r, &delay);
        t_verdict(rc, delay, a->why);

        if (rc == INVSYNC_CH_MORE
            || memcmp(&r, &given, offsetof(invsync_refund_push_t, step))
               != 0
            || (unsigned) r.step > INVSYNC_REFUND_REFUSED
            || (rc != INVSYNC_CH_DONE && r.step != was))
        {
            abort();
        }

        t_printable(r.refund_id, sizeof(r.refund_id),
                    r.step != INVSYNC_REFUND_DONE);
        t_printable(r.err, sizeof(r.err), r.step != INVSYNC_REFUND_REFUSED);

        if (rc != INVSYNC_CH_DONE || r.step >= INVSYNC_REFUND_DONE) {
            break;
        }
    }

    json_decref(r.found);
}


static void
t_refunds(const invsync_channel_t *ch, const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a)
{
    size_t                 i;
    json_t                *refunds, *rf;
    int64_t                delay;
    invsync_channel_rc_e   rc;

    refunds = NULL;
    delay = 0;
    rc = ch->refunds_parse(ctx, a, &refunds, &delay);
    t_verdict(rc, delay, a->why);

    if (rc == INVSYNC_CH_MORE || (rc == INVSYNC_CH_DONE)
                                 != json_is_array(refunds)
        || (rc != INVSYNC_CH_DONE && refunds != NULL))
    {
        abort();
    }

    json_array_foreach(refunds, i, rf) {
        if (!json_is_string(json_object_get(rf, "refund_id"))
            || json_string_length(json_object_get(rf, "refund_id")) == 0
            || json_object_get(rf, "refund") == NULL)
        {
            abort();
        }
    }

    json_decref(refunds);
}


static void
t_disposition(const invsync_channel_t *ch, const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a)
{
    json_t                *read, *v;
    int64_t                delay;
    const char            *k;
    invsync_channel_rc_e   rc;

    read = NULL;
    delay = 0;
    rc = ch->disposition_parse(ctx, a, &read, &delay);
    t_verdict(rc, delay, a->why);

    if (rc == INVSYNC_CH_MORE || (rc != INVSYNC_CH_DONE && read != NULL)) {
        abort();
    }

    if (read != NULL) {
        if (!json_is_string(json_object_get(read, "return_id"))
            || !json_is_string(json_object_get(read, "order_id"))
            || !json_is_object(json_object_get(read, "lines")))
        {
            abort();
        }

        json_object_foreach(json_object_get(read, "lines"), k, v) {
            if (!json_is_string(v)) {
                abort();
            }
        }
    }

    json_decref(read);
}


static void
t_label(const invsync_provider_t *p, const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a)
{
    size_t                 i;
    invsync_label_t        l;
    invsync_label_rc_e     rc;
    const invsync_rate_t  *rt;

    memset(&l, 0, sizeof(l));
    rc = p->parse(ctx, a, &l);

    if ((unsigned) rc > INVSYNC_LABEL_RETRY || l.nrates > INVSYNC_LABEL_RATES)
    {
        abort();
    }

    t_printable(a->why, T_WHY_LEN, rc != INVSYNC_LABEL_REFUSED
                                   && rc != INVSYNC_LABEL_RETRY);

    t_ended(l.id, sizeof(l.id));
    t_ended(l.tracking, sizeof(l.tracking));
    t_ended(l.label_url, sizeof(l.label_url));
    t_ended(l.tracking_url, sizeof(l.tracking_url));
    t_ended(l.refund_status, sizeof(l.refund_status));

    for (i = 0; i <= l.nrates; i++) {
        rt = (i < l.nrates) ? &l.rates[i] : &l.bought;
        t_ended(rt->id, sizeof(rt->id));
        t_ended(rt->carrier, sizeof(rt->carrier));
        t_ended(rt->service, sizeof(rt->service));
        t_ended(rt->currency, sizeof(rt->currency));
    }
}


static void
t_3pl(size_t op, const invsync_3pl_t *p, const invsync_channel_ctx_t *ctx,
    const invsync_answer_t *a)
{
    json_t                *v;
    const char            *k;
    invsync_3pl_order_t    o;
    invsync_channel_rc_e   rc;

    memset(&o, 0, sizeof(o));

    switch (op) {
    case 4:
        rc = p->find_parse(ctx, a, "woo:727@3pl-us", &o);
        break;
    case 5:
        rc = p->create_parse(ctx, a, &o);
        break;
    case 6:
        rc = p->get_parse(ctx, a, &o);
        break;
    default:
        rc = p->cancel_parse(ctx, a, &o);
    }

    t_verdict(rc, 0, a->why);

    if ((rc != INVSYNC_CH_DONE && rc != INVSYNC_CH_RETRY)
        || (unsigned) o.state > INVSYNC_3PL_REFUSED)
    {
        abort();
    }

    t_ended(o.ref, sizeof(o.ref));
    t_ended(o.carrier, sizeof(o.carrier));
    t_ended(o.service, sizeof(o.service));
    t_ended(o.tracking, sizeof(o.tracking));
    t_ended(o.url, sizeof(o.url));

    if (rc == INVSYNC_CH_DONE && o.state == INVSYNC_3PL_SHIPPED
        && o.tracking[0] == '\0')
    {
        abort();
    }

    if (o.items != NULL && !json_is_object(o.items)) {
        abort();
    }

    json_object_foreach(o.items, k, v) {
        if (!json_is_string(v)) {
            abort();
        }
    }

    json_decref(o.items);
}
