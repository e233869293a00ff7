#!/usr/bin/perl

# The restock rules through nginx and the worker (docs/returns.md): a
# Shopify refund with restock_type "return" of a routed order goes back
# where the order shipped from (wh-b, not the first location), once,
# delivered 5 times one after another and 5 times in parallel; a
# cancellation before shipment and its "cancel" refund leave on hand as it
# was (the release gave the units back); a SKU tagged perishable is not
# restocked; every line's decision is one refund.restock audit entry with
# its reason.  Damaged units: ledger.lua's restock into damaged:<loc>,
# shown by `invsyncctl stock get` and never available to a channel.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries ctl map_sku);
use InvsyncSetup qw(hook_locations shopify_req send_req shopify_order);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush' },
    locations => hook_locations('shopify'));
$t->run;
$t->plan(22);

my $K = 'invsync:{invsync}:';
my $json = JSON::PP->new->canonical;

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    locations => [ { id => 'wh-a' }, { id => 'wh-b' } ],
    routing => { rules => [ { name => 'default', strategy => 'priority' } ] },
    returns => { restock_on => 'refund',
                 never_restock_tags => ['perishable', 'hygiene'] });

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
map_sku($t, 'SKU-C', 333, 503);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 5);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh-b', 5);
$t->redis('HSET', "${K}stock:SKU-C", 'on_hand:wh-a', 5);
$t->redis('HSET', "${K}sku:SKU-C", 'tags', 'dairy,perishable');

run_worker($t, 'w1', $conf);

my $wh = 0;

