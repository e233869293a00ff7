
/*
 * The worker's Redis keys, one builder per row of docs/keys.md ("One
 * builder per key"), so that a key's layout is written once.  Every key is
 * "<prefix>:{<prefix>}:<name>": the hash tag puts them all in one cluster
 * slot, as the Lua scripts that touch several need; but the streams, each
 * "<prefix>:<stream>" in its own slot (invsync_key_stream_of()).  Each
 * builder returns the key's length, or 0 when it does not fit in cap (dst
 * then holds a cut key that must not be used: parts come from channels
 * and operators).
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "invsync_runtime.h"


static size_t invsync_key_fmt(char *dst, size_t cap,
    const invsync_conf_t *conf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));


size_t
invsync_key_prefix(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "%s", "");
}


size_t
invsync_key_audit(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "audit");
}


size_t
invsync_key_audit_event(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *event)
{
    return invsync_key_fmt(dst, cap, conf,
                           "audit:event:%s:%s", channel, event);
}


size_t
invsync_key_audit_order(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *order)
{
    return invsync_key_fmt(dst, cap, conf, "audit:order:%s", order);
}


size_t
invsync_key_audit_sku(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku)
{
    return invsync_key_fmt(dst, cap, conf, "audit:sku:%s", sku);
}


size_t
invsync_key_stock(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku)
{
    return invsync_key_fmt(dst, cap, conf, "stock:%s", sku);
}


size_t
invsync_key_sku(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku)
{
    return invsync_key_fmt(dst, cap, conf, "sku:%s", sku);
}


size_t
invsync_key_skus(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "skus");
}


size_t
invsync_key_skumap(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku)
{
    return invsync_key_fmt(dst, cap, conf, "skumap:%s", sku);
}


size_t
invsync_key_skuref(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *ref)
{
    return invsync_key_fmt(dst, cap, conf, "skuref:%s:%s", channel, ref);
}


size_t
invsync_key_bundles(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *sku)
{
    return invsync_key_fmt(dst, cap, conf, "bundles:%s", sku);
}


size_t
invsync_key_dirty(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "dirty:%s", channel);
}


size_t
invsync_key_shown(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "shown:%s", channel);
}


size_t
invsync_key_force(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "force:%s", channel);
}


size_t
invsync_key_pushed(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *sku)
{
    return invsync_key_fmt(dst, cap, conf, "pushed:%s:%s", channel, sku);
}


size_t
invsync_key_pushseq(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "pushseq:%s", channel);
}


size_t
invsync_key_exception(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id)
{
    return invsync_key_fmt(dst, cap, conf, "exception:%s", id);
}


size_t
invsync_key_exceptions_open(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "exceptions:open");
}


size_t
invsync_key_exceptions_all(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "exceptions:all");
}


size_t
invsync_key_dlq(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "dlq");
}


size_t
invsync_key_retry(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "retry");
}


size_t
invsync_key_attempts(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *stream, const char *entry)
{
    return invsync_key_fmt(dst, cap, conf, "attempts:%s:%s", stream, entry);
}


size_t
invsync_key_workers(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "workers");
}


size_t
invsync_key_stockrules(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "stockrules");
}


size_t
invsync_key_reconcile(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "reconcile:%s", channel);
}


size_t
invsync_key_reconciling(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "reconciling:%s", channel);
}


size_t
invsync_key_pollmark(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "pollmark:%s", channel);
}


size_t
invsync_key_polling(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "polling:%s", channel);
}


size_t
invsync_key_pollround(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "pollround:%s", channel);
}


size_t
invsync_key_held(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel)
{
    return invsync_key_fmt(dst, cap, conf, "held:%s", channel);
}


size_t
invsync_key_polled(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *order)
{
    return invsync_key_fmt(dst, cap, conf, "polled:%s:%s", channel, order);
}


size_t
invsync_key_order(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *order)
{
    return invsync_key_fmt(dst, cap, conf, "order:%s", order);
}


size_t
invsync_key_alloc(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *order)
{
    return invsync_key_fmt(dst, cap, conf, "alloc:%s", order);
}


size_t
invsync_key_route_waiting(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "route:waiting");
}


size_t
invsync_key_route_arrived(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "route:arrived");
}


size_t
invsync_key_payref(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *ref)
{
    return invsync_key_fmt(dst, cap, conf, "payref:%s", ref);
}


size_t
invsync_key_refundwait(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *ref)
{
    return invsync_key_fmt(dst, cap, conf, "refundwait:%s", ref);
}


size_t
invsync_key_refunded(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *order)
{
    return invsync_key_fmt(dst, cap, conf, "refunded:%s", order);
}


size_t
invsync_key_disposeread_due(char *dst, size_t cap,
    const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "disposeread:due");
}


size_t
invsync_key_disposeread_wait(char *dst, size_t cap,
    const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "disposeread:wait");
}


size_t
invsync_key_refundread_due(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "refundread:due");
}


size_t
invsync_key_refundread_fails(char *dst, size_t cap,
    const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "refundread:fails");
}


size_t
invsync_key_refundwaits(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "refundwaits");
}


size_t
invsync_key_shipment(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id)
{
    return invsync_key_fmt(dst, cap, conf, "shipment:%s", id);
}


size_t
invsync_key_shipments(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *order)
{
    return invsync_key_fmt(dst, cap, conf, "shipments:%s", order);
}


size_t
invsync_key_refundout(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *cause)
{
    return invsync_key_fmt(dst, cap, conf, "refundout:%s", cause);
}


size_t
invsync_key_refundouts(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "refundouts");
}


size_t
invsync_key_refundout_due(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "refundout:due");
}


size_t
invsync_key_refundref(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *channel, const char *id)
{
    return invsync_key_fmt(dst, cap, conf, "refundref:%s:%s", channel, id);
}


size_t
invsync_key_fulfil_due(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "fulfil:due");
}


size_t
invsync_key_track_due(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "track:due");
}


size_t
invsync_key_rma(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id)
{
    return invsync_key_fmt(dst, cap, conf, "rma:%s", id);
}


/* a channel's return's end (declined, cancelled, closed) or label that
 * came before the return's request: kept until the request opens the RMA */
