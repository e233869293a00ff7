
/*
 * The order backfill poller: every poll_s seconds per channel, the orders
 * the channel changed since its mark are fetched from its API and added
 * to <prefix>:orders as envelopes like the module's, so that an order
 * whose webhook was lost (WooCommerce never retries; Shopify may be a day
 * late) is still applied.  Effects are keyed by order and version, so a
 * webhook and a poll of the same version are one effect.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "invsync_runtime.h"


#define INVSYNC_KEY_LEN          512
#define INVSYNC_POLL_TIMEOUT_MS  5000
#define INVSYNC_POLL_RESP_MAX    (32 * 1024 * 1024)
#define INVSYNC_POLL_OVERLAP_MS  60000   /* clock skew, same-second edits */
#define INVSYNC_POLL_MAX_PAGES   100
#define INVSYNC_POLL_POLLED_TTL  "86400"
#define INVSYNC_POLL_URL_LEN     4096
#define INVSYNC_POLL_ID_LEN      64
#define INVSYNC_POLL_SHOPIFY_API "/admin/api/2026-04/orders.json"
#define INVSYNC_POLL_WOO_API     "/wp-json/wc/v3/orders"


typedef enum {
    INVSYNC_POLL_SHOPIFY = 0,
    INVSYNC_POLL_WOOCOMMERCE
} invsync_poll_kind_e;


typedef struct {
    const invsync_channel_conf_t  *conf;        /* borrowed from w->conf */
    invsync_poll_kind_e            kind;
    char                          *credentials; /* owned, wiped on free */
    char                           account[256];
    int64_t                        next_ms;
    int                            failures;
} invsync_pollchan_t;


/* one answer; reset before each request */
typedef struct {
    invsync_http_answer_t          answer;      /* body, Retry-After */
    char                           link[INVSYNC_POLL_URL_LEN * 2];
    int                            link_too_long;
    long                           total_pages; /* X-WP-TotalPages, or -1 */
    long                           calls_used;  /* Shopify REST bucket */
    long                           calls_max;
} invsync_poll_resp_t;


typedef struct invsync_poll_s {
    CURL                          *easy;        /* reused: keeps connections */
    invsync_poll_resp_t            resp;
    int64_t                        next_ms;     /* the soonest channel's */
    invsync_pollchan_t             chans[INVSYNC_MAX_CHANNELS];
    size_t                         nchans;
} invsync_poll_t;


/* what one round found */
typedef struct {
    int64_t                        newest_ms;   /* -1: no order seen */
    long                           seen;
    long                           added;
    long                           pages;
    int                            incomplete;  /* an order not added */
} invsync_poll_round_t;


static int invsync_poll_channel(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t now);
static int invsync_poll_fetch(invsync_worker_t *w, invsync_pollchan_t *pc,
    const char *url, long *status, char *err, size_t len);
static int invsync_poll_page(invsync_worker_t *w, invsync_pollchan_t *pc,
    json_t *orders, invsync_poll_round_t *rd);
static int invsync_poll_order(invsync_worker_t *w, invsync_pollchan_t *pc,
    json_t *order, invsync_poll_round_t *rd);
static void invsync_poll_failed(invsync_pollchan_t *pc, const char *why,
    long status, const char *err, long page);
static int invsync_poll_delay(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t delay_ms);
static int invsync_poll_link_next(const invsync_poll_resp_t *resp,
    const char *base, char *dst, size_t cap);
static int invsync_poll_token(const char *s);
static void invsync_poll_iso(int64_t ms, int frac, char *dst, size_t cap);
static void invsync_poll_account(invsync_pollchan_t *pc);
static size_t invsync_poll_header(char *ptr, size_t size, size_t n,
    void *data);


/* the poller of every channel with poll_s; w->poll NULL when none has */

