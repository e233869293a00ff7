package InvsyncConsole;

# What t/console.t and t/console_browser.t share: the nginx locations of
# a console (a webhook channel, so that the overview has one, and the
# console itself), and a Redis seeded with exactly the shapes the worker
# writes (as t/invsyncctl.t seeds them): heartbeats, streams with their
# group, audit entries and their indexes, dead letters, exceptions, a
# SKU's ledger, mapping and shown quantity, an order, a reconciliation;
# and with seed_order what became of two orders (routing, shipments,
# refunds, journal), as docs/keys.md and docs/fulfilment.md lay them out.

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP;
use Time::HiRes qw(time);

our @EXPORT_OK = qw(console_locations seed seed_order);

sub console_locations {
    my (%o) = @_;
    my $operator = defined $o{operator}
        ? "            invsync_console_operator $o{operator};\n" : '';
    return <<"EOF";
        location = /hooks/shop {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/hook.secret;
        }

        location /console/ {
            invsync_console;
$operator        }
EOF
}

# Seeds Redis through $t; returns a hash of the ids the tests use.  With
# worker => 1 the consumer group starts after the seeded entries and none
# is left pending, so that a running invsync-worker leaves them alone.
sub seed {
    my ($t, %o) = @_;
    my $P = 'invsync';
    my $K = "$P:{$P}:";
    my $now = int(time * 1000);
    my $h2 = $now - 2 * 3600 * 1000;
    my $h1 = $now - 3600 * 1000;
    my %ids;

    # a fresh heartbeat, and one gone an hour ago
    for my $w (['w-fresh', $now], ['w-old', $h1]) {
        $t->redis('HSET', "${K}workers", $w->[0], encode_json({
            name => $w->[0], host => 'box', pid => 42, state => 'running',
            started => $w->[1] - 60000, heartbeat => $w->[1],
            interval => 2000,
            counters => { read => 7, applied => 5, exceptions => 2 },
            lag => { orders => 3, refunds => 0 } }));
    }

    # the causes of the exceptions, in their stream, with the group
    my @refunds = map { "$h2-$_" } 5 .. 8;
    for my $i (0 .. 3) {
        $t->redis('XADD', "$P:refunds", $refunds[$i], v => 1,
                  channel => 'shop-eu', scheme => 'shopify',
                  account => 'shop-eu.example', topic => 'refunds/create',
                  event => 'evt-r' . ($i + 1), received => $h2,
                  body => '{"order_id":4040,"secret_note":"RAWBODY"}');
    }
    my $from = $o{worker} ? '$' : '0';
    $t->redis('XGROUP', 'CREATE', "$P:refunds", 'invsync', $from);
    $t->redis('XADD', "$P:orders", "$h2-1", v => 1, channel => 'shop-eu',
              scheme => 'shopify', account => 'a', topic => 'orders/create',
              event => 'evt-1', received => $h2, body => '{"id":1001}');
    $t->redis('XGROUP', 'CREATE', "$P:orders", 'invsync', $from);
    $t->redis('XREADGROUP', 'GROUP', 'invsync', 'w-fresh', 'COUNT', 1,
              'STREAMS', "$P:orders", '>') unless $o{worker};

    # exceptions: two open, one resolved, one retried; one about SKU-1
    my @exc = (
        ['refund_unknown_order:shop-eu:evt-r1', 'open', $refunds[0],
         'evt-r1', $h2, 'refund_unknown_order',
         '{"kind":"refund","order_id":"4040","amount_minor":1999}'],
        ['oversold:shop-eu:evt-r2', 'open', $refunds[1], 'evt-r2',
         $h2 + 10, 'oversold',
         '{"sku":"SKU-1","short":2,"order":"1001","channel":"shop-eu"}'],
        ['refund_unknown_order:shop-eu:evt-r3', 'resolved', $refunds[2],
         'evt-r3', $h2 + 20, 'refund_unknown_order', '{}'],
        ['refund_unknown_order:shop-eu:evt-r4', 'retried', $refunds[3],
         'evt-r4', $h2 + 30, 'refund_unknown_order', '{}'],
    );
    for my $e (@exc) {
        my ($id, $state, $entry, $event, $created, $kind, $data) = @$e;
        $t->redis('HSET', "${K}exception:$id", id => $id, state => $state,
                  created => $created, updated => $created, kind => $kind,
                  summary => "a $kind <b>exception</b>",
                  channel => 'shop-eu', event => $event,
                  topic => 'refunds/create', stream => 'refunds',
                  entry => $entry, order => '4040', data => $data,
                  $state eq 'resolved' ? (resolved_by => 'ann',
                                          resolution => 'by hand') : ());
        $t->redis('ZADD', "${K}exceptions:all", $created, $id);
        $t->redis('ZADD', "${K}exceptions:open", $created, $id)
            unless $state eq 'resolved';
    }
    $ids{exceptions} = [map { $_->[0] } @exc];

    # dead letters, their bodies never to be shown
    my $history = encode_json([
        { ts => $h1 - 2000, consumer => 'w-fresh', err => 'push failed: 503' },
        { ts => $h1 - 1000, consumer => 'w-fresh', err => 'push failed: 503' }]);
    my $ndead = $o{dead} // 3;
    for my $i (0 .. $ndead - 1) {
        $t->redis('XADD', "${K}dlq", "$h1-$i", stream => 'orders',
                  entry => "$h2-9$i", channel => 'shop-eu',
                  scheme => 'shopify', account => 'a',
                  topic => 'orders/create', event => "evt-d$i",
                  received => $h2, reason => 'push failed: 503',
                  attempts => 2, history => $history, failed => $h1,
                  consumer => 'w-fresh',
                  body => qq({"id":50$i,"note":"RAWBODY $i"}));
        push @{$ids{dead}}, "$h1-$i";
    }

    # an audit entry of the oversold exception's event, and of an order
    $t->redis('XADD', "${K}audit", "$h2-20", result => 'exception',
              ts => $h2 + 10, action => 'exception.open',
              exception => $exc[1][0], kind => 'oversold',
              channel => 'shop-eu', event => 'evt-r2', order => '',
              skus => 'SKU-1');
    $t->redis('ZADD', "${K}audit:event:shop-eu:evt-r2", $h2 + 10, "$h2-20");
    $t->redis('ZADD', "${K}audit:sku:SKU-1", $h2 + 10, "$h2-20");
    $t->redis('XADD', "${K}audit", "$h2-21", result => 'applied',
              ts => $h2 + 11, action => 'order.record', channel => 'shop-eu',
              event => 'evt-1', topic => 'orders/create', stream => 'orders',
              entry => "$h2-1", order => 'shop-eu:1001', skus => 'SKU-1',
              inputs => '{"status":"paid"}', consumer => 'w-fresh');
    $t->redis('ZADD', "${K}audit:order:shop-eu:1001", $h2 + 11, "$h2-21");
    $t->redis('ZADD', "${K}audit:sku:SKU-1", $h2 + 11, "$h2-21");
    $t->redis('XADD', "${K}audit", "$h2-22", result => 'applied',
              ts => $h2 + 12, action => 'stock.drift', channel => 'shop-eu',
              sku => 'SKU-1', shows => 9, should_show => 7);
    $t->redis('ZADD', "${K}audit:sku:SKU-1", $h2 + 12, "$h2-22");

    # a SKU: two locations, mapped on the channel, a push due
    $t->redis('HSET', "${K}stock:SKU-1", 'on_hand:main', 10,
              'reserved:main', 2, 'on_hand:east', 5, 'reserved:east', 0,
              unrouted => 1);
    $t->redis('HSET', "${K}sku:SKU-1", name => 'Mug <i>blue</i>');
    $t->redis('SADD', "${K}skus", 'SKU-1');
    $t->redis('HSET', "${K}skumap:SKU-1", 'shop-eu', '{"variant":"801"}');
    $t->redis('HSET', "${K}shown:shop-eu", 'SKU-1', 9);
    $t->redis('SADD', "${K}dirty:shop-eu", 'SKU-1');

    # an order, and the channel's last reconciliation
    $t->redis('HSET', "${K}order:shop-eu:1001", version => $h2,
              data => '{"id":"1001","lines":[{"sku":"SKU-1","qty":1}]}',
              updated => $h2);
    $t->redis('HSET', "${K}reconcile:shop-eu", by => 'w-fresh',
              event => "reconcile:$h1", started => $h1, finished => $h1 + 900,
              complete => 1, error => '', pages => 1, checked => 1,
              drifted => 1, missing => 0, unreadable => 0, skipped => 0);

    return \%ids;
}

