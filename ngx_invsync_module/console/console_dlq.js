/*
 * invsync console: the dead-letter pages (#/dlq, #/dead/<id>): the list
 * of events that failed for good, and one with its attempt history and
 * the Retry / Drop actions.  Drawn with console.js's helpers (ui); every
 * value goes in through textContent.  Loaded before console.js, which
 * calls invsyncPages.dlq and invsyncPages.dead.
 */

(function () {
    'use strict';

    var pages = window.invsyncPages = window.invsyncPages || {};

    pages.dlq = function (params, ui) {
        var cursor = params.cursor || '';
        return ui.api('dlq' + ui.q({ cursor: cursor, limit: ui.PAGE }))
            .then(function (r) {
                var d = r.doc, rows;
                if (d.error) {
                    throw new Error(d.error);
                }
                rows = ui.list(d.rows);
                return [ui.el('h1', { text: 'Dead letters' }),
                    rows.length ? ui.table(['failed', 'stream', 'channel',
                        'topic', 'attempts', 'reason', 'id'], rows,
                        function (x) {
                            return [ui.when(x.failed), x.stream, x.channel,
                                    x.topic, ui.num(x.attempts), x.reason,
                                    { cls: 'id', v: ui.link(x.id, '#/dead/'
                                          + encodeURIComponent(x.id)) }];
                        }) : ui.empty(cursor ? 'No more dead letters.'
                                   : 'No dead letters. Nothing failed for '
                                     + 'good.'),
                    ui.pager('#/dlq', {}, cursor, d.next, d.total)];
            });
    };

    pages.dead = function (id, ui) {
        return ui.api('dead' + ui.q({ id: id })).then(function (r) {
            var d = r.doc, x, hist;
            if (r.status === 404) {
                return [ui.el('h1', { text: 'Dead letter' }),
                        ui.empty('No dead letter ' + id + ' (retried or '
                              + 'dropped already?).')];
            }
            if (d.error) {
                throw new Error(d.error);
            }
            x = d.dead;
            try {
                hist = ui.list(JSON.parse(x.history));
            } catch (e) {
                hist = [];
            }
            return [ui.el('h1', { text: 'Dead letter ' + x.id }),
                ui.fields(x, ['history']),
                ui.el('p', { 'class': 'muted', text: 'The body ('
                          + x.body_bytes + ' bytes) is not shown.' }),
                ui.el('h2', { text: 'Attempts' }),
                hist.length ? ui.table(['when', 'consumer', 'error'], hist,
                    function (h) {
                        return [ui.when(h.ts), h.consumer, h.err];
                    }) : ui.empty('No attempt history.'),
                ui.actionBox('Act on this dead letter', [
                    { id: 'dead-retry', text: 'Retry', what: 'dead/retry',
                      target: x.id, done: 'Back in its stream',
                      after: '#/dlq' },
                    { id: 'dead-drop', text: 'Drop', cls: 'danger',
                      what: 'dead/drop', target: x.id, done: 'Dropped',
                      after: '#/dlq' }
                ], ['dead-drop']),
                ui.el('h2', { text: 'Audit trail of its event' }),
                ui.auditTable(d.audit)];
        });
    };
}());
