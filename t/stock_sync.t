#!/usr/bin/perl

# Multi-channel stock sync end to end: the Shopify and WooCommerce
# simulators (t/lib/InvsyncSim.pm) send signed webhooks through nginx with
# the module; invsync-worker keeps the ledger and pushes absolute
# quantities back through the channels' APIs.  Orders reserve at once and
# every channel follows; the inventory webhooks echoing our own pushes
# change nothing; an admin change is corrected or overwritten per channel;
# 50 orders for the last 10 units from two channels leave the ledger exact,
# 40 units oversold in exceptions and every channel at 0; duplicates and
# replays change nothing; a channel down for a minute is caught up.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries worker_bin map_sku);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => {
        'shop.secret' => 'shpss_hook_secret',
        'woo.secret'  => 'woo&amp;secret',
        'shop.token'  => 'shpat_test',
        'woo.keys'    => 'ck_test:cs_test',
    },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shop.secret;
        }

        location = /hooks/woo {
            invsync_webhook woocommerce;
            invsync_channel woo-main;
            invsync_secret_file %%TESTDIR%%/woo.secret;
        }
EOF
$t->run;
$t->plan(43);

my $hooks = 'http://127.0.0.1:' . $t->port('http');
my $shop = InvsyncSim::start($t, 'shopify',
    webhook_url => "$hooks/hooks/shopify",
    webhook_secret => 'shpss_hook_secret');
my $woo = InvsyncSim::start($t, 'woocommerce',
    webhook_url => "$hooks/hooks/woo", webhook_secret => 'woo&secret');

InvsyncSim::items($t, 'shopify',
    { inventory_item_id => 111, location_id => 9, available => 0,
      sku => 'SKU-A' },
    { inventory_item_id => 222, location_id => 9, available => 0,
      sku => 'SKU-B' });
InvsyncSim::items($t, 'woocommerce',
    { id => 501, sku => 'SKU-A', manage_stock => JSON::PP::true,
      stock_quantity => 0 },
    { id => 502, sku => 'SKU-B', manage_stock => JSON::PP::true,
      stock_quantity => 0 },
    { id => 503, sku => 'KIT', manage_stock => JSON::PP::true,
      stock_quantity => 0 });
InvsyncSim::items($t, 'shopify',
    { inventory_item_id => 333, location_id => 9, available => 0,
      sku => 'KIT' });

my $K = 'invsync:{invsync}:';

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);

# worker.json: both channels from wh1; the reconciliation pass every
# $reconcile seconds (0: off); WooCommerce's admin changes taken as
# corrections or (undef) overwritten
sub write_conf {
    my ($reconcile, $woo_external) = @_;
    return worker_conf($t, 'worker.json',
        consumer => { block_ms => 50, claim_idle_ms => 5000 },
        limits => { heartbeat_ms => 200, reconcile_s => $reconcile },
        retry => { attempts => 5, base_ms => 50, max_ms => 1000 },
        locations => [ { id => 'wh1' } ],
        channels => [
            { id => 'shop-eu', type => 'shopify', api_base => $shop,
              credentials_file => $t->dir . '/shop.token',
              stock => { locations => ['wh1'] } },
            { id => 'woo-main', type => 'woocommerce', api_base => $woo,
              credentials_file => $t->dir . '/woo.keys',
              stock => { locations => ['wh1'],
                         $woo_external ? (external_changes => $woo_external)
                                       : () } },
        ]);
}

my $conf = write_conf(0, undef);
run_worker($t, 'w', $conf);

sub shown {
    my ($sku) = @_;
    my %item = ('SKU-A' => [111, 501], 'SKU-B' => [222, 502]);
    return (InvsyncSim::quantity($t, 'shopify', $item{$sku}[0], 9) // -1,
            InvsyncSim::quantity($t, 'woocommerce', $item{$sku}[1]) // -1);
}

sub both_show {
    my ($sku, $want, $secs) = @_;
    return wait_for($secs // 10, sub {
        my ($s, $w) = shown($sku);
        $s == $want && $w == $want });
}

sub ledger {
    my ($sku) = @_;
    return { @{$t->redis('HGETALL', "${K}stock:$sku")} };
}

# a stock count, as the operator's invsyncctl stock set makes it
sub count {
    my ($sku, $qty) = @_;
    $t->redis('HSET', "${K}stock:$sku", 'on_hand:wh1', $qty);
    $t->redis('SADD', "${K}dirty:$_", $sku) for qw(shop-eu woo-main);
}

