
/*
 * The console's session: a random cookie the console sets, and its CSRF
 * token, HMAC-SHA256 under a key drawn when the configuration is read
 * (so every worker process of it has the same) of the cookie and the
 * operator's name.  An action must present the token in X-Invsync-Csrf;
 * it is compared in constant time.
 */


#include <openssl/rand.h>

#include "ngx_http_invsync_console.h"


#define NGX_HTTP_INVSYNC_CONSOLE_SESSION  64        /* hex of 32 bytes */


static ngx_int_t ngx_http_invsync_console_cookie(ngx_http_request_t *r,
    ngx_str_t *session);
static ngx_int_t ngx_http_invsync_console_new_session(ngx_http_request_t *r,
    ngx_str_t *session);
static ngx_int_t ngx_http_invsync_console_operator(ngx_http_request_t *r,
    ngx_str_t *by);
static void ngx_http_invsync_console_token(ngx_http_request_t *r,
    ngx_str_t *session, ngx_str_t *by, u_char *hex);


static ngx_str_t  ngx_http_invsync_console_cookie_name =
    ngx_string("invsync_console");


/*
 * The page (page = 1) or api/session: a new session cookie when the
 * request has none, and for api/session the operator and the token.
 */

ngx_int_t
ngx_http_invsync_console_session(ngx_http_request_t *r, ngx_uint_t page)
{
    u_char                                  hex[64];
    ngx_str_t                               session, by;
    const ngx_http_invsync_console_blob_t  *b;

    if (ngx_http_invsync_console_cookie(r, &session) != NGX_OK
        && ngx_http_invsync_console_new_session(r, &session) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (page) {
        b = ngx_http_invsync_console_blob("index.html");
        if (b == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_invsync_console_send(r, NGX_HTTP_OK,
                                             "text/html; charset=utf-8",
                                             b->data, b->len);
    }

    if (ngx_http_invsync_console_operator(r, &by) != NGX_OK) {
        return ngx_http_invsync_console_json(r, NGX_HTTP_OK,
                   json_pack("{s:n, s:n, s:s}", "operator", "csrf", "note",
                             "no operator name: actions are refused "
                             "(see docs/console.md)"));
    }

    ngx_http_invsync_console_token(r, &session, &by, hex);

    return ngx_http_invsync_console_json(r, NGX_HTTP_OK,
               json_pack("{s:s%, s:s%}", "operator", by.data, by.len,
                         "csrf", hex, sizeof(hex)));
}


/* the request's session cookie: NGX_OK when it holds a well-formed one */

static ngx_int_t
ngx_http_invsync_console_cookie(ngx_http_request_t *r, ngx_str_t *session)
{
    ngx_uint_t  i;

#if (nginx_version >= 1023000)
    if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie,
                                          &ngx_http_invsync_console_cookie_name,
                                          session)
        == NULL)
    {
        return NGX_DECLINED;
    }
#else
    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies,
                                          &ngx_http_invsync_console_cookie_name,
                                          session)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }
#endif

    if (session->len != NGX_HTTP_INVSYNC_CONSOLE_SESSION) {
        return NGX_DECLINED;
    }

    for (i = 0; i < session->len; i++) {
        if (!((session->data[i] >= '0' && session->data[i] <= '9')
              || (session->data[i] >= 'a' && session->data[i] <= 'f')))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_invsync_console_new_session(ngx_http_request_t *r,
    ngx_str_t *session)
{
    u_char                    *p, raw[32];
    ngx_table_elt_t           *h;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, sizeof("invsync_console=; Path=; HttpOnly; "
                                    "SameSite=Strict; Secure")
                             + NGX_HTTP_INVSYNC_CONSOLE_SESSION
                             + clcf->name.len);
    h = ngx_list_push(&r->headers_out.headers);

    if (p == NULL || h == NULL) {
        return NGX_ERROR;
    }

    session->data = p + sizeof("invsync_console=") - 1;
    session->len = NGX_HTTP_INVSYNC_CONSOLE_SESSION;

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    p = ngx_cpymem(p, "invsync_console=", sizeof("invsync_console=") - 1);
    p += invsync_hex_encode(p, raw, sizeof(raw));
    p = ngx_sprintf(p, "; Path=%V; HttpOnly; SameSite=Strict", &clcf->name);

#if (NGX_HTTP_SSL)
    if (r->connection->ssl != NULL) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }
