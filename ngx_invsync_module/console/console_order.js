/*
 * invsync console: the order page (#/order/<channel>:<order id>).  Its
 * record and audit trail, and what became of it, in three sections:
 * Routing (the allocation per location, the rule, unroutable and why),
 * Shipments (state, carrier, tracking, label cost, times, last error) and
 * Refunds (amounts, lines, each line's restock decision, the journal
 * entries).  Drawn with console.js's helpers (ui); every value goes in
 * through textContent, and only an http(s) address becomes a link.  This
 * file is loaded before console.js, which calls invsyncPages.order.
 */

(function () {
    'use strict';

    var pages = window.invsyncPages = window.invsyncPages || {};

    function skuLink(ui, sku) {
        return sku ? ui.link(sku, '#/sku/' + encodeURIComponent(sku)) : '';
    }

    /* a carrier's or channel's address: a link only when http(s), so a
       javascript: or data: URL in the data stays text */
    function outLink(ui, text, url) {
        if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
            return text || url || '';
        }
        return ui.el('a', { href: url, rel: 'noopener noreferrer',
                            target: '_blank', text: text || url });
    }

    /* minor units in the currency's own exponent (ISO 4217, as the
       browser knows it): 900 EUR is "9.00 EUR", 900 JPY "900 JPY" */
    function money(minor, currency) {
        var n = Number(minor), digits;
        if (minor === undefined || minor === null || minor === ''
            || isNaN(n)) {
            return '';
        }
        if (!currency) {
            return String(minor) + ' (minor units)';
        }
        try {
            digits = new Intl.NumberFormat('en', {
                style: 'currency', currency: currency
            }).resolvedOptions().maximumFractionDigits;
        } catch (e) {
            return String(minor) + ' ' + currency + ' (minor units)';
        }
        return (n / Math.pow(10, digits)).toFixed(digits) + ' ' + currency;
    }

    function parsed(text, dflt) {
        try {
            return JSON.parse(text);
        } catch (e) {
            return dflt;
        }
    }

    /* a dl of [label, value] pairs in this order; a value may be a node */
    function facts(ui, rows) {
        var dl = ui.el('dl', { 'class': 'fields' });
        rows.forEach(function (r) {
            if (r[1] === undefined || r[1] === null || r[1] === '') {
                return;
            }
            dl.appendChild(ui.el('dt', { text: r[0] }));
            dl.appendChild(ui.el('dd', {}, r[1]));
        });
        return dl;
    }

    function yes(v) {
        return v ? 'yes' : 'no';
    }

    function statePill(ui, state) {
        return ui.el('span', { 'class': 'pill ship-' + (state || ''),
                               text: state || '?' });
    }

    /* "2 × SKU-A, 1 × SKU-B", each SKU a link to its page */
    function lineList(ui, lines) {
        var span = ui.el('span');
        ui.list(lines).forEach(function (l, i) {
            if (i) {
                span.appendChild(document.createTextNode(', '));
            }
            span.appendChild(document.createTextNode(
                (l.qty !== undefined ? l.qty : l.quantity) + ' \u00d7 '));
            span.appendChild(skuLink(ui, l.sku));
        });
        return span;
    }

    function trace(ui, text) {
        return ui.el('details', {}, ui.el('summary', {
            text: 'The decision\'s trace' }), ui.pretty(text));
    }

    /* ---- Routing ---------------------------------------------------- */

    function routing(ui, r) {
        var s = ui.el('section', { id: 'routing' },
                      ui.el('h2', { text: 'Routing' }));
        var d = r.decision, rows = [];

        if (!r.allocated && !d && !r.exception) {
            s.appendChild(ui.empty('Not routed: no allocation and no '
                + 'decision (without routing in worker.json an order '
                + 'stays unrouted).'));
            return s;
        }

        if (d) {
            s.appendChild(facts(ui, [
                /* a pickup or counter sale: no rule ran, the channel
                 * said where (docs/routing.md) */
                d.reason ? ['placed', d.reason]
                         : ['rule', (d.rule || '?') + (d['default']
                                            ? ' (the implied default)' : '')],
                ['strategy', d.strategy],
                ['decision', d.status],
                ['decided', ui.when(d.ts)],
                ['version', r.version],
                ['backorder', r.allocated ? yes(r.backorder) : ''],
                ['waiting for stock since', ui.when(r.waiting_since)]
            ]));
        }

        if (r.unroutable) {
            s.appendChild(ui.el('div', { 'class': 'alert', id: 'unroutable' },
                ui.el('strong', { text: 'Unroutable' }),
                ' no location can take every line; nothing new is '
                + 'allocated until stock arrives or the rules change.',
                r.exception ? ui.el('p', {}, 'Exception ',
                    ui.link(r.exception.id, '#/exception/'
                            + encodeURIComponent(r.exception.id)),
                    ' (' + r.exception.state + ')') : null));
            s.appendChild(ui.table(['line', 'SKU', 'why'], ui.list(r.reasons),
                function (x) {
                    return [x.line, skuLink(ui, x.sku), x.reason];
                }));
        }

        ui.list(r.locations).forEach(function (loc) {
            ui.list(loc.lines).forEach(function (l) {
                rows.push({ location: loc.location, line: l.line,
                            sku: l.sku, qty: l.qty });
            });
        });

        s.appendChild(ui.el('h3', { text: 'Allocation' }));
        s.appendChild(rows.length ? ui.table(['location', 'line', 'SKU',
            'quantity'], rows, function (l) {
                return [l.location, l.line, skuLink(ui, l.sku), ui.num(l.qty)];
            }) : ui.empty('Nothing allocated.'));

        if (d && d.trace) {
            s.appendChild(trace(ui, d.trace));
        }
        return s;
    }

    /* ---- Shipments -------------------------------------------------- */

    function shipments(ui, list) {
        var s = ui.el('section', { id: 'shipments' },
                      ui.el('h2', { text: 'Shipments' }));

        if (!list.length) {
            s.appendChild(ui.empty('No shipments.'));
            return s;
        }

        s.appendChild(ui.table(['shipment', 'location', 'kind', 'state',
            'lines', 'carrier', 'tracking', 'label', 'opened', 'shipped',
            'attempts', 'last error'], list, function (x) {
                var lines = parsed(x.lines, []).map(function (l) {
                    return { sku: l.sku, qty: l.qty };
                });
                return [{ cls: 'id', v: x.id }, x.location, x.kind,
                        statePill(ui, x.state), lineList(ui, lines),
                        [x.carrier, x.service].filter(Boolean).join(' '),
                        x.tracking ? outLink(ui, x.tracking, x.tracking_url)
                        : '',
                        x.label_url || x.cost_minor
                        ? outLink(ui, money(x.cost_minor, x.currency)
                                  || 'label', x.label_url) : '',
                        ui.when(x.opened_at),
                        x.shipped_at ? ui.when(x.shipped_at)
                        : (x.cancelled_at ? 'cancelled '
                           + ui.when(x.cancelled_at) : ''),
                        ui.num(x.attempts), x.last_error || ''];
            }));
        return s;
    }

    /* ---- Refunds ---------------------------------------------------- */

    function journal(ui, entries, id) {
        var rows = [];
        ui.list(entries).forEach(function (e) {
            ui.list(parsed(e.lines, [])).forEach(function (l) {
                rows.push({ e: e, l: l });
            });
        });
        if (!rows.length) {
            return ui.empty(id ? 'No journal entries: no journal section '
                + 'in worker.json, or nothing to book.'
                : 'No journal entries found: the refund\'s audit entry '
                + 'names no refund id, by which its entry is found.');
        }
        return ui.table(['cause', 'date', 'account', 'code', 'debit',
            'credit', 'memo', 'SKU'], rows, function (x) {
                var n = Number(x.l.amount_minor);
                return [x.e.cause, x.e.date, x.l.account, x.l.code,
                        ui.num(n > 0 ? money(n, x.l.currency) : ''),
                        ui.num(n < 0 ? money(-n, x.l.currency) : ''),
                        x.l.memo, skuLink(ui, x.l.sku)];
            });
    }

    function refund(ui, r) {
        var s = ui.el('div', { 'class': 'refund' });
        var data = r.record ? parsed(r.record.data, {}) : {};

        s.appendChild(ui.el('h3', { text: r.id ? 'Refund ' + r.id
                                    : 'Refund of event ' + r.event }));
        s.appendChild(facts(ui, [
            ['amount', money(r.amount_minor, r.currency)],
            ['status', r.status],
            ['lines from', r.lines_from],
            ['matched by', r.matched_by],
            ['channel', r.channel],
            ['event', r.event],
            ['recorded', ui.when(r.ts)]
        ]));

        if (ui.list(data.lines).length) {
            s.appendChild(ui.el('h4', { text: 'Lines' }));
            s.appendChild(ui.table(['line', 'SKU', 'quantity', 'amount',
                'channel restocked', 'restock type'], data.lines,
                function (l) {
                    return [l.channel_line_id, skuLink(ui, l.sku),
                            ui.num(l.quantity),
                            ui.num(money(l.amount_minor, data.currency)),
                            yes(l.restock), l.restock_type || ''];
                }));
        }

        s.appendChild(ui.el('h4', { text: 'Restock' }));
        s.appendChild(ui.list(r.restock).length ? ui.table(['line', 'SKU',
            'quantity', 'restocked', 'why', 'where', 'bucket'], r.restock,
            function (x) {
                return [x.line, skuLink(ui, x.sku), ui.num(x.quantity),
                        yes(x.restock), x.reason, x.location || '',
                        x.bucket || ''];
            }) : ui.empty('No restock decision: the refund has no lines, '
                          + 'or none of them is mapped to a SKU.'));

        s.appendChild(ui.el('h4', { text: 'Journal' }));
        s.appendChild(journal(ui, r.journal, r.id));
        return s;
    }

    function refunds(ui, list) {
        var s = ui.el('section', { id: 'refunds' },
                      ui.el('h2', { text: 'Refunds' }));
        if (!list.length) {
            s.appendChild(ui.empty('No refunds.'));
        }
        list.forEach(function (r) {
            s.appendChild(refund(ui, r));
        });
        return s;
    }

    /* ---- the page --------------------------------------------------- */

    pages.order = function (name, ui) {
        return ui.api('order' + ui.q({ order: name })).then(function (r) {
            var d = r.doc, page = [ui.el('h1', { text: 'Order ' + name })];
            if (d.error) {
                throw new Error(d.error);
            }
            if (!d.known) {
                page.push(ui.empty('No order ' + name + ' is recorded. An '
                                   + 'order is named <channel>:<order id>.'));
                return page;
            }
            page.push(ui.fields(d.record || {}, ['data']),
                      ui.el('details', { id: 'record' }, ui.el('summary', {
                          text: 'The recorded order (JSON)' }),
                          ui.pretty(d.record && d.record.data)),
                      routing(ui, d.routing || {}),
                      shipments(ui, ui.list(d.shipments)),
                      refunds(ui, ui.list(d.refunds)),
                      ui.el('h2', { text: 'Events and effects' }),
                      ui.auditTable(d.audit));
            return page;
        });
    };
}());