count('SKU-A', 20);
count('SKU-B', 10);
ok(both_show('SKU-A', 20) && both_show('SKU-B', 10),
   'the counted stock reaches both channels');

# an order on Shopify reserves at once; both channels follow

my $t0 = time;
InvsyncSim::order($t, 'shopify',
    line_items => [ { sku => 'SKU-A', quantity => 3 } ]);
ok(both_show('SKU-A', 17), 'a Shopify order: both channels show 17');
my $took = time - $t0;
ok($took < 5, sprintf 'propagated in %.0f ms', $took * 1000);
is(ledger('SKU-A')->{unrouted}, 3, 'the ledger holds 3 reserved');

# the channels echo our pushes: nothing changes

sleep 1;
my @adjust = grep { ($_->{action} // '') eq 'stock.adjust' }
             @{audit_entries($t)};
is(scalar @adjust, 0, 'inventory webhooks of our own pushes change nothing');
my @echo = grep { ($_->{action} // '') eq 'inventory.observe'
                  && ($_->{inputs} // '') =~ /"decision":"(echo|consistent)"/ }
           @{audit_entries($t)};
ok(scalar @echo, 'and are audited as echoes');

# an admin change in Shopify (default: ignored, the ledger wins)

InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 111,
                      location_id => 9, available => 40);
ok(wait_for(10, sub { (shown('SKU-A'))[0] == 17 }),
   'a Shopify admin change is overwritten with the ledger\'s value');
is(ledger('SKU-A')->{'on_hand:wh1'}, 20, 'the ledger did not move');

# WooCommerce set to take admin changes as corrections, by a reload

write_conf(0, 'correct');
kill 'HUP', $t->{pids}{w};
ok(wait_for(5, sub { $t->read_file('logs/w.out') =~ /configuration reloaded/ }),
   'SIGHUP reloads the configuration');

InvsyncSim::admin_set($t, 'woocommerce', id => 501, stock_quantity => 12);
ok(both_show('SKU-A', 12), 'a WooCommerce admin change is taken as a '
   . 'correction and reaches Shopify')
    or diag(explain [shown('SKU-A'), ledger('SKU-A'),
                     $t->redis('HGETALL', "${K}shown:woo-main"),
                     [map { "$_->{action} $_->{inputs}" }
                      grep { ($_->{channel} // '') eq 'woo-main' }
                      @{audit_entries($t)}]]);
is(ledger('SKU-A')->{'on_hand:wh1'}, 15, 'on hand corrected by -5');

# a bundle (2 x SKU-A) has no stock of its own: an admin change of its
# quantity in WooCommerce, even taken as corrections, is overwritten and
# moves no component

my ($rc, $said) = InvsyncWorker::ctl($t, $t->dir . '/worker.json', 'sku',
                                     'bundle', 'KIT', '--components',
                                     'SKU-A:2');
is($rc, 0, 'a bundle of 2 x SKU-A') or diag($said);
map_sku($t, 'KIT', 333, 503);
$t->redis('SADD', "${K}dirty:$_", 'KIT') for qw(shop-eu woo-main);

sub kit_shown {
    return (InvsyncSim::quantity($t, 'shopify', 333, 9) // -1,
            InvsyncSim::quantity($t, 'woocommerce', 503) // -1);
}

ok(wait_for(10, sub { my @k = kit_shown(); $k[0] == 6 && $k[1] == 6 }),
   'both channels show the bundle: 12 available / 2')
    or diag(explain [kit_shown()]);
InvsyncSim::admin_set($t, 'woocommerce', id => 503, stock_quantity => 50);
ok(wait_for(10, sub { scalar grep { ($_->{action} // '') eq 'inventory.observe'
                                    && ($_->{channel} // '') eq 'woo-main'
                                    && ($_->{inputs} // '')
                                       =~ /"decision":"overwrite"/
                                    && $_->{inputs} =~ /"available":50\b/ }
                      @{audit_entries($t)} }),
   'the bundle\'s admin change is audited as overwritten')
    or diag(explain [map { "$_->{action} $_->{skus} $_->{inputs}" }
                     grep { ($_->{action} // '') eq 'inventory.observe' }
                     @{audit_entries($t)}]);
ok(wait_for(10, sub { (kit_shown())[1] == 6 }),
   'WooCommerce shows the bundle\'s quantity again');
is(ledger('SKU-A')->{'on_hand:wh1'}, 15, 'no component moved');

# back to the default before orders flow again: WooCommerce counts its own
# orders, which the ledger counts too; and the reconciliation pass on (off
# above: a pass reading a channel between an admin change and its webhook
# would take the change for drift)
write_conf(3, undef);
kill 'HUP', $t->{pids}{w};
sleep 0.5;

# duplicated and replayed webhooks change nothing

my $before = ledger('SKU-A');
for my $e (@{$t->stream('invsync:orders')}) {
    $t->redis('XADD', 'invsync:orders', '*', %{$e->[1]},
              'replay_of', $e->[0]);
}
sleep 1.5;
is_deeply(ledger('SKU-A'), $before, 'a replay of every order moves nothing');

# the race: 50 orders for the last 10 units, from both channels at once

for my $i (1 .. 25) {
    InvsyncSim::order($t, 'shopify',
        line_items => [ { sku => 'SKU-B', quantity => 1 } ]);
    InvsyncSim::order($t, 'woocommerce',
        line_items => [ { product_id => 502, quantity => 1 } ]);
}
ok(wait_for(20, sub { (ledger('SKU-B')->{unrouted} // 0) == 50 }),
   'all 50 orders reserved');
# WooCommerce counts its own orders too, and a stock webhook identical to
# an earlier one within its one-second grain is deduplicated: the
# reconciliation pass (limits.reconcile_s) brings it back to 0
ok(both_show('SKU-B', 0, 15), 'every channel shows 0')
    or diag(explain [shown('SKU-B'), ledger('SKU-B'),
                     [map { "$_->{action} $_->{inputs}" }
                      grep { ($_->{channel} // '') eq 'woo-main'
                             && ($_->{action} // '') =~ /push|observe/ }
                      @{audit_entries($t)}],
                     [map { join ' ', map { $_ // '-' }
                              @$_{qw(topic status error body)} }
                      @{InvsyncSim::webhooks($t, 'woocommerce')}[-6 .. -1]]]);
my $short = 0;
for my $id (@{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)}) {
    next unless $id =~ /^oversold:/;
    my $d = decode_json($t->redis('HGET', "${K}exception:$id", 'data'));
    $short += $d->{short};
}
is($short, 40, '40 units oversold in exceptions');
is(ledger('SKU-B')->{'on_hand:wh1'}, 10, 'on hand untouched by orders');

# Redis lost its scripts (SCRIPT FLUSH, a restart, a failover): the order,
# read in a pipelined batch, gets NOSCRIPT there, is run again alone
# (EVAL) and is reserved once

sub retried {
    my %hb = @{$t->redis('HGETALL', "${K}workers") || []};
    my $n = 0;
    $n += eval { decode_json($_)->{counters}{retried} } // 0 for values %hb;
    return $n;
}

sleep 0.3;                         # a fresh heartbeat
my $retried = retried();
$t->redis('SCRIPT', 'FLUSH');
InvsyncSim::order($t, 'shopify',
    line_items => [ { sku => 'SKU-B', quantity => 1 } ]);
ok(wait_for(10, sub { (ledger('SKU-B')->{unrouted} // 0) == 51 }),
   'an order after SCRIPT FLUSH is reserved');
sleep 0.5;
is(ledger('SKU-B')->{unrouted}, 51, 'and only once');
is(retried(), $retried, 'without a retry: run again alone at once');

# WooCommerce has no fulfilment webhook: an order completed is shipped
# (its canonical event says "shipped"), what it reserved is consumed

my $a0 = ledger('SKU-A');
InvsyncSim::order($t, 'woocommerce', status => 'completed',
    line_items => [ { product_id => 501, quantity => 2 } ]);
ok(wait_for(10, sub { (ledger('SKU-A')->{'on_hand:wh1'} // 0)
                      == ($a0->{'on_hand:wh1'} // 0) - 2 }),
   'a completed WooCommerce order ships: 2 fewer on hand')
    or diag(explain [$a0, ledger('SKU-A')]);
is(ledger('SKU-A')->{unrouted} // 0, $a0->{unrouted} // 0,
   'and what it reserved is consumed');

# a channel down for a minute: caught up after, with no operator; the
# alarm it raised while it kept failing goes away with it

sub push_failing {
    my ($state) = @_;
    return grep { ($t->redis('HGET', "${K}exception:$_", 'state') // '')
                  eq $state }
           map { /:exception:(push_failing:woo-main:\d+)$/ ? $1 : () }
           @{$t->redis('KEYS', "${K}exception:*") || []};
}

InvsyncSim::fail($t, 'woocommerce', mode => 'down', seconds => 60);
my $down = time;
count('SKU-A', 30);
ok(wait_for(10, sub { (shown('SKU-A'))[0] == 27 }),
   'Shopify follows while WooCommerce is down');
ok(wait_for(40, sub { push_failing('open') }),
   'a push that keeps failing opens an exception');
count('SKU-A', 31);
ok(wait_for(10, sub { (shown('SKU-A'))[0] == 28 }),
   'stock moves on during the outage');
ok(both_show('SKU-A', 28, 120), 'WooCommerce caught up after a minute down')
    or diag(explain [shown('SKU-A')]);
ok(time - $down >= 55, sprintf 'it was down for %.0f s', time - $down);
ok(wait_for(5, sub { !push_failing('open') && push_failing('resolved') }),
   'and its exception was resolved by the worker');

like($t->read_file('logs/w.out'),
     qr/"msg":"channel push will be retried"[^\n]*"channel":"woo-main"/,
     'the pushes that failed while it was down were retried');

# a reload while a push is in flight loses nothing: the push's SKU goes
# back to the dirty set and is sent again

my $n0 = @{InvsyncSim::requests($t, 'woocommerce')}
         ? InvsyncSim::requests($t, 'woocommerce')->[-1]{n} : 0;
sub woo_pushes_of_a {
    return scalar grep { $_->{path} =~ m{/products/batch}
                         && ($_->{body} // '') =~ /"id":501\b/ }
           @{InvsyncSim::requests($t, 'woocommerce', $n0)};
}
InvsyncSim::fail($t, 'woocommerce', mode => 'delay', delay_ms => 3000,
                 count => 1, match => 'products/batch');
count('SKU-A', 60);
ok(wait_for(10, sub { woo_pushes_of_a() >= 1 }), 'a push to WooCommerce '
   . 'is in flight (its answer held back 3 s)');
kill 'HUP', $t->{pids}{w};
ok(wait_for(10, sub { woo_pushes_of_a() >= 2 }),
   'after the reload the same SKU is pushed again');
ok(both_show('SKU-A', 57), 'and both channels show it');

# coalescing: many movements, few API calls

my $calls0 = scalar @{InvsyncSim::requests($t, 'shopify')};
count('SKU-A', 30 + $_) for 1 .. 20;
ok(both_show('SKU-A', 47), 'after 20 quick counts both show the last');
my $calls = scalar @{InvsyncSim::requests($t, 'shopify')} - $calls0;
ok($calls < 20, "coalesced: $calls Shopify calls for 20 movements");

my @push = grep { ($_->{action} // '') eq 'stock.push' } @{audit_entries($t)};
ok(scalar @push, 'pushes are audited');

# a change the channel never told: invsyncctl reconcile puts it right
# (the periodic pass off, so that only the command can)

write_conf(0, undef);
kill 'HUP', $t->{pids}{w};
sleep 0.5;
InvsyncSim::configure($t, 'woocommerce', webhook_url => undef);
InvsyncSim::admin_set($t, 'woocommerce', id => 501, stock_quantity => 3);
sleep 1;
is((shown('SKU-A'))[1], 3, 'WooCommerce drifted silently');
($rc, $said) = InvsyncWorker::ctl($t, $t->dir . '/worker.json',
                                     'reconcile', '--why', 'drill');
is($rc, 0, 'invsyncctl reconcile') or diag($said);
ok(both_show('SKU-A', 47), 'reconciled: WooCommerce shows the ledger again')
    or diag(explain [shown('SKU-A'), $said,
                     $t->redis('HGET', "${K}shown:woo-main", 'SKU-A'),
                     $t->redis('SMEMBERS', "${K}dirty:woo-main"),
                     $t->redis('SMEMBERS', "${K}force:woo-main"),
                     $t->redis('LRANGE', "${K}pushed:woo-main:SKU-A", 0, -1),
                     ledger('SKU-A'),
                     [map { "$_->{n} $_->{time} $_->{method} $_->{path} "
                            . ($_->{status} // '') . ' '
                            . substr($_->{body} // '', 0, 200) }
                      @{InvsyncSim::requests($t, 'woocommerce')}[-6 .. -1]]]);

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
