
/*
 * A channel's request on a libcurl multi; see invsync_call.h.  The one
 * place that knows how the answers of every channel's API are to be
 * taken before the channel reads them: a transport error or a 5xx is a
 * retry, 429 (or a 5xx that says when) waits as long as Retry-After says.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "invsync_call.h"


static size_t invsync_call_body(char *ptr, size_t size, size_t n,
    void *data);
static size_t invsync_call_header(char *ptr, size_t size, size_t n,
    void *data);
static void invsync_call_forget(invsync_call_t *c);


void
invsync_call_init(invsync_call_t *c, const invsync_channel_t *ch,
    const invsync_channel_conf_t *cc, const char *credentials)
{
    memset(c, 0, sizeof(invsync_call_t));
    c->ch = ch;
    c->ctx.conf = cc;
    c->ctx.credentials = credentials;
    invsync_request_init(&c->rq, "GET");
}


int
invsync_call_start(invsync_worker_t *w, invsync_call_t *c, size_t max,
    long timeout_ms, invsync_call_done_pt done, void *owner)
{
    size_t  i;

    invsync_call_forget(c);
    c->max = max;
    c->done = done;
    c->owner = owner;

    if (c->ch->authorize != NULL && c->ch->authorize(&c->ctx, &c->rq) != 0) {
        return -1;
    }

    c->headers = curl_slist_append(NULL, "Accept: application/json");

    if (c->headers != NULL && c->rq.body != NULL) {
        c->headers = curl_slist_append(c->headers,
                                       "Content-Type: application/json");
    }

    for (i = 0; c->headers != NULL && i < c->rq.nheaders; i++) {
        c->headers = curl_slist_append(c->headers, c->rq.headers[i]);
    }

    /* the slist holds its own copies: the request's may go now */
    explicit_bzero(c->rq.headers, sizeof(c->rq.headers[0]) * c->rq.nheaders);
    c->rq.nheaders = 0;

    c->easy = c->headers != NULL ? curl_easy_init() : NULL;

    if (c->easy == NULL) {
        curl_slist_free_all(c->headers);
        c->headers = NULL;
        return -1;
    }

    curl_easy_setopt(c->easy, CURLOPT_URL, c->rq.url);

    if (c->rq.body != NULL) {
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->rq.body);

        if (strcmp(c->rq.method, "POST") != 0) {
            curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, c->rq.method);
        }

    } else if (strcmp(c->rq.method, "GET") != 0) {
        /* a POST without a body (a 3PL's cancel) is still a POST */
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, "");

        if (strcmp(c->rq.method, "POST") != 0) {
            curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, c->rq.method);
        }

    } else {
        curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
    }

    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS,
                     timeout_ms > 0 ? timeout_ms : INVSYNC_CALL_TIMEOUT_MS);
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, invsync_call_body);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, invsync_call_header);
    curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, (char *) c);
    curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "invsync/1");

    if (curl_multi_add_handle(w->multi, c->easy) != CURLM_OK) {
        curl_easy_cleanup(c->easy);
        c->easy = NULL;
        return -1;
    }

    c->inflight = 1;

    return 0;
}


int
invsync_calls_step(invsync_worker_t *w)
{
    int              running, left, rc;
    CURLMsg         *msg;
    invsync_call_t  *c;

    if (w->multi == NULL) {
        return 0;
    }

    curl_multi_perform(w->multi, &running);
    rc = 0;

    while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        c = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &c);
        curl_multi_remove_handle(w->multi, msg->easy_handle);

        if (c == NULL || c->done == NULL) {
            continue;
        }

        /* in flight no more: c->easy stays for the answer's status */
        c->inflight = 0;

        if (c->done(w, c, msg->data.result) != 0) {
            rc = -1;
        }
    }

    return rc;
}


int
invsync_calls_wait(invsync_worker_t *w, int timeout_ms)
{
    if (w->multi != NULL) {
        curl_multi_poll(w->multi, NULL, 0, timeout_ms, NULL);
    }

    return invsync_calls_step(w);
}


invsync_channel_rc_e
invsync_call_verdict(invsync_call_t *c, CURLcode code, invsync_answer_t *a,
    int64_t *delay_ms, char *why, size_t len)
{
    size_t   i;
    int64_t  delay;

    memset(a, 0, sizeof(invsync_answer_t));
    a->body = c->body != NULL ? c->body : "";
    a->len = c->len;
    a->retry_after = c->retry_after;

    for (i = 0; i < INVSYNC_ANSWER_HEADERS; i++) {
        /* NULL: present, but longer than kept; a channel must not take a
         * header cut short for an absent one */
        a->headers[i] = c->cut & (1u << i) ? NULL
                        : c->values[i] != NULL ? c->values[i] : "";
    }

    if (code != CURLE_OK) {
        snprintf(why, len, "%s", curl_easy_strerror(code));
        return INVSYNC_CH_RETRY;
    }

    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &a->status);

    if (a->status == 429 || (a->status >= 500 && c->retry_after[0])) {
        delay = invsync_call_retry_after_ms(c->retry_after);
        delay = delay > 0 ? delay : INVSYNC_CALL_THROTTLE_MS;
        *delay_ms = delay < INVSYNC_CALL_DELAY_MAX_MS
                    ? delay : INVSYNC_CALL_DELAY_MAX_MS;
        snprintf(why, len, "HTTP %ld", a->status);
        return INVSYNC_CH_THROTTLED;
    }

    if (a->status >= 500 || a->status < 100) {
        snprintf(why, len, "HTTP %ld", a->status);
        return INVSYNC_CH_RETRY;
    }

    return INVSYNC_CH_DONE;
}


