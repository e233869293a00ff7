
/*
 * The typed readers of the normalizers: ids, strings, names, addresses,
 * booleans, integers, money, currencies, times and references, each
 * naming the JSON path of whatever it refuses.
 */


#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invsync_canon_parts.h"


json_t *
invsync_canon_id(const invsync_canon_src_t *s, const char *key,
    unsigned flags)
{
    char           buf[32];
    json_int_t     n;
    const json_t  *v;

    v = invsync_member(s, key);

    if (json_is_string(v) && json_string_length(v) != 0) {
        return json_string(json_string_value(v));
    }

    if (json_is_integer(v)) {
        n = json_integer_value(v);

        if (n < 0) {
            invsync_canon_fail(s, key, "id %" JSON_INTEGER_FORMAT
                               " is negative", n);
            return NULL;
        }

        if (n != 0 || !(flags & INVSYNC_CANON_ZERO_NULL)) {
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, n);
            return json_string(buf);
        }

        v = NULL;
    }

    if (v != NULL && !json_is_string(v)) {
        invsync_canon_fail(s, key, "not an integer or a string");
        return NULL;
    }

    if (flags & INVSYNC_CANON_REQUIRED) {
        invsync_canon_fail(s, key, "missing");
        return NULL;
    }

    return json_null();
}


int
invsync_canon_str(const invsync_canon_src_t *s, const char *key,
    unsigned flags, const char **v)
{
    const json_t  *j;

    j = invsync_member(s, key);

    if (j != NULL && !json_is_string(j)) {
        return invsync_canon_fail(s, key, "not a string");
    }

    if (j == NULL || json_string_length(j) == 0) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            return invsync_canon_fail(s, key, "missing");
        }

        *v = NULL;
        return 0;
    }

    *v = json_string_value(j);

    return 1;
}


json_t *
invsync_canon_string(const invsync_canon_src_t *s, const char *key,
    unsigned flags)
{
    char           buf[32];
    const json_t  *v;

    v = invsync_member(s, key);

    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return json_string(buf);
    }

    if (v != NULL && !json_is_string(v)) {
        invsync_canon_fail(s, key, "not a string");
        return NULL;
    }

    if (v == NULL || json_string_length(v) == 0) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            invsync_canon_fail(s, key, "missing");
            return NULL;
        }

        return json_null();
    }

    /* jansson checked the body's UTF-8 and refused NUL */
    return json_stringn(json_string_value(v), json_string_length(v));
}


json_t *
invsync_canon_name(const invsync_canon_src_t *s, const char *first,
    const char *last)
{
    int          a, b;
    char        *buf;
    size_t       n;
    json_t      *v;
    const char  *f, *l;

    f = NULL;
    l = NULL;

    a = invsync_canon_str(s, first, 0, &f);
    if (a < 0) {
        return NULL;
    }

    b = invsync_canon_str(s, last, 0, &l);
    if (b < 0) {
        return NULL;
    }

    if (a == 0 || b == 0) {
        return (a || b) ? json_string(a ? f : l) : json_null();
    }

    n = strlen(f) + strlen(l) + 2;

    buf = malloc(n);
    if (buf == NULL) {
        return NULL;
    }

    snprintf(buf, n, "%s %s", f, l);
    v = json_string(buf);
    free(buf);

    return v;
}


json_t *
invsync_canon_or(json_t *v, const invsync_canon_src_t *s, const char *key)
{
    if (v == NULL || !json_is_null(v)) {
        return v;
    }

    json_decref(v);

    return invsync_canon_string(s, key, 0);
}


/*
 * The string member first (else second, NULL for none) of the first
 * object of array member key: a shipping line's method.  Json null when
 * the array is missing or empty or neither member is there.
 */

json_t *
invsync_canon_first_of(const invsync_canon_src_t *s, const char *key,
    const char *first, const char *second)
{
    size_t               n;
    json_t              *v;
    invsync_canon_src_t  item;

    n = 0;

    if (invsync_canon_array(s, key, &n) != 0) {
        return NULL;
    }

    if (n == 0) {
        return json_null();
    }

    if (invsync_canon_item(s, key, 0, &item) != 0) {
        return NULL;
    }

    v = invsync_canon_string(&item, first, 0);

    return second != NULL ? invsync_canon_or(v, &item, second) : v;
}