int
invsync_poll_init(invsync_worker_t *w, char *err, size_t len)
{
    size_t                         i;
    invsync_poll_t                *p;
    invsync_pollchan_t            *pc;
    const invsync_channel_conf_t  *cc;

    w->poll = NULL;
    p = NULL;

    for (i = 0; i < w->conf->nchannels; i++) {
        cc = &w->conf->channels[i];

        /* the configuration checked type, api_base and credentials */
        if (cc->poll_s == 0) {
            continue;
        }

        if (p == NULL) {
            p = calloc(1, sizeof(invsync_poll_t));
            if (p == NULL) {
                snprintf(err, len, "out of memory");
                return -1;
            }
        }

        pc = &p->chans[p->nchans++];
        pc->conf = cc;
        pc->kind = strcmp(cc->type, "shopify") == 0
                   ? INVSYNC_POLL_SHOPIFY : INVSYNC_POLL_WOOCOMMERCE;
        pc->credentials = invsync_channel_credentials(cc->credentials_file);
        pc->next_ms = 0;
        invsync_poll_account(pc);

        if (pc->credentials == NULL) {
            w->poll = p;
            invsync_poll_free(w);
            snprintf(err, len, "channel \"%s\": \"credentials_file\" "
                     "cannot be read", cc->id);
            return -1;
        }
    }

    w->poll = p;

    return 0;
}


void
invsync_poll_free(invsync_worker_t *w)
{
    size_t           i;
    invsync_poll_t  *p = w->poll;

    if (p == NULL) {
        return;
    }

    for (i = 0; i < p->nchans; i++) {
        if (p->chans[i].credentials != NULL) {
            explicit_bzero(p->chans[i].credentials,
                           strlen(p->chans[i].credentials));
            free(p->chans[i].credentials);
        }
    }

    if (p->easy != NULL) {
        curl_easy_cleanup(p->easy);
    }

    invsync_http_answer_reset(&p->resp.answer, 0);
    free(p);
    w->poll = NULL;
}


/*
 * One turn of the worker's loop: the channels that are due poll, each a
 * whole round (blocking, pages of at most 5 s each).  -1 when the Redis
 * session was lost.
 */

int
invsync_poll_step(invsync_worker_t *w)
{
    size_t               i;
    int64_t              now;
    invsync_poll_t      *p = w->poll;
    invsync_pollchan_t  *pc;

    if (p == NULL || w->redis == NULL) {
        return 0;
    }

    now = invsync_now_ms();

    if (now < p->next_ms) {
        return 0;
    }

    for (i = 0; i < p->nchans; i++) {
        pc = &p->chans[i];

        if (now >= pc->next_ms
            && invsync_poll_channel(w, pc, invsync_now_ms()) != 0)
        {
            return -1;
        }
    }

    p->next_ms = INT64_MAX;

    for (i = 0; i < p->nchans; i++) {
        if (p->chans[i].next_ms < p->next_ms) {
            p->next_ms = p->chans[i].next_ms;
        }
    }

    return 0;
}


/*
 * One round for one channel: the orders changed since the mark, page by
 * page, each new version added to the stream; the mark moves only after
 * the last page, so an interrupted round is done again (the polled keys
 * keep it from adding the same versions twice).  Several workers take
 * turns through a lock that lasts most of the interval.
 */

