#!/usr/bin/perl

# A WooCommerce order routed to a 3pl location, end to end through nginx,
# the worker and the simulators: the shipment sent to the 3PL simulator
# once (duplicate order webhooks and a replay of the stream change
# nothing), the simulator's "ship" sending the signed order.shipped back
# through nginx, the shipment confirmed, on hand down at that location and
# WooCommerce showing the ledger's quantity; an order without a shipping
# address stalls at once (fulfilment_stalled); a cancelled order's 3PL
# order cancelled.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for map_sku);
use InvsyncSetup qw(hook_locations sb_secrets start_3pl sb_channel
                    tpl_location route_all);

my $J = JSON::PP->new->canonical;

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { sb_secrets(), 'woo.secret' => 'woo&amp;secret',
                 'woo.keys' => 'ck_test:cs_test' },
    locations => hook_locations('woo', 'shipbob'));

$t->run;
$t->plan(16);

my $K = 'invsync:{invsync}:';
my $woo = InvsyncSim::start($t, 'woocommerce',
    webhook_url => $t->url('/hooks/woo'), webhook_secret => 'woo&secret');
my $sb = start_3pl($t);

InvsyncSim::items($t, 'woocommerce',
    { id => 501, sku => 'MUG', manage_stock => JSON::PP::true,
      stock_quantity => 0 });
map_sku($t, 'MUG', 111, 501);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    channels => [ { id => 'woo-main', type => 'woocommerce',
                    api_base => $woo,
                    credentials_file => $t->dir . '/woo.keys',
                    stock => { locations => ['3pl-us'] } },
                  sb_channel($t, $sb) ],
    locations => [ tpl_location(60, 3600) ],
    routing => route_all('3pl-us'));

$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 10);
$t->redis('SADD', "${K}dirty:woo-main", 'MUG');
run_worker($t, 'w1', $conf);

sub woo_shows { InvsyncSim::quantity($t, 'woocommerce', 501) // -1 }
sub field { $t->redis('HGET', "${K}shipment:$_[0]", $_[1]) // '' }
sub sim_orders { InvsyncSim::state($t, '3pl')->{orders} }

ok(wait_for(10, sub { woo_shows() == 10 }), 'WooCommerce shows 10');

my $ship_to = { first_name => 'John', last_name => 'Doe',
                address_1 => '100 N Racine Ave', city => 'Chicago',
                state => 'IL', postcode => '60607', country => 'US' };
my $o = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { sku => 'MUG', quantity => 2 } ], shipping => $ship_to);
my $sid = "woo-main:$o->{id}\@3pl-us";

ok(wait_for(20, sub { field($sid, 'state') eq 'requested' }),
   'routed to the 3PL location, the shipment sent');
my ($so) = grep { $_->{reference_id} eq $sid } @{sim_orders()};
ok($so && $so->{creates} == 1, 'the 3PL has it once, by the shipment id');
is(field($sid, 'provider_ref'), $so->{id}, 'provider_ref');
ok(wait_for(10, sub { woo_shows() == 8 }), 'WooCommerce shows 8: reserved');

# the same order again, and the whole stream replayed: nothing new

for my $e (@{$t->stream('invsync:orders')}) {
    $t->redis('XADD', 'invsync:orders', '*', %{$e->[1]},
              replay_of => $e->[0]);
}
sleep 1.5;
is(scalar(grep { $_->{reference_id} eq $sid } @{sim_orders()}), 1,
   'a replay: still one 3PL order');
is($so->{creates}, (grep { $_->{reference_id} eq $sid }
                    @{sim_orders()})[0]{creates}, 'and no second create');

# the 3PL ships: its signed notice back through nginx

InvsyncSim::call($t, '3pl', 'ship', reference_id => $sid,
                 tracking_number => '9400111', carrier => 'USPS', times => 2);
ok(wait_for(20, sub { field($sid, 'state') eq 'shipped'
                      || field($sid, 'state') eq 'tracked' }),
   'the notice confirmed the shipment');
is_deeply([map { field($sid, $_) } qw(carrier tracking)], ['USPS', '9400111'],
          'with its tracking');
is($t->redis('HGET', "${K}stock:MUG", 'on_hand:3pl-us'), 8,
   'on hand down by 2 at the 3PL location');
ok(wait_for(10, sub { woo_shows() == 8 }), 'WooCommerce shows the ledger: 8');
sleep 1;
is($t->redis('HGET', "${K}stock:MUG", 'on_hand:3pl-us'), 8,
   'the notice twice: one movement');

# an order with no address cannot be sent: stalled at once

my $o2 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { sku => 'MUG', quantity => 1 } ]);
my $sid2 = "woo-main:$o2->{id}\@3pl-us";
ok(wait_for(20, sub { field($sid2, 'state') eq 'stalled' }),
   'no shipping address: stalled');
is($t->redis('HGET', "${K}exception:fulfilment_stalled:woo-main:$sid2",
             'state'), 'open', 'a fulfilment_stalled exception');

# cancelled before shipping: the 3PL order is cancelled

my $o3 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { sku => 'MUG', quantity => 1 } ], shipping => $ship_to);
my $sid3 = "woo-main:$o3->{id}\@3pl-us";
ok(wait_for(20, sub { field($sid3, 'state') eq 'requested' }), 'sent');
# WooCommerce's order.updated with status cancelled, as its webhook stores
# it (the simulator has no call to cancel an order)
my ($e3) = grep { ($_->[1]{topic} // '') eq 'order.created'
                  && $J->decode($_->[1]{body})->{id} == $o3->{id} }
           @{$t->stream('invsync:orders')};
my $b3 = $J->decode($e3->[1]{body});
$b3->{status} = 'cancelled';
$b3->{date_modified_gmt} = '2099-01-01T00:00:00';
$b3->{date_modified} = '2099-01-01T00:00:00';
$t->redis('XADD', 'invsync:orders', '*', %{$e3->[1]},
          topic => 'order.updated', event => "cancel-$o3->{id}",
          body => $J->encode($b3));
ok(wait_for(20, sub {
       my ($x) = grep { $_->{reference_id} eq $sid3 } @{sim_orders()};
       $x && $x->{status} eq 'Cancelled' }),
   'the order cancelled: its 3PL order cancelled');

$t->done;
