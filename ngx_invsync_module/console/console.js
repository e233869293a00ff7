/*
 * invsync console: reads the JSON under api/ and draws each page with
 * DOM nodes; every text from the data goes in through textContent, never
 * as markup.  Routes live in the URL's fragment (#/exceptions?state=open),
 * so the module serves one page.  Actions POST JSON with the session's
 * CSRF token (api/session) in X-Invsync-Csrf.
 */

(function () {
    'use strict';

    var main = document.getElementById('main');
    var flash = document.getElementById('flash');
    var session = { operator: null, csrf: null };
    var timer = null;
    var keep = false;               /* the next page keeps the flash */
    var PAGE = 25;

    /* el('td', {class: 'num'}, 'text', node, ...) */
    function el(tag, attrs) {
        var node = document.createElement(tag);
        var k, i, c;

        for (k in attrs || {}) {
            if (Object.prototype.hasOwnProperty.call(attrs, k)) {
                if (k === 'text') {
                    node.textContent = attrs[k];
                } else {
                    node.setAttribute(k, attrs[k]);
                }
            }
        }

        for (i = 2; i < arguments.length; i++) {
            c = arguments[i];
            if (c === null || c === undefined) {
                continue;
            }
            node.appendChild(typeof c === 'object'
                             ? c : document.createTextNode(String(c)));
        }

        return node;
    }

    function clear(node) {
        while (node.firstChild) {
            node.removeChild(node.firstChild);
        }
    }

    function list(v) {
        return Array.isArray(v) ? v : [];
    }

    function when(ms) {
        var n = Number(ms);
        if (!n) {
            return '';
        }
        return new Date(n).toLocaleString();
    }

    function ago(ms) {
        var s = Math.round((Date.now() - Number(ms)) / 1000);
        if (!Number(ms)) {
            return 'never';
        }
        if (s < 120) {
            return s + ' s ago';
        }
        if (s < 7200) {
            return Math.round(s / 60) + ' min ago';
        }
        return Math.round(s / 3600) + ' h ago';
    }

    function link(text, hash) {
        return el('a', { href: hash, text: text });
    }

    function q(params) {
        var out = [];
        Object.keys(params).forEach(function (k) {
            if (params[k] !== '' && params[k] !== undefined
                && params[k] !== null) {
                out.push(encodeURIComponent(k) + '='
                         + encodeURIComponent(params[k]));
            }
        });
        return out.length ? '?' + out.join('&') : '';
    }

    function say(text, bad) {
        flash.textContent = text;
        flash.className = bad ? 'flash error' : 'flash';
        flash.hidden = !text;
        if (text) {
            window.scrollTo(0, 0);
        }
    }

    function api(path) {
        return fetch('api/' + path, { credentials: 'same-origin',
                                      cache: 'no-store' })
            .then(function (res) {
                return res.json().then(function (doc) {
                    return { status: res.status, doc: doc };
                }, function () {
                    return { status: res.status, doc: { error: 'HTTP '
                             + res.status } };
                });
            });
    }

    function loadSession() {
        return api('session').then(function (r) {
            session = r.doc || {};
            document.getElementById('who').textContent = session.operator
                ? 'signed in as ' + session.operator
                : 'read only: no operator name';
        });
    }

    function act(what, body) {
        return fetch('api/' + what, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json',
                       'X-Invsync-Csrf': session.csrf || '' },
            body: JSON.stringify(body)
        }).then(function (res) {
            return res.json().then(function (doc) {
                return { status: res.status, doc: doc };
            }, function () {
                return { status: res.status, doc: {} };
            });
        });
    }

    function table(heads, rows, cells) {
        var thead = el('tr');
        var tbody = el('tbody');

        heads.forEach(function (h) {
            thead.appendChild(el('th', { text: h }));
        });
        rows.forEach(function (row) {
            var tr = el('tr');
            cells(row).forEach(function (c) {
                var td = el('td', c && c.cls ? { 'class': c.cls } : {});
                var v = c && c.cls !== undefined ? c.v : c;
                td.appendChild(typeof v === 'object' && v !== null
                               ? v : document.createTextNode(
                                   v === undefined || v === null
                                   ? '' : String(v)));
                tr.appendChild(td);
            });
            tbody.appendChild(tr);
        });

        return el('div', { 'class': 'scroll' },
                  el('table', {}, el('thead', {}, thead), tbody));
    }

    function num(v) {
        return { cls: 'num', v: v === undefined || v === null ? '' : v };
    }

    function empty(text) {
        return el('div', { 'class': 'empty', text: text });
    }

    function fields(obj, skip) {
        var dl = el('dl', { 'class': 'fields' });
        Object.keys(obj).sort().forEach(function (k) {
            if ((skip || []).indexOf(k) >= 0) {
                return;
            }
            var v = obj[k];
            if (/^(created|updated|resolved|failed|received|ts|started|finished|heartbeat|version)$/.test(k)
                && Number(v)) {
                v = when(v) + ' (' + v + ')';
            }
            dl.appendChild(el('dt', { text: k }));
            dl.appendChild(el('dd', { text: typeof v === 'object'
                                      ? JSON.stringify(v) : String(v) }));
        });
        return dl;
    }

    function pretty(text) {
        var v;
        try {
            v = JSON.stringify(JSON.parse(text), null, 2);
        } catch (e) {
            v = text;
        }
        return el('pre', { text: v || '(none)' });
    }

    function auditTable(rows) {
        if (!list(rows).length) {
            return empty('No audit entries.');
        }
        return table(['when', 'action', 'result', 'by / why', 'event',
                      'order'], rows, function (a) {
            return [when(a.ts), a.action, a.result,
                    a.by ? a.by + ': ' + (a.why || '') : (a.consumer || ''),
                    a.event || '',
                    a.order ? link(a.order, '#/order/'
                                   + encodeURIComponent(a.order)) : ''];
        });
    }

    function pill(state) {
        return el('span', { 'class': 'pill ' + (state || ''),
                            text: state || '?' });
    }

    /* what the pages of other files (console_order.js, console_dlq.js,
     * console_sku.js) draw with */
    var ui = {
        el: el, list: list, when: when, link: link, q: q, api: api,
        table: table, num: num, empty: empty, fields: fields,
        pretty: pretty, auditTable: auditTable, pill: pill,
        pager: pager, actionBox: actionBox, PAGE: PAGE
    };

    /* a page of another file: window.invsyncPages[name](arg, ui) */
    function extra(name) {
        return function (arg) {
            var pages = window.invsyncPages || {};
            if (typeof pages[name] !== 'function') {
                return Promise.reject(new Error('the page script '
                                                + name + ' is missing'));
            }
            return pages[name](arg, ui);
        };
    }

    /* ---- pages ------------------------------------------------------ */

    function overview() {
        return api('overview').then(function (r) {
            var d = r.doc, page = [], tiles, alive;
            if (d.error) {
                throw new Error(d.error);
            }
            alive = list(d.workers).filter(function (w) {
                return w.alive;
            }).length;
            tiles = el('div', { 'class': 'tiles' });
            [['workers alive', alive + ' / ' + list(d.workers).length,
              alive ? '' : 'bad'],
             ['open exceptions', d.exceptions_open,
              d.exceptions_open ? 'warn' : ''],
             ['dead letters', d.dead_letters, d.dead_letters ? 'bad' : ''],
             ['retries scheduled', d.retries_scheduled, '']
            ].forEach(function (t) {
                tiles.appendChild(el('div', { 'class': 'tile' },
                    el('div', { 'class': 'n ' + t[2], text: t[1] }),
                    el('div', { 'class': 'l', text: t[0] })));
            });
            page.push(el('h1', { text: 'Overview' }), tiles);

            page.push(el('h2', { text: 'Workers' }));
            page.push(list(d.workers).length ? table(
                ['worker', 'state', 'host', 'last heartbeat', 'read',
                 'applied', 'exceptions'], d.workers, function (w) {
                    var c = w.counters || {};
                    return [w.name, el('span', { 'class': w.alive
                                                 ? 'good' : 'bad',
                                                 text: w.alive ? 'alive'
                                                 : (w.state || '') + ', not heard from' }),
                            w.host, ago(w.heartbeat), num(c.read),
                            num(c.applied), num(c.exceptions)];
                }) : empty('No worker has published a heartbeat.'));

            page.push(el('h2', { text: 'Streams' }));
            page.push(table(['stream', 'length', 'pending', 'lag'],
                list(d.streams), function (s) {
                    return [s.name, num(s.length), num(s.pending),
                            num(s.lag)];
                }));

            page.push(el('h2', { text: 'Channels' }));
            page.push(list(d.channels).length ? table(
                ['channel', 'push due', 'forced', 'shown SKUs',
                 'last reconciliation', 'drifted', 'complete'],
                d.channels, function (c) {
                    var rc = c.reconcile || {};
                    return [c.name, num(c.dirty), num(c.forced),
                            num(c.shown),
                            c.reconciling ? 'running (' + c.reconciling + ')'
                            : (rc.finished ? ago(rc.finished) : 'never'),
                            num(rc.drifted), rc.complete === '1' ? 'yes'
                            : (rc.finished ? 'no' : '')];
                }) : empty('No channel is configured in this nginx.'));

            page.push(el('h2', { text: 'Ingest (this nginx)' }));
            page.push(list(d.ingest).length ? table(
                ['channel', 'accepted', 'duplicate', 'ignored', 'rejected',
                 'error'], d.ingest, function (c) {
                    return [c.channel, num(c.accepted), num(c.duplicate),
                            num(c.ignored), num(c.rejected), num(c.error)];
                }) : empty('No webhook location yet.'));

            page.push(el('p', { 'class': 'muted',
                                text: 'Refreshes every 5 s; read '
                                      + new Date().toLocaleTimeString() }));
            return page;
        });
    }

    function exceptions(params) {
        var filt = { state: params.state || '', kind: params.kind || '',
                     channel: params.channel || '', sku: params.sku || '' };
        var cursor = params.cursor || '';

        return api('exceptions' + q({ state: filt.state, kind: filt.kind,
                                      channel: filt.channel, sku: filt.sku,
                                      cursor: cursor, limit: PAGE }))
            .then(function (r) {
                var d = r.doc, page = [], form, rows;
                if (d.error) {
                    throw new Error(d.error);
                }
                rows = list(d.rows);
                page.push(el('h1', { text: 'Exceptions' }));

                form = el('form', { 'class': 'filters', id: 'filters' });
                form.appendChild(el('label', {}, 'state',
                    (function () {
                        var s = el('select', { name: 'state' });
                        ['open', 'retried', 'resolved', ''].forEach(
                            function (v) {
                                var o = el('option', { value: v,
                                                       text: v || 'any' });
                                if (v === filt.state) {
                                    o.selected = true;
                                }
                                s.appendChild(o);
                            });
                        return s;
                    }())));
                ['kind', 'channel', 'sku'].forEach(function (k) {
                    var i = el('input', { name: k, maxlength: '512' });
                    i.value = filt[k];
                    form.appendChild(el('label', {}, k, i));
                });
                form.appendChild(el('label', {}, '\u00a0',
                                    el('button', { type: 'submit',
                                                   text: 'Filter' })));
                form.addEventListener('submit', function (ev) {
                    var p = {};
                    ev.preventDefault();
                    ['state', 'kind', 'channel', 'sku'].forEach(function (k) {
                        p[k] = form.elements[k].value.trim();
                    });
                    location.hash = '#/exceptions' + q(p);
                });
                page.push(form);

                page.push(rows.length ? table(
                    ['created', 'state', 'kind', 'channel', 'summary', 'id'],
                    rows, function (e) {
                        return [when(e.created), pill(e.state), e.kind,
                                e.channel, e.summary,
                                { cls: 'id', v: link(e.id, '#/exception/'
                                      + encodeURIComponent(e.id)) }];
                    }) : empty(cursor ? 'No more exceptions match.'
                               : 'No exceptions match these filters.'));

                page.push(pager('#/exceptions', filt, cursor, d.next,
                                d.total));
                return page;
            });
    }

    /* Newest / Older: the cursor is the position the next page starts */
    function pager(base, filt, cursor, next, total) {
        var p = el('div', { 'class': 'pager' });
        if (cursor) {
            p.appendChild(link('\u2190 Newest', base + q(filt)));
        }
        if (next !== false && next !== undefined && next !== null) {
            p.appendChild(link('Older \u2192', base + q(Object.assign(
                {}, filt, { cursor: next }))));
        }
        p.appendChild(el('span', { 'class': 'muted',
                                   text: total + ' in the index' }));
        return p;
    }

    function actionBox(title, buttons, needsReason) {
        var box = el('form', { 'class': 'act', id: 'act' });
        var why = el('textarea', { name: 'reason', maxlength: '1000',
                                   placeholder: 'reason (kept in the audit)'
                                 });
        var row = el('div', { 'class': 'buttons' });

        box.appendChild(el('strong', { text: title }));
        box.appendChild(why);
        buttons.forEach(function (b) {
            var btn = el('button', { type: 'button', id: b.id,
                                     'class': b.cls || '', text: b.text });
            if (!session.csrf) {
                btn.disabled = true;
            }
            btn.addEventListener('click', function () {
                var reason = why.value.trim();
                if (needsReason.indexOf(b.id) >= 0 && !reason) {
                    say('A reason is required: the audit keeps it.', true);
                    why.focus();
                    return;
                }
                btn.disabled = true;
                act(b.what, { id: b.target, reason: reason })
                    .then(function (r) {
                        btn.disabled = false;
                        if (r.status === 200) {
                            say(b.done + ' (audit ' + r.doc.audit + ')');
                            if (b.after && location.hash !== b.after) {
                                keep = true;
                                location.hash = b.after;
                            } else {
                                route();
                            }
                        } else {
                            say('Refused: ' + (r.doc.error || 'HTTP '
                                + r.status), true);
                            if (r.status === 403) {
                                loadSession();
                            }
                        }
                    });
            });
            row.appendChild(btn);
        });
        box.appendChild(row);
        if (!session.csrf) {
            box.appendChild(el('p', { 'class': 'muted', text: 'Actions need '
                + 'an operator name (invsync_console_operator).'
            }));
        }
        return box;
    }

    function exception(id) {
        return api('exception' + q({ id: id })).then(function (r) {
            var d = r.doc, e, page = [];
            if (r.status === 404) {
                return [el('h1', { text: 'Exception' }),
                        empty('No exception ' + id + '.')];
            }
            if (d.error) {
                throw new Error(d.error);
            }
            e = d.exception;
            page.push(el('h1', {}, 'Exception ', pill(e.state)),
                      fields(e, ['data']),
                      el('h2', { text: 'Data' }), pretty(e.data));
            if (e.order) {
                page.push(el('p', {}, link('order ' + e.channel + ':'
                                           + e.order, '#/order/'
                                           + encodeURIComponent(e.channel
                                           + ':' + e.order))));
            }
            if (e.state !== 'resolved') {
                page.push(actionBox('Act on this exception', [
                    { id: 'resolve', text: 'Resolve', what:
                      'exception/resolve', target: e.id,
                      done: 'Resolved' },
                    { id: 'retry', text: 'Retry its cause', cls: 'plain',
                      what: 'exception/retry', target: e.id,
                      done: 'Its cause was delivered again' }
                ], ['resolve']));
            }
            page.push(el('h2', { text: 'Audit trail' }), auditTable(d.audit));
            return page;
        });
    }

    /* ---- routing ---------------------------------------------------- */

    function parse() {
        var h = location.hash.replace(/^#\/?/, '');
        var at = h.indexOf('?');
        var path = at < 0 ? h : h.slice(0, at);
        var params = {};

        if (at >= 0) {
            h.slice(at + 1).split('&').forEach(function (kv) {
                var i = kv.indexOf('=');
                if (i > 0) {
                    params[decodeURIComponent(kv.slice(0, i))] =
                        decodeURIComponent(kv.slice(i + 1));
                }
            });
        }

        at = path.indexOf('/');
        return { page: at < 0 ? path : path.slice(0, at),
                 arg: at < 0 ? '' : decodeURIComponent(path.slice(at + 1)),
                 params: params };
    }

    function route() {
        var r = parse();
        var pages = {
            '': overview, exceptions: exceptions, exception: exception,
            dlq: extra('dlq'), dead: extra('dead'), sku: extra('sku'),
            order: extra('order')
        };
        var draw = pages[r.page] || overview;
        var nav = { exception: 'exceptions', dead: 'dlq', '': 'overview' };

        clearInterval(timer);
        timer = null;

        Array.prototype.forEach.call(document.querySelectorAll('[data-nav]'),
            function (a) {
                a.className = a.getAttribute('data-nav')
                    === (nav[r.page] || r.page) ? 'here' : '';
            });

        function show() {
            return draw(r.arg || r.params, r.params).then(function (nodes) {
                clear(main);
                nodes.forEach(function (n) {
                    main.appendChild(n);
                });
                document.getElementById('clock').textContent =
                    new Date().toLocaleTimeString();
            }, function (err) {
                clear(main);
                main.appendChild(empty('Could not read the console: '
                                       + err.message));
            });
        }

        show();
        if (draw === overview) {
            timer = setInterval(show, 5000);
        }
    }

    document.getElementById('find').addEventListener('submit', function (ev) {
        var what = document.getElementById('find-what').value;
        var text = document.getElementById('find-text').value.trim();
        ev.preventDefault();
        if (text) {
            location.hash = '#/' + what + '/' + encodeURIComponent(text);
        }
    });

    window.addEventListener('hashchange', function () {
        if (!keep) {
            say('');
        }
        keep = false;
        route();
    });

    loadSession().then(route, route);
}());