static int
invsync_poll_channel(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t now)
{
    int                    rc;
    char                   lock[INVSYNC_KEY_LEN], mark[INVSYNC_KEY_LEN];
    char                   url[INVSYNC_POLL_URL_LEN], since[64], ttl[32];
    char                   err[CURL_ERROR_SIZE + 64];
    long                   status, page;
    size_t                 blen;
    json_t                *doc, *orders;
    int64_t                mark_ms, since_ms, interval, delay;
    redisReply            *r;
    invsync_poll_resp_t   *resp;
    invsync_poll_round_t   rd;

    interval = pc->conf->poll_s * 1000;
    pc->next_ms = now + interval;
    resp = &w->poll->resp;

    invsync_key(lock, sizeof(lock), w->conf, "polling:%s", pc->conf->id);
    snprintf(ttl, sizeof(ttl), "%lld", (long long) (interval * 9 / 10));

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", lock,
                                               w->conf->consumer, "NX", "PX",
                                               ttl, NULL });
    if (r == NULL) {
        return -1;
    }

    rc = r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);

    if (!rc) {
        /* another worker polls this channel this time */
        return 0;
    }

    invsync_key(mark, sizeof(mark), w->conf, "pollmark:%s", pc->conf->id);

    r = invsync_redis_cmdv(w, (const char *[]) { "GET", mark, NULL });
    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_STRING
        && invsync_time_iso_ms(r->str, &mark_ms) == 0)
    {
        since_ms = mark_ms - INVSYNC_POLL_OVERLAP_MS;

    } else {
        mark_ms = -1;
        since_ms = now - pc->conf->poll_since_s * 1000;
    }

    freeReplyObject(r);

    /* "YYYY-MM-DDTHH:MM:SSZ" needs no escaping in a query */
    invsync_poll_iso(since_ms, 0, since, sizeof(since));

    blen = invsync_http_base_len(pc->conf->api_base);

    if (pc->kind == INVSYNC_POLL_SHOPIFY) {
        snprintf(url, sizeof(url), "%.*s%s?status=any&limit=250"
                 "&updated_at_min=%s", (int) blen, pc->conf->api_base,
                 INVSYNC_POLL_SHOPIFY_API, since);
    }

    rd.newest_ms = -1;
    rd.seen = 0;
    rd.added = 0;
    rd.pages = 0;
    rd.incomplete = 0;

    for (page = 1; /* void */ ; page++) {

        if (page > INVSYNC_POLL_MAX_PAGES) {
            /* the mark stays: the next round starts over */
            invsync_poll_failed(pc, "too many pages", 0, "", page);
            break;
        }

        if (pc->kind == INVSYNC_POLL_WOOCOMMERCE) {
            snprintf(url, sizeof(url), "%.*s%s?modified_after=%s"
                     "&dates_are_gmt=true&per_page=100&page=%ld"
                     "&orderby=id&order=asc", (int) blen, pc->conf->api_base,
                     INVSYNC_POLL_WOO_API, since, page);
        }

        err[0] = '\0';

        if (invsync_poll_fetch(w, pc, url, &status, err, sizeof(err)) != 0) {
            invsync_poll_failed(pc, "request failed", status, err, page);
            break;
        }

        if (status == 429
            || (status >= 500 && resp->answer.retry_after[0]))
        {
            delay = (int64_t) (strtod(resp->answer.retry_after, NULL)
                               * 1000);
            delay = delay > 0 ? delay : 2000;

            invsync_log(INVSYNC_LOG_WARN, "order poll throttled",
                        json_pack("{s:s, s:i, s:I, s:i}",
                                  "channel", pc->conf->id,
                                  "http_status", (int) status,
                                  "delay_ms", (json_int_t) delay,
                                  "page", (int) page));

            if (invsync_poll_delay(w, pc, delay) != 0) {
                return -1;
            }

            break;
        }

        if (status != 200) {
            invsync_poll_failed(pc, "unexpected answer", status, "",
                                page);
            break;
        }

        doc = json_loadb(resp->answer.body ? resp->answer.body : "",
                         resp->answer.len, 0, NULL);
        orders = pc->kind == INVSYNC_POLL_SHOPIFY
                 ? json_object_get(doc, "orders") : doc;

        if (!json_is_array(orders)) {
            json_decref(doc);
            invsync_poll_failed(pc, "answer is not a list of orders",
                                status, "", page);
            break;
        }

        rd.pages++;
        rc = invsync_poll_page(w, pc, orders, &rd);
        json_decref(doc);

        if (rc != 0) {
            return -1;
        }

        if (pc->kind == INVSYNC_POLL_WOOCOMMERCE) {
            if (resp->total_pages > page) {
                continue;
            }

        } else {
            rc = invsync_poll_link_next(resp, pc->conf->api_base, url,
                                        sizeof(url));

            if (rc < 0) {
                /* pages left that cannot be read: the mark stays */
                invsync_poll_failed(pc, "unusable next page link", status,
                                    "", page);
                break;
            }

            if (rc > 0) {
                /* a nearly full REST bucket: the rest after a leak */
                if (resp->calls_max > 0
                    && resp->calls_used >= resp->calls_max - 1)
                {
                    invsync_log(INVSYNC_LOG_INFO, "order poll paused: the "
                                "API call bucket is full",
                                json_pack("{s:s, s:i}", "channel",
                                          pc->conf->id, "page", (int) page));

                    if (invsync_poll_delay(w, pc, 1000) != 0) {
                        return -1;
                    }

                    break;
                }

                continue;
            }
        }

        /* the whole window was read and added: the mark may move */
        if (!rd.incomplete && (rd.newest_ms > mark_ms || mark_ms < 0)) {
            invsync_poll_iso(rd.newest_ms > mark_ms ? rd.newest_ms
                                                    : since_ms,
                             1, since, sizeof(since));

            r = invsync_redis_cmdv(w, (const char *[]) { "SET", mark,
                                                       since, NULL });
            if (r == NULL) {
                return -1;
            }

            freeReplyObject(r);
        }

        if (pc->failures > 0) {
            invsync_log(INVSYNC_LOG_INFO, "order poll recovered",
                        json_pack("{s:s, s:i}", "channel", pc->conf->id,
                                  "failures", pc->failures));
            pc->failures = 0;
        }

        invsync_log(rd.added ? INVSYNC_LOG_INFO : INVSYNC_LOG_DEBUG,
                    "orders polled",
                    json_pack("{s:s, s:I, s:I, s:I}",
                              "channel", pc->conf->id,
                              "pages", (json_int_t) rd.pages,
                              "seen", (json_int_t) rd.seen,
                              "added", (json_int_t) rd.added));
        break;
    }

    return w->redis ? 0 : -1;
}


