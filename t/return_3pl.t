#!/usr/bin/perl

# A return received at the 3PL (docs/returns.md "RMA", docs/channels/
# shipbob.md "Returns"): an order shipped by the ShipBob simulator (its
# product MUG named "Mug" in ShipBob's catalogue: the return names the
# item by inventory id and that name, matched to the SKU by the
# reference_id invsync sent with the order), its
# RMA opened with invsyncctl, the warehouse processing the parcel (one
# unit restocked, one quarantined, one not in the parcel) and its signed
# return.completed
# through nginx (the shipbob scheme's location) to the worker: the
# resellable unit back on hand at the 3PL location it shipped from, the
# quarantined one in the damaged bucket, the RMA inspected; the same
# notice delivered 5 times (5 webhook ids) restocks once; a notice for an
# RMA invsync does not know is return_unknown and moves nothing; a wrong
# signature is refused by nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for ctl);
use InvsyncSetup qw(hook_locations sb_secrets start_3pl sb_channel
                    tpl_location route_all open_shipment drained);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { sb_secrets() },
    locations => hook_locations('shipbob'));

$t->run;
$t->plan(18);

my $K = 'invsync:{invsync}:';
my $base = start_3pl($t);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    channels => [ { id => 'woo-main', type => 'woocommerce' },
                  sb_channel($t, $base) ],
    locations => [ { id => 'wh-a' }, tpl_location(30, 600) ],
    routing => route_all('3pl-us'),
    returns => { restock_on => 'receipt' });

$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 10);
$t->redis('SET', "${K}skuref:woo-main:sku:MUG", 'MUG');
run_worker($t, 'w1', $conf);

sub field { $t->redis('HGET', "${K}shipment:$_[0]", $_[1]) // '' }
sub stock { my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")}; \%h }
sub entries {
    my ($action) = @_;
    return [grep { ($_->{action} // '') eq $action }
            map { +{ %{$_->[1]} } } @{$t->stream("${K}audit")}];
}
sub settled { drained($t, 'invsync:refunds', $_[0]) }

###############################################################################
# an order shipped by the 3PL (the shipment as ship_open.lua makes it,
# with what routing held for it: the allocation holds its units)

my $sid = open_shipment($t, 1001, line_id => '7', qty => 3, indexed => 1,
    held => 1, order => { currency => 'USD', shipping_method => 'flat_rate',
        lines => [ { channel_line_id => '7', sku => 'MUG', quantity => 3,
                     price_minor => 1250, refs => ['sku:MUG'] } ] });

ok(wait_for(30, sub { field($sid, 'state') eq 'requested' }),
   'the shipment sent to the 3PL') or diag($t->read_file('logs/w1.out'));
InvsyncSim::call($t, '3pl', 'ship', reference_id => $sid,
                 tracking_number => '9400111', carrier => 'USPS');
ok(wait_for(30, sub { field($sid, 'state') =~ /^(shipped|tracked)$/ }),
   'shipped: its order.shipped through nginx');
ok(wait_for(20, sub { stock('MUG')->{'on_hand:3pl-us'} == 7 }),
   'on hand down at the 3PL') or diag(explain [stock('MUG'),
   entries('shipment.confirm'), entries('stock.ship')]);

my ($rc, $out) = ctl($t, $conf, 'return', 'open', '1001', '--channel',
                     'woo-main', '--line', 'MUG:3', '--id', 'RMA-1001');
is($rc, 0, 'the RMA opened') or diag($out);

###############################################################################
# the warehouse processes the parcel (3 announced, 2 in it); its notice,
# 5 times

my $ret = InvsyncSim::call($t, '3pl', 'return', reference_id => 'RMA-1001',
    original_shipment_id => 1, store_order_id => '1001',
    items => [ { sku => 'MUG', quantity => 3,
                 actions => [ { action => 'Restock', quantity => 1 },
                              { action => 'Quarantine', quantity => 1,
                                reason => 'box crushed' } ] } ],
    times => 5, same_id => JSON::PP::false);
is($ret->{deliveries}, 5, 'return.completed sent 5 times, 5 webhook ids');
is_deeply([ map { [ sort keys %$_ ] , $_->{name} } @{$ret->{return}{inventory}} ],
          [ [ qw(action_requested action_taken id name quantity) ], 'Mug' ],
          'it names the item as ShipBob does: inventory id and the '
          . 'product\'s name "Mug", no reference_id or sku');
InvsyncSim::settle($t, '3pl', 30);
my $w = InvsyncSim::webhooks($t, '3pl');
is(scalar(grep { $_->{topic} eq 'return.completed' && $_->{status} == 200 }
          @$w), 5, 'nginx took each of them (200)')
    or diag(explain $w);
ok(wait_for(30, sub { settled(5) }), 'the worker acted on all 5')
    or diag($t->read_file('logs/w1.out'));

is_deeply([ @{stock('MUG')}{qw(on_hand:3pl-us damaged:3pl-us reserved:3pl-us)} ],
          [8, 1, 0],
          'once: the restocked unit on hand at the 3PL it shipped from, '
          . 'the quarantined one in damaged');
is(scalar @{entries('return.restock')}, 3,
   'three return.restock entries, one per line (the missing one too)');
is(scalar @{entries('return.receive')}, 1, 'one return.receive');
my ($crc, $show) = ctl($t, $conf, 'return', 'show', 'RMA-1001', '--json');
my $r = decode_json($show);
my ($rid) = keys %{$r->{receipts}};
is_deeply([ $r->{state}, $rid,
            [ map { [ @$_{qw(sku qty condition bucket location)} ] }
              @{$r->{receipts}{$rid}{lines}} ] ],
          [ 'inspected', "sb-us:$ret->{return}{id}",
            [ [ 'MUG', 1, 'resellable', 'on_hand', '3pl-us' ],
              [ 'MUG', 1, 'damaged', 'damaged', '3pl-us' ],
              [ 'MUG', 1, 'missing', undef, undef ] ] ],
          'the RMA inspected, its receipt the 3PL return, each unit decided')
    or diag($show);
is_deeply([ map { $_->{state} } @{$r->{history}} ],
          [ 'open', 'received', 'inspected' ], 'its history');
is_deeply([ @{$r->{lines}[0]}{qw(qty received restocked damaged missing)} ],
          [ 3, 2, 1, 1, 1 ], 'the line: 2 received, 1 missing from the parcel');

###############################################################################
# a notice for an RMA invsync does not know; a wrong signature

InvsyncSim::call($t, '3pl', 'return', reference_id => 'RMA-NOPE',
    items => [ { sku => 'MUG', quantity => 1,
                 actions => [ { action => 'Restock', quantity => 1 } ] } ]);
ok(wait_for(30, sub {
       grep { ($_->{kind} // '') eq 'return_unknown' }
       map { +{ @{$t->redis('HGETALL', "${K}exception:$_")} } }
       @{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)} }),
   'return_unknown opened') or diag($t->read_file('logs/w1.out'));
is(stock('MUG')->{'on_hand:3pl-us'}, 8, 'and nothing moved');

my $body = '{"id":1,"reference_id":"RMA-1001","status":"Completed"}';
my $res = $t->post('/hooks/shipbob', $body,
                   'webhook-id' => 'msg_forged',
                   'webhook-timestamp' => time,
                   'webhook-signature' => 'v1,' . encode_base64('x' x 32, ''),
                   'x-webhook-topic' => 'return.completed');
is($res->{status}, 401, 'a forged notice: 401');

is(stop_worker($t, 'w1'), 0, 'worker stops cleanly');

$t->done;
