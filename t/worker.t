#!/usr/bin/perl

# invsync-worker through the real chain: signed webhooks into nginx with
# the module, Redis streams, the worker, and what it leaves behind: order
# state, audit entries and their indexes, exceptions, dead letters.  Also
# ordering (stale updates ignored), a poison entry among good ones, a full
# replay that repeats no effect, retries that end in a dead letter with
# their history, the heartbeat, SIGTERM and `-t`.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries worker_bin ctl);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'shopify.secret' => 'hush' },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }
EOF

$t->run;
$t->plan(31);

my $conf = worker_conf($t, 'worker.json');
run_worker($t, 'w1', $conf);

sub order {
    my (%o) = @_;
    return encode_json({
        id => $o{id}, name => "#$o{id}", email => 'jon@example.com',
        created_at => '2026-11-20T10:00:00+01:00',
        updated_at => $o{updated} // '2026-11-20T10:00:00+01:00',
        currency => 'EUR', total_price => '19.98',
        financial_status => 'paid', cancelled_at => undef,
        customer => { first_name => 'Jon', last_name => "S\x{e9}bastien" },
        line_items => [ { id => 1001, sku => 'SKU-1', quantity => 2,
                          price => '9.99', title => 'Mug',
                          product_id => 7, variant_id => 8 } ],
        shipping_address => { name => 'Jon', address1 => '1 Rue', city =>
                              'Paris', zip => '75001',
                              country_code => 'FR' },
    });
}

sub send_shopify {
    my ($topic, $id, $body) = @_;
    return $t->post('/hooks/shopify', $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, 'hush'),
                    'X-Shopify-Topic' => $topic,
                    'X-Shopify-Webhook-Id' => $id,
                    'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com');
}