json_t *
invsync_canon_address(const invsync_canon_src_t *a, const char *const *keys)
{
    size_t   i;
    json_t  *addr, *v;

    static const char  *names[] = {
        "address1", "address2", "city", "province", "zip", "country_code",
        "phone"
    };

    if (a->obj == NULL) {
        return json_null();
    }

    addr = json_object();
    if (addr == NULL) {
        return NULL;
    }

    v = invsync_canon_string(a, "name", 0);

    if (json_is_null(v)) {
        json_decref(v);
        v = invsync_canon_name(a, "first_name", "last_name");
    }

    if (invsync_canon_set(a, addr, "name", v) != 0) {
        goto failed;
    }

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (invsync_canon_set(a, addr, names[i],
                              invsync_canon_string(a, keys[i], 0))
            != 0)
        {
            goto failed;
        }
    }

    for (i = 0; i < sizeof(names) / sizeof(names[0]) + 1; i++) {
        if (!json_is_null(json_object_get(addr, i ? names[i - 1] : "name")))
        {
            return addr;
        }
    }

    json_decref(addr);

    return json_null();

failed:

    json_decref(addr);

    return NULL;
}


int
invsync_canon_bool(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int *v)
{
    const json_t  *j;

    j = invsync_member(s, key);

    if (j == NULL) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            return invsync_canon_fail(s, key, "missing");
        }

        return 0;
    }

    if (!json_is_boolean(j)) {
        return invsync_canon_fail(s, key, "not a boolean");
    }

    *v = json_is_true(j);

    return 1;
}


/* unsigned decimal digits only */
int
invsync_int_text(const char *text, size_t n, int64_t *v)
{
    int      d;
    size_t   i;
    int64_t  r;

    if (n == 0) {
        return -1;
    }

    r = 0;

    for (i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }

        d = text[i] - '0';

        if (r > (INT64_MAX - d) / 10) {
            return -2;
        }

        r = r * 10 + d;
    }

    *v = r;

    return 0;
}


int
invsync_canon_int(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int64_t *v)
{
    int            rc, neg;
    char           q[INVSYNC_QUOTE_LEN];
    double         d;
    size_t         n;
    int64_t        r;
    const char    *t;
    const json_t  *j;

    j = invsync_member(s, key);

    if (j == NULL) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            return invsync_canon_fail(s, key, "missing");
        }

        return 0;
    }

    if (json_is_integer(j)) {
        r = json_integer_value(j);

    } else if (json_is_real(j)) {
        d = json_real_value(j);

        /* 2.0 is 2; 2^63 itself is out of range; NaN fails every test */
        if (!(d < 9223372036854775808.0 && d >= -9223372036854775808.0)
            || (double) (int64_t) d != d)
        {
            return invsync_canon_fail(s, key, "%.15g is not an integer", d);
        }

        r = (int64_t) d;

    } else if (json_is_string(j)) {
        t = json_string_value(j);
        n = json_string_length(j);
        neg = (n > 0 && t[0] == '-');

        rc = invsync_int_text(t + neg, n - neg, &r);

        if (rc == -2) {
            return invsync_canon_fail(s, key, "\"%s\" overflows int64",
                                      invsync_canon_quote(q, sizeof(q), t));
        }

        if (rc != 0) {
            return invsync_canon_fail(s, key, "\"%s\" is not an integer",
                                      invsync_canon_quote(q, sizeof(q), t));
        }

        r = neg ? -r : r;

    } else {
        return invsync_canon_fail(s, key, "not an integer");
    }

    if (r < 0 && !(flags & INVSYNC_CANON_SIGNED)) {
        return invsync_canon_fail(s, key, "%" PRId64 " is negative", r);
    }

    *v = r;

    return 1;
}