/* a blocking GET; 0 with *status, or -1 with err (nothing logged here) */

static int
invsync_poll_fetch(invsync_worker_t *w, invsync_pollchan_t *pc,
    const char *url, long *status, char *err, size_t len)
{
    char                  hdr[1100];
    CURLcode              code;
    struct curl_slist    *headers;
    invsync_poll_resp_t  *resp;

    *status = 0;
    resp = &w->poll->resp;

    invsync_http_answer_reset(&resp->answer, INVSYNC_POLL_RESP_MAX);
    resp->link[0] = '\0';
    resp->link_too_long = 0;
    resp->total_pages = -1;
    resp->calls_used = -1;
    resp->calls_max = -1;

    if (w->poll->easy == NULL) {
        w->poll->easy = curl_easy_init();

        if (w->poll->easy == NULL) {
            snprintf(err, len, "curl_easy_init() failed");
            return -1;
        }

    } else {
        /* options go, connections stay */
        curl_easy_reset(w->poll->easy);
    }

    headers = curl_slist_append(NULL, "Accept: application/json");

    if (pc->kind == INVSYNC_POLL_SHOPIFY) {
        snprintf(hdr, sizeof(hdr), "X-Shopify-Access-Token: %s",
                 pc->credentials);
        headers = curl_slist_append(headers, hdr);
        explicit_bzero(hdr, sizeof(hdr));

    } else {
        curl_easy_setopt(w->poll->easy, CURLOPT_HTTPAUTH,
                         (long) CURLAUTH_BASIC);
        curl_easy_setopt(w->poll->easy, CURLOPT_USERPWD, pc->credentials);
    }

    curl_easy_setopt(w->poll->easy, CURLOPT_URL, url);
    curl_easy_setopt(w->poll->easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(w->poll->easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(w->poll->easy, CURLOPT_TIMEOUT_MS,
                     (long) INVSYNC_POLL_TIMEOUT_MS);
    curl_easy_setopt(w->poll->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->poll->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(w->poll->easy, CURLOPT_WRITEFUNCTION,
                     invsync_http_body);
    curl_easy_setopt(w->poll->easy, CURLOPT_WRITEDATA, &resp->answer);
    curl_easy_setopt(w->poll->easy, CURLOPT_HEADERFUNCTION,
                     invsync_poll_header);
    curl_easy_setopt(w->poll->easy, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(w->poll->easy, CURLOPT_USERAGENT, "invsync/1");

    code = curl_easy_perform(w->poll->easy);

    /* the handle must not keep pointers to what is freed now */
    curl_easy_setopt(w->poll->easy, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(w->poll->easy, CURLOPT_USERPWD, NULL);
    curl_slist_free_all(headers);

    if (code != CURLE_OK) {
        snprintf(err, len, "%s", curl_easy_strerror(code));
        return -1;
    }

    curl_easy_getinfo(w->poll->easy, CURLINFO_RESPONSE_CODE, status);

    return 0;
}


static int
invsync_poll_page(invsync_worker_t *w, invsync_pollchan_t *pc,
    json_t *orders, invsync_poll_round_t *rd)
{
    size_t   i;
    json_t  *order;

    json_array_foreach(orders, i, order) {
        if (invsync_poll_order(w, pc, order, rd) != 0) {
            return -1;
        }
    }

    return 0;
}


/*
 * One order: unless this version was added already (K polled:<channel>:
 * <id>), an envelope like the module's goes to <prefix>:orders, with the
 * event "poll:<id>:<updated>" so that the same version polled twice is one
 * event.  The polled key is written after the XADD: a crash between them
 * only adds the version again, which the actions take as a duplicate.
 */

static int
invsync_poll_order(invsync_worker_t *w, invsync_pollchan_t *pc,
    json_t *order, invsync_poll_round_t *rd)
{
    char         id[INVSYNC_POLL_ID_LEN], stream[INVSYNC_KEY_LEN];
    char         key[INVSYNC_KEY_LEN], event[INVSYNC_POLL_ID_LEN + 80];
    char         received[32], *body;
    size_t       i, n, argvlen[19];
    json_t      *jid;
    int64_t      ms;
    const char  *updated, *argv[19], *topic;
    redisReply  *r;

    jid = json_object_get(order, "id");
    updated = json_string_value(json_object_get(order,
                  pc->kind == INVSYNC_POLL_SHOPIFY ? "updated_at"
                                                   : "date_modified_gmt"));

    if (json_is_integer(jid)) {
        snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(jid));

    } else if (json_is_string(jid)
               && json_string_length(jid) < sizeof(id))
    {
        snprintf(id, sizeof(id), "%s", json_string_value(jid));

    } else {
        id[0] = '\0';
    }

    /* id and version become parts of keys and of the event id */
    if (!invsync_poll_token(id) || updated == NULL
        || strlen(updated) > 64 || !invsync_poll_token(updated)
        || invsync_time_iso_ms(updated, &ms) != 0)
    {
        invsync_log(INVSYNC_LOG_WARN, "polled order skipped: no usable id "
                    "or modification time",
                    json_pack("{s:s, s:s}", "channel", pc->conf->id,
                              "order", invsync_poll_token(id) ? id : "?"));
        return 0;
    }

    rd->seen++;

    if (ms > rd->newest_ms) {
        rd->newest_ms = ms;
    }

    invsync_key(key, sizeof(key), w->conf, "polled:%s:%s", pc->conf->id, id);

    r = invsync_redis_cmdv(w, (const char *[]) { "GET", key, NULL });
    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_STRING && strcmp(r->str, updated) == 0) {
        freeReplyObject(r);
        return 0;
    }

    freeReplyObject(r);

    body = json_dumps(order, JSON_COMPACT);
    if (body == NULL) {
        rd->incomplete = 1;
        return 0;
    }

    snprintf(stream, sizeof(stream), "%s:orders", w->conf->prefix);
    snprintf(event, sizeof(event), "poll:%s:%s", id, updated);
    snprintf(received, sizeof(received), "%lld",
             (long long) invsync_now_ms());
    topic = pc->kind == INVSYNC_POLL_SHOPIFY ? "orders/updated"
                                             : "order.updated";

    i = 0;
    argv[i++] = "XADD";
    argv[i++] = stream;
    argv[i++] = "*";
    argv[i++] = "v";
    argv[i++] = "1";
    argv[i++] = "channel";
    argv[i++] = pc->conf->id;
    argv[i++] = "scheme";
    argv[i++] = pc->conf->type;
    argv[i++] = "account";
    argv[i++] = pc->account;
    argv[i++] = "topic";
    argv[i++] = topic;
    argv[i++] = "event";
    argv[i++] = event;
    argv[i++] = "received";
    argv[i++] = received;
    argv[i++] = "body";
    argv[i++] = body;          /* JSON escapes NUL: strlen() is its length */

    for (n = 0; n < i; n++) {
        argvlen[n] = strlen(argv[n]);
    }

    r = invsync_redis_cmd(w, (int) i, argv, argvlen);
    free(body);

    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_STRING) {
        invsync_log(INVSYNC_LOG_ERROR, "polled order not added",
                    json_pack("{s:s, s:s, s:s, s:s}", "channel",
                              pc->conf->id, "order", id, "stream", stream,
                              "err", r->type == REDIS_REPLY_ERROR
                                     ? r->str : "unexpected reply"));
        freeReplyObject(r);
        rd->incomplete = 1;
        return 0;
    }

    freeReplyObject(r);
    rd->added++;

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", key, updated, "EX",
                                               INVSYNC_POLL_POLLED_TTL,
                                               NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/* one log line per failure; later rounds back off up to 5 minutes */

static void
invsync_poll_failed(invsync_pollchan_t *pc, const char *why, long status,
    const char *err, long page)
{
    int      shift;
    int64_t  delay, cap;

    pc->failures++;

    shift = pc->failures - 1 < 6 ? pc->failures - 1 : 6;
    delay = (pc->conf->poll_s * 1000) << shift;
    cap = pc->conf->poll_s * 1000 > 300000 ? pc->conf->poll_s * 1000
                                           : 300000;
    delay = delay < cap ? delay : cap;
    pc->next_ms = invsync_now_ms() + delay;

    invsync_log(INVSYNC_LOG_WARN, "order poll failed",
                json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:I}",
                          "channel", pc->conf->id, "why", why,
                          "http_status", (int) status, "err", err,
                          "page", (int) page, "failures", pc->failures,
                          "delay_ms", (json_int_t) delay));
}


/* the channel asked to wait: this worker and, through the lock, others */

static int
invsync_poll_delay(invsync_worker_t *w, invsync_pollchan_t *pc,
    int64_t delay_ms)
{
    char         lock[INVSYNC_KEY_LEN], ttl[32];
    redisReply  *r;

    if (delay_ms > 3600000) {
        delay_ms = 3600000;
    }

    pc->next_ms = invsync_now_ms() + delay_ms;

    invsync_key(lock, sizeof(lock), w->conf, "polling:%s", pc->conf->id);
    snprintf(ttl, sizeof(ttl), "%lld", (long long) delay_ms);

    r = invsync_redis_cmdv(w, (const char *[]) { "SET", lock,
                                               w->conf->consumer, "PX", ttl,
                                               NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


/*
 * The rel="next" URL of the Link header into dst: 1, 0 when there is no
 * next page, -1 when there is one that cannot be followed: too long, or
 * not on the channel's api_base (the access token goes with the request).
 */

static int
invsync_poll_link_next(const invsync_poll_resp_t *resp, const char *base,
    char *dst, size_t cap)
{
    size_t       blen, ulen;
    const char  *p, *lt, *gt, *end;

    if (resp->link_too_long) {
        return -1;
    }

    blen = invsync_http_base_len(base);

    for (p = resp->link; (lt = strchr(p, '<')) != NULL; p = gt + 1) {
        gt = strchr(lt, '>');
        if (gt == NULL) {
            return -1;
        }

        end = strchr(gt, '<');
        if (end == NULL) {
            end = gt + strlen(gt);
        }

        if (memmem(gt, end - gt, "rel=\"next\"", 10) == NULL
            && memmem(gt, end - gt, "rel=next", 8) == NULL)
        {
            continue;
        }

        ulen = gt - lt - 1;

        if (ulen >= cap || ulen <= blen || strncmp(lt + 1, base, blen) != 0
            || lt[1 + blen] != '/')
        {
            return -1;
        }

        memcpy(dst, lt + 1, ulen);
        dst[ulen] = '\0';

        return 1;
    }

    return 0;
}


/* printable ASCII without blanks: safe in a key and in the event id */

static int
invsync_poll_token(const char *s)
{
    if (*s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s; s++) {
        if (*s <= 0x20 || *s >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* Unix ms as "YYYY-MM-DDTHH:MM:SSZ", or with ".mmm" when frac */

static void
invsync_poll_iso(int64_t ms, int frac, char *dst, size_t cap)
{
    char       buf[32];
    time_t     sec;
    struct tm  tm;

    if (ms < 0) {
        ms = 0;
    }

    sec = (time_t) (ms / 1000);
    gmtime_r(&sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);

    if (frac) {
        snprintf(dst, cap, "%s.%03dZ", buf, (int) (ms % 1000));

    } else {
        snprintf(dst, cap, "%sZ", buf);
    }
}


/*
 * The envelope's account, as the module would have it: Shopify's shop
 * domain (the host of api_base), WooCommerce's source URL (with "/").
 */

static void
invsync_poll_account(invsync_pollchan_t *pc)
{
    size_t       n;
    const char  *host, *end;

    if (pc->kind == INVSYNC_POLL_WOOCOMMERCE) {
        n = invsync_http_base_len(pc->conf->api_base);
        snprintf(pc->account, sizeof(pc->account), "%.*s/", (int) n,
                 pc->conf->api_base);
        return;
    }

    host = strstr(pc->conf->api_base, "://");
    host = host ? host + 3 : pc->conf->api_base;
    end = strchr(host, '/');
    n = end ? (size_t) (end - host) : strlen(host);

    snprintf(pc->account, sizeof(pc->account), "%.*s", (int) n, host);
}


static size_t
invsync_poll_header(char *ptr, size_t size, size_t n, void *data)
{
    long                  used, max;
    char                  line[INVSYNC_POLL_URL_LEN * 2], *v;
    size_t                len;
    invsync_poll_resp_t  *resp = data;

    len = size * n;

    if (len >= sizeof(line)) {
        /* a Link cut short would end the round as if it were complete */
        if (len > 5 && strncasecmp(ptr, "Link:", 5) == 0) {
            resp->link_too_long = 1;
        }

        return len;
    }

    memcpy(line, ptr, len);
    line[len] = '\0';
    line[strcspn(line, "\r\n")] = '\0';

    v = strchr(line, ':');
    if (v == NULL) {
        return len;
    }

    *v++ = '\0';
    v += strspn(v, " \t");

    if (strcasecmp(line, "Link") == 0) {
        snprintf(resp->link, sizeof(resp->link), "%s", v);

    } else if (strcasecmp(line, "Retry-After") == 0) {
        invsync_http_set_retry_after(&resp->answer, v, strlen(v));

    } else if (strcasecmp(line, "X-WP-TotalPages") == 0) {
        resp->total_pages = strtol(v, NULL, 10);

    } else if (strcasecmp(line, "X-Shopify-Shop-Api-Call-Limit") == 0
               && sscanf(v, "%ld/%ld", &used, &max) == 2)
    {
        resp->calls_used = used;
        resp->calls_max = max;
    }

    return len;
}