# the entries of the event's record action (stock movements have theirs)
sub audit_for {
    my ($event) = @_;
    return [grep { ($_->{event} // '') eq $event
                   && ($_->{action} // '') =~ /\.(record|ignore)$/ }
            @{audit_entries($t)}];
}

# the chain: webhook -> nginx -> Redis -> worker -> audit

is(send_shopify('orders/create', 'd-1', order(id => 501))->{status}, 200,
   'order webhook accepted by nginx');

my $a = wait_for(10, sub { my $x = audit_for('d-1'); @$x ? $x : undef });
is(scalar @{$a // []}, 1, 'one audit entry for the event');
is($a->[0]{action}, 'order.record', 'audit action');
is($a->[0]{result}, 'applied', 'audit result');
is($a->[0]{order}, 'shop-eu:501', 'audit names the order');
is($a->[0]{skus}, 'SKU-1', 'audit names the SKUs');
like($a->[0]{inputs}, qr/"status"/, 'audit keeps the inputs that decided');

my $state = $t->redis('HGET', 'invsync:{invsync}:order:shop-eu:501', 'data');
my $order = decode_json($state // '{}');
is_deeply([@$order{qw(kind order_id currency total_minor)}],
          ['order', '501', 'EUR', 1998], 'canonical order stored');

is(scalar(grep { $_ eq $a->[0]{_id} }
           @{$t->redis('ZRANGE', 'invsync:{invsync}:audit:order:shop-eu:501',
                       0, -1)}), 1, 'audit indexed by order');
ok(scalar(grep { $_ eq $a->[0]{_id} }
           @{$t->redis('ZRANGE', 'invsync:{invsync}:audit:sku:SKU-1', 0, -1)}),
   'audit indexed by SKU');

# ordering: a newer update, then an older one delivered late

send_shopify('orders/updated', 'd-2',
             order(id => 501, updated => '2026-11-20T12:00:00+01:00'));
send_shopify('orders/updated', 'd-3',
             order(id => 501, updated => '2026-11-20T11:00:00+01:00'));

my $stale = wait_for(10, sub { my $x = audit_for('d-3'); @$x ? $x : undef });
is($stale->[0]{result}, 'stale', 'an older update is audited as stale');
is(decode_json($t->redis('HGET', 'invsync:{invsync}:order:shop-eu:501',
                         'data'))->{updated_at},
   '2026-11-20T12:00:00+01:00', 'state never moves backwards');

# a refund for an order never seen: an exception, not a guess

my $refund = encode_json({ id => 9001, order_id => 777,
    created_at => '2026-11-21T10:00:00Z', refund_line_items => [],
    transactions => [] });
send_shopify('refunds/create', 'd-4', $refund);

my $ex = wait_for(10, sub {
    (grep { /^refund_unknown_order:/ }
     @{$t->redis('ZRANGE', 'invsync:{invsync}:exceptions:open', 0, -1)})[0] });
is($ex, 'refund_unknown_order:shop-eu:d-4', 'exception opened');
is($t->redis('HGET', "invsync:{invsync}:exception:$ex", 'state'), 'open',
   'exception state open');

# the order arrives: the worker runs the waiting refund again and resolves
# the exception itself, so an operator's retry has nothing left to do

send_shopify('orders/create', 'd-777', order(id => 777));
is(wait_for(10, sub {
       my $s = $t->redis('HGET', "invsync:{invsync}:exception:$ex", 'state');
       $s eq 'resolved' ? $s : undef }), 'resolved',
   'the order arrives: the refund applied, exception resolved by the worker');
my ($applied) = grep { $_->{action} eq 'refund.record' } @{audit_for('d-4')};
is($applied->{redelivery} // '', $ex, 'the audit links the exception');
my ($rc, $said) = ctl($t, $conf, 'exceptions', 'retry', $ex);
like($said, qr/is resolved \(by invsync-worker: its order arrived\)/,
     'invsyncctl exceptions retry: nothing left to retry');

# poison entries go straight to the dead letters; the rest flows on

$t->redis('XADD', 'invsync:orders', '*', 'v', '1', 'channel', 'ghost',
          'scheme', 'shopify', 'account', '', 'topic', 'orders/create',
          'event', 'p-1', 'received', '1', 'body', '{}');
$t->redis('XADD', 'invsync:orders', '*', 'v', '1', 'channel', 'shop-eu',
          'scheme', 'shopify', 'account', '', 'topic', 'orders/create',
          'event', 'p-2', 'received', '1', 'body', 'not json');
send_shopify('orders/create', 'd-5', order(id => 502));

my $dlq = wait_for(10, sub {
    my $d = $t->stream('invsync:{invsync}:dlq'); @$d >= 2 ? $d : undef });
my %reason = map { $_->[1]{event} => $_->[1]{reason} } @{$dlq // []};
like($reason{'p-1'} // '', qr/unknown channel "ghost"/,
     'unknown channel: dead letter with its reason');
like($reason{'p-2'} // '', qr/JSON/i, 'unparseable body: dead letter');
ok(wait_for(10, sub { @{audit_for('d-5')} }), 'good events flow on');

# a replay of everything repeats no effect

my $before = scalar @{audit_entries($t)};
for my $e (@{$t->stream('invsync:orders')}, @{$t->stream('invsync:refunds')})
{
    my ($stream) = $e->[1]{topic} =~ /^refunds/ ? 'invsync:refunds'
                                                 : 'invsync:orders';
    $t->redis('XADD', $stream, '*', %{$e->[1]}, 'replay_of', $e->[0]);
}
wait_for(10, sub {
    my $i = $t->redis('XINFO', 'GROUPS', 'invsync:orders');
    my %g = @{$i->[0]};
    $g{pending} == 0 && $g{lag} == 0 });
sleep 0.5;
my %per;
$per{($_->{event} // '') . "|$_->{action}"}++ for @{audit_entries($t)};
is(scalar(grep { $_ > 1 } values %per), 0,
   'replay: no action audited twice for one event');
is(scalar @{audit_entries($t)}, $before, 'replay: no new effect')
    or diag(explain [@{audit_entries($t)}[$before .. $#{audit_entries($t)}]]);

# a failing effect is retried, then dead-lettered with its history

$t->redis('SET', 'invsync:{invsync}:order:shop-eu:503', 'not-a-hash');
my $body503 = order(id => 503);
send_shopify('orders/create', 'd-6', $body503);
my $dead = wait_for(15, sub {
    (grep { $_->[1]{event} eq 'd-6' } @{$t->stream('invsync:{invsync}:dlq')})
        [0] });
is($dead->[1]{attempts}, 3, 'dead letter after the configured attempts');
my $hist = decode_json($dead->[1]{history} // '[]');
is(scalar @$hist, 3, 'attempt history kept');
like($hist->[0]{err} // '', qr/WRONGTYPE/, 'history names the failure');
is($dead->[1]{body}, $body503, 'dead letter keeps the body');

# heartbeat and counters

my $hb = decode_json($t->redis('HVALS', 'invsync:{invsync}:workers')->[0]
                     // '{}');
ok($hb->{heartbeat} > time * 1000 - 5000, 'heartbeat published');
# orders of unmapped SKUs count as exceptions (their lines wait for a person)
ok($hb->{counters}{applied} + $hb->{counters}{exceptions} >= 3,
   'counters published');

is(stop_worker($t, 'w1'), 0, 'SIGTERM: exit 0');

# -t refuses a bad configuration with the file, the path and the reason

$t->write_file('bad.json', '{"channels": [], "consumer": {"batch": "x"}}');
my $out = `@{[worker_bin($t)]} -t -c @{[$t->dir]}/bad.json 2>&1`;
is($? >> 8, 1, '-t: bad configuration exits 1');
like($out, qr{bad\.json: \$\.consumer: "batch" must be an integer},
     '-t: names file, path and reason');

$t->done;