int
invsync_canon_money(const invsync_canon_src_t *s, const char *key,
    unsigned flags, int64_t *v)
{
    char           e[INVSYNC_CANON_ERR_LEN];
    int64_t        r;
    const json_t  *j;

    j = invsync_member(s, key);

    if (j == NULL) {
        if (flags & INVSYNC_CANON_REQUIRED) {
            return invsync_canon_fail(s, key, "missing");
        }

        return 0;
    }

    if (invsync_money_parse(j, s->currency, &r, e, sizeof(e)) != 0) {
        return invsync_canon_fail(s, key, "%s", e);
    }

    if (r < 0 && !(flags & INVSYNC_CANON_SIGNED)) {
        return invsync_canon_fail(s, key, "amount is negative");
    }

    *v = r;

    return 1;
}


int
invsync_canon_currency(const invsync_canon_src_t *s, const char *key,
    unsigned flags, const char **v)
{
    int          rc;
    char         q[INVSYNC_QUOTE_LEN];
    const char  *c;

    c = NULL;
    rc = invsync_canon_str(s, key, flags, &c);

    if (rc != 1) {
        return rc;
    }

    if (invsync_currency_exponent(c) < 0) {
        return invsync_canon_fail(s, key, "\"%s\" is not an ISO 4217 code",
                                  invsync_canon_quote(q, sizeof(q), c));
    }

    *v = c;

    return 1;
}


json_t *
invsync_canon_number(int rc, int64_t v)
{
    if (rc < 0) {
        return NULL;
    }

    return rc ? json_integer(v) : json_null();
}


int
invsync_canon_time(const invsync_canon_src_t *s, const char *key,
    unsigned flags, json_t *dst, const char *name, const char *name_ms)
{
    int          rc;
    char         q[INVSYNC_QUOTE_LEN];
    int64_t      ms;
    const char  *t;

    rc = invsync_canon_str(s, key, flags, &t);

    if (rc < 0) {
        return -1;
    }

    if (rc == 0) {
        return (invsync_canon_set(s, dst, name, json_null()) != 0
                || invsync_canon_set(s, dst, name_ms, json_null()) != 0)
               ? -1 : 0;
    }

    if (invsync_time_iso_ms(t, &ms) != 0) {
        return invsync_canon_fail(s, key, "\"%s\" is not an ISO-8601 time",
                                  invsync_canon_quote(q, sizeof(q), t));
    }

    if (invsync_canon_set(s, dst, name, json_string(t)) != 0
        || invsync_canon_set(s, dst, name_ms, json_integer(ms)) != 0)
    {
        return -1;
    }

    return 0;
}


int
invsync_canon_set(const invsync_canon_src_t *s, json_t *dst,
    const char *name, json_t *value)
{
    if (value != NULL && json_object_set_new(dst, name, value) == 0) {
        return 0;
    }

    if (s->len != 0 && (value != NULL || s->err[0] == '\0')) {
        snprintf(s->err, s->len, "out of memory");
    }

    return -1;
}


int
invsync_canon_append(const invsync_canon_src_t *s, json_t *array,
    json_t *value)
{
    if (value != NULL && json_array_append_new(array, value) == 0) {
        return 0;
    }

    if (s->len != 0 && (value != NULL || s->err[0] == '\0')) {
        snprintf(s->err, s->len, "out of memory");
    }

    return -1;
}


/*
 * A reference the ledger matches by (docs/events.md): "<prefix>:<value>"
 * appended to refs when value (borrowed) is a string other than "" and
 * "0" (an id of zero names nothing); 0 also when it is not.
 */

int
invsync_canon_ref(const invsync_canon_src_t *s, json_t *refs,
    const char *prefix, const json_t *value)
{
    const char  *v;

    if (!json_is_string(value)) {
        return 0;
    }

    v = json_string_value(value);

    if (v[0] == '\0' || strcmp(v, "0") == 0) {
        return 0;
    }

    return invsync_canon_append(s, refs, json_sprintf("%s:%s", prefix, v));
}