void
invsync_call_release(invsync_worker_t *w, invsync_call_t *c)
{
    if (c->easy != NULL) {
        if (c->inflight && w->multi != NULL) {
            curl_multi_remove_handle(w->multi, c->easy);
        }

        curl_easy_cleanup(c->easy);
        c->easy = NULL;
        c->inflight = 0;
    }

    curl_slist_free_all(c->headers);
    c->headers = NULL;
    invsync_request_free(&c->rq);
    invsync_request_init(&c->rq, "GET");
    invsync_call_forget(c);
}


int64_t
invsync_call_retry_after_ms(const char *v)
{
    char    *end;
    double   s;
    time_t   t, now;

    if (v == NULL || v[0] == '\0') {
        return 0;
    }

    s = strtod(v, &end);

    if (end != v && *end == '\0') {
        if (s <= 0) {
            return 0;
        }

        return s * 1000 < INVSYNC_CALL_DELAY_MAX_MS ? (int64_t) (s * 1000)
                                                    : INVSYNC_CALL_DELAY_MAX_MS;
    }

    /* an HTTP date */
    t = curl_getdate(v, NULL);
    now = time(NULL);

    return t > now ? (int64_t) (t - now) * 1000 : 0;
}


/* a channel's credentials file: one line, its newline removed; owned, or
 * NULL.  The read buffer is wiped. */

char *
invsync_channel_credentials(const char *file)
{
    FILE    *f;
    char     buf[1024], *s;
    size_t   n;

    if (file == NULL) {
        return NULL;
    }

    f = fopen(file, "r");
    if (f == NULL) {
        return NULL;
    }

    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);

    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }

    buf[n] = '\0';
    s = n ? strdup(buf) : NULL;
    explicit_bzero(buf, sizeof(buf));

    return s;
}


/* what invsync_channel_credentials() gave, wiped before it is freed */

void
invsync_channel_credentials_free(char *credentials)
{
    if (credentials != NULL) {
        explicit_bzero(credentials, strlen(credentials));
        free(credentials);
    }
}


/* the last answer and its headers go; the request stays */

static void
invsync_call_forget(invsync_call_t *c)
{
    size_t  i;

    free(c->body);
    c->body = NULL;
    c->len = 0;
    c->retry_after[0] = '\0';
    c->cut = 0;

    for (i = 0; i < INVSYNC_ANSWER_HEADERS; i++) {
        free(c->values[i]);
        c->values[i] = NULL;
    }
}


/* CURLOPT_WRITEFUNCTION: at most c->max bytes, else the transfer fails */

static size_t
invsync_call_body(char *ptr, size_t size, size_t n, void *data)
{
    char            *p;
    size_t           len;
    invsync_call_t  *c = data;

    len = size * n;

    if (c->len + len > c->max) {
        return 0;   /* curl ends the transfer: CURLE_WRITE_ERROR */
    }

    p = realloc(c->body, c->len + len + 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p + c->len, ptr, len);
    c->body = p;
    c->len += len;
    c->body[c->len] = '\0';

    return len;
}


/* CURLOPT_HEADERFUNCTION: Retry-After and the channel's answer_headers */

static size_t
invsync_call_header(char *ptr, size_t size, size_t n, void *data)
{
    size_t            len, name, i, k;
    const char       *want;
    invsync_call_t   *c = data;

    len = size * n;

    for (name = 0; name < len && ptr[name] != ':'; name++) {
        /* void */
    }

    if (name == len) {
        return len;
    }

    for (k = name + 1; k < len && (ptr[k] == ' ' || ptr[k] == '\t'); k++) {
        /* void */
    }

    if (name == 11 && strncasecmp(ptr, "Retry-After", 11) == 0) {
        snprintf(c->retry_after, sizeof(c->retry_after), "%.*s",
                 (int) (len - k), ptr + k);
        c->retry_after[strcspn(c->retry_after, "\r\n")] = '\0';
        return len;
    }

    for (i = 0; c->ch->answer_headers != NULL && i < INVSYNC_ANSWER_HEADERS;
         i++)
    {
        want = c->ch->answer_headers[i];

        if (want == NULL) {
            break;
        }

        if (strlen(want) != name || strncasecmp(ptr, want, name) != 0) {
            continue;
        }

        free(c->values[i]);
        c->values[i] = NULL;

        if (len - k > INVSYNC_CALL_HEADER_MAX) {
            c->cut |= 1u << i;
            break;
        }

        c->values[i] = strndup(ptr + k, len - k);

        if (c->values[i] == NULL) {
            c->cut |= 1u << i;
            break;
        }

        c->values[i][strcspn(c->values[i], "\r\n")] = '\0';
        c->cut &= ~(1u << i);
        break;
    }

    return len;
}


int64_t
invsync_backoff_ms(int64_t base_ms, unsigned n, unsigned max_shift,
    int64_t max_ms)
{
    int64_t  d;

    d = base_ms << (n < max_shift ? n : max_shift);

    if (max_ms > 0 && d > max_ms) {
        d = max_ms;
    }

    return d / 2 + random() % (d / 2 + 1);
}


int
invsync_attempt_failed(invsync_worker_t *w, const char *key, const char *why,
    long long *attempts)
{
    redisReply  *r;

    r = invsync_redis_cmdv(w, (const char *[]) { "HINCRBY", key, "attempts",
                           "1", NULL });
    if (r == NULL) {
        return -1;
    }

    *attempts = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
    freeReplyObject(r);

    r = invsync_redis_cmdv(w, (const char *[]) { "HSET", key, "last_error",
                           why, NULL });
    if (r == NULL) {
        return -1;
    }

    freeReplyObject(r);

    return 0;
}
