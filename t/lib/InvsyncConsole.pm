package InvsyncConsole;

# What t/console.t and t/console_browser.t share: the nginx locations of
# a console (a webhook channel, so that the overview has one, and the
# console itself), and a Redis seeded with exactly the shapes the worker
# writes (as t/invsyncctl.t seeds them): heartbeats, streams with their
# group, audit entries and their indexes, dead letters, exceptions, a
# SKU's ledger, mapping and shown quantity, an order, a reconciliation.

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP;
use Time::HiRes qw(time);

our @EXPORT_OK = qw(console_locations seed);

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

1;