sub hook {
    my ($topic, $body, $id) = @_;
    return shopify_req($topic, $id // 'wh-' . ++$wh, $body);
}

sub send_hook { send_req($t, hook(@_)) }

sub order {
    my (%o) = @_;
    return encode_json(shopify_order(id => $o{id}, total => '18.00',
        updated_at => $o{updated} // '2026-11-20T10:00:00+01:00',
        cancelled_at => $o{cancelled}, line_items => $o{lines},
        refunds => $o{refunds} // []));
}

sub line {
    my ($id, $sku, $qty) = @_;
    return { id => $id, sku => $sku, quantity => $qty, price => '9.00',
             title => $sku, product_id => 7, variant_id => $id };
}

sub refund {
    my ($id, $order, $line, $sku, $qty, $type) = @_;
    return { id => $id, order_id => $order,
             created_at => '2026-11-22T09:00:00Z',
             processed_at => '2026-11-22T09:00:00Z',
             refund_line_items => [
                 { id => $id + 1, line_item_id => $line, quantity => $qty,
                   restock_type => $type, subtotal => '9.00',
                   line_item => { id => $line, sku => $sku } } ],
             transactions => [ { kind => 'refund', status => 'success',
                                 amount => '9.00', currency => 'EUR' } ] };
}

sub ledger {
    my ($sku) = @_;
    my %h = @{$t->redis('HGETALL', "${K}stock:$sku")};
    return { map { $_ => $h{$_} + 0 } grep { $h{$_} != 0 } keys %h };
}

sub decisions {
    my ($order) = @_;
    return [map { $json->decode($_->{decision}) }
            grep { ($_->{action} // '') eq 'refund.restock'
                   && ($_->{order} // '') eq $order } @{audit_entries($t)}];
}

sub alloc {
    my ($order) = @_;
    return { @{$t->redis('HGETALL', "${K}alloc:$order")} };
}

sub fulfil {
    my ($order, $id, @lines) = @_;
    my $ful = decode_json($t->read_file(
        $t->root . '/t/fixtures/shopify/fulfillments_create/body.json'));
    $ful->{order_id} = $order;
    $ful->{id} = $id;
    $ful->{line_items} = \@lines;
    return send_hook('fulfillments/create', encode_json($ful));
}

###############################################################################
# a routed order shipped from wh-b; its return goes back to wh-b, once

is(send_hook('orders/create', order(id => 701,
                                    lines => [ line(7101, 'SKU-B', 2) ]))
   ->{status}, 200, 'an order for SKU-B, stocked at wh-b only');
ok(wait_for(20, sub { alloc('shop-eu:701')->{held} }), 'routed to wh-b');
is(fulfil(701, 9701, line(7101, 'SKU-B', 2))->{status}, 200,
   'its fulfilment');
ok(wait_for(20, sub { (ledger('SKU-B')->{'on_hand:wh-b'} // 0) == 3 }),
   'shipped from wh-b') or diag($t->read_file('logs/w1.out'));

my $r1 = encode_json(refund(7801, 701, 7101, 'SKU-B', 1, 'return'));
my $ok = 0;
for my $i (1 .. 5) {
    $ok++ if send_hook('refunds/create', $r1, "r-7801-$i")->{status} == 200;
}
my @par = $t->parallel(map { [hook('refunds/create', $r1, "r-7801-p$_")] }
                       1 .. 5);
$ok += grep { $_->{status} == 200 } @par;
is($ok, 10, 'the refund delivered 10 times (5 in a row, 5 in parallel)');
ok(wait_for(20, sub { grep { ($_->{action} // '') eq 'refund.record'
                             && ($_->{event} // '') eq 'r-7801-p5' }
                      @{audit_entries($t)} }),
   'the last delivery handled') or diag($t->read_file('logs/w1.out'));
ok(wait_for(20, sub { @{decisions('shop-eu:701')} >= 1 }), 'decided');
is_deeply(ledger('SKU-B'), { 'on_hand:wh-b' => 4 },
          'one unit back at wh-b, where it shipped from; none at wh-a');
my $d = decisions('shop-eu:701');
is(scalar(@$d), 1, 'one refund.restock entry for the line');
is_deeply([ @{$d->[0]}{qw(restock reason bucket location location_from)} ],
          [ JSON::PP::true, 'channel_restocked', 'on_hand', 'wh-b',
            'shipped' ], 'its decision and why');

###############################################################################
# cancelled before shipment: the release gave the units back, the
# "cancel" refund restocks nothing

is(send_hook('orders/create', order(id => 702,
                                    lines => [ line(7201, 'SKU-A', 2) ]))
   ->{status}, 200, 'an order for SKU-A');
ok(wait_for(20, sub { alloc('shop-eu:702')->{held} }), 'routed to wh-a');
my $cref = refund(7802, 702, 7201, 'SKU-A', 2, 'cancel');
send_hook('orders/cancelled', order(id => 702,
    lines => [ line(7201, 'SKU-A', 2) ], cancelled => '2026-11-22T09:00:00Z',
    updated => '2026-11-22T09:00:00Z', refunds => [$cref]));
send_hook('refunds/create', encode_json($cref));
ok(wait_for(20, sub { @{decisions('shop-eu:702')} >= 1 }),
   'the cancel refund decided') or diag($t->read_file('logs/w1.out'));
is_deeply(ledger('SKU-A'), { 'on_hand:wh-a' => 5 },
          'on hand unchanged, nothing reserved: counted once');
is(decisions('shop-eu:702')->[0]{reason}, 'cancelled_before_shipment',
   'not restocked: cancelled before shipment');

###############################################################################
# a SKU tagged perishable is never restocked

send_hook('orders/create', order(id => 703,
                                 lines => [ line(7301, 'SKU-C', 1) ]));
ok(wait_for(20, sub { alloc('shop-eu:703')->{held} }), 'SKU-C routed');
fulfil(703, 9703, line(7301, 'SKU-C', 1));
ok(wait_for(20, sub { (ledger('SKU-C')->{'on_hand:wh-a'} // 0) == 4 }),
   'shipped');
send_hook('refunds/create',
          encode_json(refund(7803, 703, 7301, 'SKU-C', 1, 'return')));
ok(wait_for(20, sub { @{decisions('shop-eu:703')} >= 1 }), 'decided');
is_deeply([ ledger('SKU-C'),
            @{decisions('shop-eu:703')->[0]}{qw(restock reason tag)} ],
          [ { 'on_hand:wh-a' => 4 }, JSON::PP::false, 'never_restock_tag',
            'perishable' ], 'not restocked: tagged perishable');

###############################################################################
# damaged units: the damaged bucket, visible, never available

my ($rc, $before) = ctl($t, $conf, 'stock', 'get', 'SKU-B', '--json');
my $lua = $t->read_file($t->root . '/src/core/lua/ledger.lua');
$t->redis('EVAL', $lua, 2, "${K}done:ledger:restock:test:dmg",
          "${K}audit", 3600, 1000, $K,
          encode_json({ kind => 'restock', order => 'shop-eu:701',
                        lines => [ { sku => 'SKU-B', qty => 1,
                                     loc => 'wh-b', bucket => 'damaged' } ] }),
          1000, 'action', 'refund.restock');
($rc, my $after) = ctl($t, $conf, 'stock', 'get', 'SKU-B', '--json');
my ($was, $now) = (decode_json($before), decode_json($after));
is_deeply([ $now->{damaged}, $now->{locations}{'wh-b'}, $now->{available} ],
          [ 1, { on_hand => 4, reserved => 0, damaged => 1 },
            $was->{available} ],
          'a damaged unit: shown by stock get, not available')
    or diag($after);
is_deeply([ map { $_->{should_show} } @{$now->{channels}} ],
          [ map { $_->{should_show} } @{$was->{channels}} ],
          'every channel should show what it showed');

is(stop_worker($t, 'w1'), 0, 'worker stops cleanly');

$t->done;