#endif

    h->value.len = p - h->value.data;
    ngx_explicit_memzero(raw, sizeof(raw));

    return NGX_OK;
}


/*
 * Who acts: invsync_console_operator, 1 to 64 bytes without control
 * characters.  There is no default: $remote_user alone is whatever an
 * Authorization header says when no auth_basic checks it, so the
 * configuration names where the name comes from.
 */

static ngx_int_t
ngx_http_invsync_console_operator(ngx_http_request_t *r, ngx_str_t *by)
{
    ngx_uint_t                    i;
    ngx_http_invsync_loc_conf_t  *ilcf;

    ilcf = ngx_http_get_module_loc_conf(r, ngx_http_invsync_module);

    if (ilcf->console_operator == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_http_complex_value(r, ilcf->console_operator, by) != NGX_OK) {
        return NGX_ERROR;
    }

    if (by->len == 0 || by->len > 64) {
        return NGX_DECLINED;
    }

    for (i = 0; i < by->len; i++) {
        if (by->data[i] < 0x20 || by->data[i] == 0x7f) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static void
ngx_http_invsync_console_token(ngx_http_request_t *r, ngx_str_t *session,
    ngx_str_t *by, u_char *hex)
{
    u_char                         mac[32];
    invsync_str_t                  parts[3];
    ngx_http_invsync_main_conf_t  *imcf;

    imcf = ngx_http_get_module_main_conf(r, ngx_http_invsync_module);

    /* the NUL of the label keeps the parts apart; the session is fixed
     * length, so the operator's name cannot shift into it */
    parts[0].data = (const unsigned char *) "invsync console csrf 1";
    parts[0].len = sizeof("invsync console csrf 1");
    parts[1].data = session->data;
    parts[1].len = session->len;
    parts[2].data = by->data;
    parts[2].len = by->len;

    if (invsync_hmac_sha256(imcf->console_key, sizeof(imcf->console_key),
                            parts, 3, mac)
        != 0)
    {
        /* a token no one can present */
        RAND_bytes(mac, sizeof(mac));
    }

    invsync_hex_encode(hex, mac, sizeof(mac));
    ngx_explicit_memzero(mac, sizeof(mac));
}


/* NGX_OK, or the status that refuses the action, with *why */

ngx_int_t
ngx_http_invsync_console_csrf(ngx_http_request_t *r, ngx_str_t *by,
    const char **why)
{
    u_char            want[64];
    ngx_str_t         session;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *token;

    if (ngx_http_invsync_console_operator(r, by) != NGX_OK) {
        *why = "no operator name: actions need invsync_console_operator";
        return NGX_HTTP_FORBIDDEN;
    }

    *why = "csrf token missing or wrong: reload the page";

    token = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 14
            && ngx_strncasecmp(h[i].key.data, (u_char *) "X-Invsync-Csrf",
                               14) == 0)
        {
            token = &h[i];
        }
    }

    if (token == NULL || token->value.len != sizeof(want)
        || ngx_http_invsync_console_cookie(r, &session) != NGX_OK)
    {
        return NGX_HTTP_FORBIDDEN;
    }

    ngx_http_invsync_console_token(r, &session, by, want);

    if (!invsync_ct_equal(want, token->value.data, sizeof(want))) {
        return NGX_HTTP_FORBIDDEN;
    }

    *why = NULL;

    return NGX_OK;
}