size_t
invsync_key_rmaearly(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id)
{
    return invsync_key_fmt(dst, cap, conf, "rmaearly:%s", id);
}


size_t
invsync_key_rmas(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "rmas");
}


size_t
invsync_key_journal(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "journal");
}


size_t
invsync_key_done_journal(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *cause)
{
    return invsync_key_fmt(dst, cap, conf, "done:journal:%s", cause);
}


size_t
invsync_key_done(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *action, const char *channel, const char *event)
{
    return invsync_key_fmt(dst, cap, conf,
                           "done:%s:%s:%s", action, channel, event);
}


size_t
invsync_key_done_ledger(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *cause)
{
    return invsync_key_fmt(dst, cap, conf, "done:ledger:%s", cause);
}


size_t
invsync_key_done_operator(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *id)
{
    return invsync_key_fmt(dst, cap, conf, "done:ledger:operator:%s", id);
}


size_t
invsync_key_epoch(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "epoch");
}


size_t
invsync_key_state(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *state)
{
    return invsync_key_fmt(dst, cap, conf, "%s", state);
}


size_t
invsync_key_nostate(char *dst, size_t cap, const invsync_conf_t *conf)
{
    return invsync_key_fmt(dst, cap, conf, "nostate");
}


/*
 * A stream of envelopes, "<prefix>:<stream>" by its configured short name:
 * no hash tag, each stream in its own slot with its idempotency keys (the
 * module writes it, by the core's layout, invsync_keys.c).
 */

size_t
invsync_key_stream_of(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *stream)
{
    size_t  plen, slen, n;

    plen = strlen(conf->prefix);
    slen = strlen(stream);
    n = invsync_key_stream_len(plen, slen);

    if (n >= cap) {
        if (cap > 0) {
            dst[0] = '\0';
        }

        return 0;
    }

    n = invsync_key_stream((unsigned char *) dst,
                           (const unsigned char *) conf->prefix, plen,
                           (const unsigned char *) stream, slen);
    dst[n] = '\0';

    return n;
}


static size_t
invsync_key_fmt(char *dst, size_t cap, const invsync_conf_t *conf,
    const char *fmt, ...)
{
    int      n, m;
    va_list  args;

    n = snprintf(dst, cap, "%s:{%s}:", conf->prefix, conf->prefix);
    if (n < 0 || (size_t) n >= cap) {
        return 0;
    }

    va_start(args, fmt);
    m = vsnprintf(dst + n, cap - n, fmt, args);
    va_end(args);

    if (m < 0 || (size_t) (n + m) >= cap) {
        return 0;
    }

    return n + m;
}
