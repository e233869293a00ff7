#!/usr/bin/perl

# Tracking end to end: an order placed in the Shopify simulator, its
# orders/create webhook signed into nginx, routed by the worker to a manual
# location, shipped with invsyncctl ship; the track driver moves the
# simulator's fulfillment order from the location Shopify assigned to the
# one invsync shipped from (options.locations) and fulfils it with the
# tracking, planned from the move's answer (no second look); the shipment
# is tracked, once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for ctl map_sku);
use InvsyncSetup qw(hook_locations shopify_req send_req);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test' },
    locations => hook_locations('shopify'));

$t->run;
$t->plan(6);

my $K = 'invsync:{invsync}:';
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test');

# Shopify has the item at 9 (where it assigns the order) and at 10
InvsyncSim::items($t, 'shopify',
    { inventory_item_id => 333, location_id => 9, available => 4,
      sku => 'SKU-C' },
    { inventory_item_id => 333, location_id => 10, available => 4,
      sku => 'SKU-C' });

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { reconcile_s => 0 },
    locations => [ { id => 'desk', kind => 'manual' } ],
    routing => { rules => [ { name => 'default', strategy => 'priority' } ] },
    channels => [ { id => 'shop-eu', type => 'shopify', api_base => $shop,
                    credentials_file => $t->dir . '/shop.token',
                    options => { locations => { desk => 10 } } } ]);

map_sku($t, 'SKU-C', 333, 503);
$t->redis('HSET', "${K}stock:SKU-C", 'on_hand:desk', 4);
run_worker($t, 'w1', $conf);

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:$_[0]")} } }

my $o = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [ { sku => 'SKU-C', quantity => 1 } ]);
my $body = encode_json($o);
my $r = send_req($t, shopify_req('orders/create', 'wh-1', $body));
my $id = "shop-eu:$o->{id}\@desk";
ok(wait_for(30, sub { (ship($id)->{state} // '') eq 'open' }),
   'the order is routed to the manual location')
    or diag(explain [$r, ship($id), $t->read_file('logs/w1.out')]);

my ($rc, $out) = ctl($t, $conf, 'ship', "shop-eu:$o->{id}", '--location',
                     'desk', '--carrier', 'UPS', '--tracking', '1ZTRACK1');
is($rc, 0, 'invsyncctl ship') or diag($out);

ok(wait_for(30, sub { (ship($id)->{state} // '') eq 'tracked' }),
   'the shipment is tracked')
    or diag(explain [ship($id), $t->read_file('logs/w1.out')]);
my @f = grep { $_->{order_id} == $o->{id} }
        @{InvsyncSim::state($t, 'shopify')->{fulfillments}};
is_deeply([scalar @f, $f[0]{location_id}, $f[0]{tracking}[0]{company},
           $f[0]{tracking}[0]{number}],
          [1, 10, 'UPS', '1ZTRACK1'],
          'one Shopify fulfillment, at location 10 (moved from 9), with '
          . 'the tracking') or diag(explain \@f);
is(ship($id)->{tracked_ref}, "gid://shopify/Fulfillment/$f[0]{id}",
   'tracked_ref');
my @looks = grep { ($_->{body} // '') =~ /query Look/ }
            @{InvsyncSim::requests($t, 'shopify')};
is(scalar @looks, 1, 'one look: after the move the plan is made from its '
   . 'answer');

$t->done;