# Two orders and what became of them, with markup and a javascript: URL
# where a channel or a carrier could put them: shop-eu:2002 routed to two
# locations (order.route, K alloc:), one shipment shipped and one failed
# (K shipments:, K shipment:<id>), refunded twice (a return restocked,
# with its K refund: state and journal entry; and one an order event
# carried, which names no refund id in its audit entry); shop-eu:2003
# unroutable (its decision, its open exception, K route:waiting).  The
# exception is left out of the exception indexes, so that the lists and
# counts of seed() stay as they are.  Returns the audit ids it wrote.
sub seed_order {
    my ($t) = @_;
    my $K = 'invsync:{invsync}:';
    my $now = int(time * 1000);
    my $h = $now - 1800 * 1000;
    my $o = 'shop-eu:2002';
    my %ids;

    my $audit = sub {
        my ($id, $order, %f) = @_;
        $t->redis('XADD', "${K}audit", $id, ts => $h, channel => 'shop-eu',
                  order => $order, consumer => 'w-fresh', %f);
        $t->redis('ZADD', "${K}audit:order:$order", $h, $id);
        return $id;
    };

    $t->redis('HSET', "${K}order:$o", version => $h, updated => $h,
              data => '{"id":"2002","lines":[{"channel_line_id":"1",'
                      . '"sku":"SKU-1","quantity":2},{"channel_line_id":'
                      . '"2","sku":"SKU-2","quantity":1}]}');
    $audit->("$h-1", $o, result => 'applied', action => 'order.record',
             event => 'evt-2002', inputs => '{"status":"paid"}');
    $ids{route} = $audit->("$h-2", $o, result => 'applied',
        action => 'order.route', event => 'evt-2002',
        inputs => encode_json({
            status => 'routed', rule => 'near <i>first</i>',
            default => JSON::PP::false, strategy => 'nearest',
            shipments => 2,
            considered => [ { location => 'main', kept => JSON::PP::true },
                            { location => 'east', kept => JSON::PP::true } ],
            allocation => [ { line => '1', sku => 'SKU-1', location => 'main',
                              qty => 2 },
                            { line => '2', sku => 'SKU-2', location => 'east',
                              qty => 1 } ] }));
    $t->redis('HSET', "${K}alloc:$o", version => $h, seq => 1, ts => $h,
              backorder => 0, audit => $ids{route},
              lines => '[{"line":"1","sku":"SKU-1","loc":"main","qty":2},'
                       . '{"line":"2","sku":"SKU-2","loc":"east","qty":1}]',
              held => '{"main":{"SKU-1":2},"east":{"SKU-2":1}}');

    $t->redis('SADD', "${K}shipments:$o", "$o\@main", "$o\@east");
    $t->redis('HSET', "${K}shipment:$o\@main", order => $o,
              channel => 'shop-eu', order_id => '2002', location => 'main',
              kind => 'warehouse', state => 'shipped', version => $h,
              rule => 'near <i>first</i>',
              lines => '[{"line_id":"1","sku":"SKU-1","qty":2}]',
              carrier => 'DHL', service => 'Express',
              tracking => 'JD<script>1</script>',
              tracking_url => 'javascript:alert(1)',
              label_url => 'https://labels.example/1.pdf',
              cost_minor => 650, currency => 'EUR', provider_ref => 'shp_1',
              opened_at => $h, shipped_at => $h + 60000, attempts => 0);
    $t->redis('HSET', "${K}shipment:$o\@east", order => $o,
              channel => 'shop-eu', order_id => '2002', location => 'east',
              kind => 'warehouse', state => 'failed', version => $h,
              lines => '[{"line_id":"2","sku":"SKU-2","qty":1}]',
              opened_at => $h, attempts => 2,
              last_error => 'HTTP 422: <img src=x onerror=alert(1)>');

    # a return: its record, its line's restock decision, its state, its
    # journal entry
    $ids{refund} = $audit->("$h-3", $o, result => 'applied',
        action => 'refund.record', event => 'evt-rf9',
        topic => 'refunds/create', skus => 'SKU-1',
        inputs => '{"amount_minor":1250,"currency":"EUR","status":'
                  . '"success","order_channel":"shop-eu","matched_by":'
                  . '"own","lines_from":"refund"}');
    $ids{restock} = $audit->("$h-4", $o, result => 'applied',
        action => 'refund.restock', event => 'evt-rf9', skus => 'SKU-1',
        cause => 'restock:shop-eu:rf-9:1',
        inputs => '{"kind":"restock","lines":[{"sku":"SKU-1","qty":1,'
                  . '"loc":"main"}]}',
        decision => '{"sku":"SKU-1","line":"1","quantity":1,"restock":true,'
                    . '"reason":"channel_restocked","bucket":"on_hand",'
                    . '"location":"main","location_from":"shipped",'
                    . '"restock_type":"return"}');
    $t->redis('HSET', "${K}refund:shop-eu:rf-9", version => $h, updated => $h,
              data => '{"refund_id":"rf-9","channel":"shop-eu","currency":'
                      . '"EUR","amount_minor":1250,"lines":[{'
                      . '"channel_line_id":"1","sku":"SKU-1","quantity":1,'
                      . '"restock":true,"restock_type":"return",'
                      . '"amount_minor":1250}]}');
    my $j = $t->redis('XADD', "${K}journal", '*',
        cause => 'refund:shop-eu:rf-9', date => '2026-11-22',
        source => 'shop-eu:evt-rf9',
        lines => '[{"account":"sales_returns","code":"4010","currency":'
                 . '"EUR","amount_minor":1250,"memo":"revenue <b>reversed'
                 . '</b>","sku":"SKU-1"},{"account":"refunds_payable",'
                 . '"code":"2110","currency":"EUR","amount_minor":-1250,'
                 . '"memo":"refund payable","sku":null}]');
    $t->redis('SET', "${K}done:journal:refund:shop-eu:rf-9", $j);
    $ids{journal} = $j;

    # a refund an order event carried: no restock, no id in its entry
    $audit->("$h-5", $o, result => 'applied', action => 'refund.record',
             event => 'evt-2002b', topic => 'orders/updated',
             inputs => '{"amount_minor":0,"currency":"EUR","status":'
                       . '"failed","order_channel":"shop-eu","matched_by":'
                       . '"own","lines_from":"none"}');

    # no location can take it
    my $u = 'shop-eu:2003';
    $t->redis('HSET', "${K}order:$u", version => $h, updated => $h,
              data => '{"id":"2003"}');
    $audit->("$h-6", $u, result => 'exception', action => 'order.route',
             event => 'evt-2003',
             inputs => '{"status":"unroutable","rule":"all","default":false,'
                       . '"strategy":"priority","shipments":0,"unroutable":'
                       . '[{"line":"1","sku":"SKU-1","reason":"no_stock"}]}');
    $t->redis('HSET', "${K}exception:unroutable:$u",
              id => "unroutable:$u", state => 'open', created => $h,
              updated => $h, kind => 'unroutable', channel => 'shop-eu',
              event => 'evt-2003', order => '2003',
              summary => 'no location can fill the order',
              data => '{"order":"shop-eu:2003","reasons":[{"line":"1",'
                      . '"sku":"SKU-1","reason":"no_stock"}]}');
    $t->redis('ZADD', "${K}route:waiting", $h, $u);

    return \%ids;
}

1;
