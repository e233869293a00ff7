
/*
 * What a signature scheme is given besides the body: the request headers
 * it names, collected in one walk (hashed at configuration time), and the
 * URL the sender signed, for the schemes that sign it.
 */


#include "ngx_http_invsync_module.h"


static ngx_str_t *ngx_http_invsync_find_header(ngx_http_request_t *r,
    const char *name, size_t len);


/* one walk over the request headers, matching hash, length and name */

void
ngx_http_invsync_collect_headers(ngx_http_request_t *r,
    ngx_http_invsync_loc_conf_t *ilcf, invsync_input_t *in)
{
    ngx_uint_t                  i, k;
    ngx_list_part_t            *part;
    ngx_table_elt_t            *h;
    ngx_http_invsync_header_t  *want;

    want = ilcf->headers->elts;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        for (k = 0; k < ilcf->headers->nelts; k++) {
            if (want[k].name.len != 0
                && h[i].hash == want[k].hash
                && h[i].key.len == want[k].name.len
                && ngx_strncmp(h[i].lowcase_key, want[k].name.data,
                               want[k].name.len)
                   == 0
                && in->headers[k].data == NULL)
            {
                in->headers[k].data = h[i].value.data;
                in->headers[k].len = h[i].value.len;
                break;
            }
        }
    }
}


/*
 * The URL the sender signed (needs_url): invsync_notification_url when set,
 * else rebuilt from what a proxy in front forwarded, else from the request.
 */

ngx_int_t
ngx_http_invsync_notification_url(ngx_http_request_t *r,
    ngx_http_invsync_loc_conf_t *ilcf, invsync_str_t *url)
{
    u_char     *p;
    ngx_str_t   value, scheme, host, *fwd;

    if (ilcf->notification_url != NULL) {
        if (ngx_http_complex_value(r, ilcf->notification_url, &value)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        url->data = value.data;
        url->len = value.len;
        return NGX_OK;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https");
    } else
#endif
    {
        ngx_str_set(&scheme, "http");
    }

    fwd = ngx_http_invsync_find_header(r, "x-forwarded-proto", 17);
    if (fwd != NULL) {
        scheme = *fwd;
    }

    ngx_str_null(&host);

    fwd = ngx_http_invsync_find_header(r, "x-forwarded-host", 16);
    if (fwd != NULL) {
        host = *fwd;

    } else if (r->headers_in.host) {
        host = r->headers_in.host->value;
    }

    p = ngx_pnalloc(r->pool, scheme.len + 3 + host.len + r->unparsed_uri.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    url->data = p;
    p = ngx_cpymem(p, scheme.data, scheme.len);
    p = ngx_cpymem(p, "://", 3);
    p = ngx_cpymem(p, host.data, host.len);
    p = ngx_cpymem(p, r->unparsed_uri.data, r->unparsed_uri.len);
    url->len = p - url->data;

    return NGX_OK;
}


static ngx_str_t *
ngx_http_invsync_find_header(ngx_http_request_t *r, const char *name,
    size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncmp(h[i].lowcase_key, name, len) == 0)
        {
            return &h[i].value;
        }
    }
}
