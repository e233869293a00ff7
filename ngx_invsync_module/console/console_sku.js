/*
 * invsync console: the SKU page (#/sku/<sku>): its attributes, its ledger
 * per location, each channel it is mapped on with what the channel shows
 * and should show (the module computes that from the ledger and the
 * channel's stock rules, api/sku), the last drift a reconciliation found
 * there, and its recent audit.  Drawn with console.js's helpers (ui);
 * every value goes in through textContent.  Loaded before console.js,
 * which calls invsyncPages.sku.
 */

(function () {
    'use strict';

    var pages = window.invsyncPages = window.invsyncPages || {};

    /* a channel's stock rules in words: only those not at their default */
    function rulesText(r) {
        var out = [];
        if (!r) {
            return '';
        }
        if (r.locations && r.locations.length) {
            out.push('from ' + r.locations.join(', '));
        }
        if (r.buffer) {
            out.push('buffer ' + r.buffer);
        }
        if (r.share !== undefined && r.share < 100) {
            out.push(r.share + ' %');
        }
        if (r.max !== undefined && r.max >= 0) {
            out.push('at most ' + r.max);
        }
        return out.length ? out.join(', ') : 'defaults';
    }

    function channels(d, ui) {
        if (!ui.list(d.channels).length) {
            return [ui.empty('Not mapped on any channel.')];
        }
        return [ui.table(['channel', 'shows', 'should show', 'push due',
                          'rules', 'last drift: showed', 'should have shown',
                          'when'], d.channels, function (c) {
                    var dr = c.drift || {};
                    return [c.channel, ui.num(c.shows),
                            c.should_show === null ? 'unknown'
                            : ui.num(c.should_show),
                            c.push_due ? (c.forced ? 'yes (forced)' : 'yes')
                            : 'no', rulesText(c.rules), ui.num(dr.shows),
                            ui.num(dr.should_show),
                            dr.ts ? ui.when(dr.ts) : ''];
                }),
                ui.el('p', { 'class': 'muted', text: 'Should show: by the '
                             + 'ledger and the channel\'s stock rules, as '
                             + 'its worker read them (unknown until a '
                             + 'worker has started with the channel).' })];
    }

    pages.sku = function (name, ui) {
        return ui.api('sku' + ui.q({ sku: name })).then(function (r) {
            var d = r.doc, page = [];
            if (d.error) {
                throw new Error(d.error);
            }
            page.push(ui.el('h1', { text: 'SKU ' + d.sku }));
            if (!d.known) {
                page.push(ui.empty('No SKU ' + d.sku + ' is known.'));
                return page;
            }
            if (d.attributes && Object.keys(d.attributes).length) {
                page.push(ui.fields(d.attributes));
            }
            page.push(ui.el('h2', { text: 'Ledger' }));
            page.push(ui.list(d.ledger).length ? ui.table(
                ['location', 'on hand', 'reserved', 'available'],
                d.ledger, function (l) {
                    return [l.location, ui.num(l.on_hand),
                            ui.num(l.reserved),
                            ui.num(l.on_hand - l.reserved)];
                }) : ui.empty('No stock recorded.'));
            page.push(ui.el('p', { 'class': 'muted', text: 'Reserved '
                                   + 'before routing (unrouted): '
                                   + d.unrouted }));
            page.push(ui.el('h2', { text: 'Channels' }));
            Array.prototype.push.apply(page, channels(d, ui));
            page.push(ui.el('h2', { text: 'Recent audit' }),
                      ui.auditTable(d.audit));
            return page;
        });
    };
}());
