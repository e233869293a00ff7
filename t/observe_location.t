#!/usr/bin/perl

# inventory.observe and the location of a stock level, end to end: the
# Shopify, Square and WooCommerce simulators (t/lib/InvsyncSim.pm) send
# signed webhooks through nginx with the module to invsync-worker, whose
# channels take changes made in their admin as corrections.  A SKU is
# pushed to one location of a channel (its mapping's): a level there is a
# correction as before; a level at another location of the channel, one
# the channel's map gives a ledger location (Shopify options.locations,
# Square options.ledger_locations) or one invsync does not manage at all,
# is audited other_location with its location and moves nothing, also
# when it shows a value invsync pushed (it is no echo); a level without a
# location (WooCommerce) is a correction as before.  A Square notice of
# several counts is judged count by count: ours, behind another store's,
# another item's and a SOLD count, is a correction, the others ignored
# with their reasons (other_location, unmapped, not_available).

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
                     audit_entries ctl map_sku);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => {
        'shop.secret'   => 'shpss_hook_secret',
        'shop.token'    => 'shpat_test',
        'woo.secret'    => 'woo&amp;secret',
        'woo.keys'      => 'ck_test:cs_test',
        'square.secret' => 'sq_Sig-Key_123',
        'square.token'  => 'EAAAEtest_token',
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

        location = /hooks/square {
            invsync_webhook square;
            invsync_channel sq-main;
            invsync_secret_file %%TESTDIR%%/square.secret;
            invsync_notification_url http://127.0.0.1:%%PORT%%/hooks/square;
        }
EOF
$t->run;
$t->wait_ready;
$t->plan(31);

my $hooks = 'http://127.0.0.1:' . $t->port('http');

# one inventory item at three Shopify locations: 9 (the SKU's, wh1), 10
# (wh2's by options.locations) and 11 (no ledger location's)
my $shop = InvsyncSim::start($t, 'shopify',
    webhook_url => "$hooks/hooks/shopify",
    webhook_secret => 'shpss_hook_secret',
    items => [
        { inventory_item_id => 111, location_id => 9, available => 0,
          sku => 'SKU-A' },
        { inventory_item_id => 111, location_id => 10, available => 4,
          sku => 'SKU-A' },
        { inventory_item_id => 111, location_id => 11, available => 2,
          sku => 'SKU-A' },
    ]);
my $woo = InvsyncSim::start($t, 'woocommerce',
    webhook_url => "$hooks/hooks/woo", webhook_secret => 'woo&secret',
    items => [ { id => 501, sku => 'SKU-A', manage_stock => JSON::PP::true,
                 stock_quantity => 0 } ]);
# one variation at three Square locations: LOC1 (the SKU's, wh1), LOC2
# (wh2's by options.ledger_locations), LOC3 (no ledger location's); and
# VARB, an item no SKU maps, at LOC1
my $sq = InvsyncSim::start($t, 'square', webhook_url => "$hooks/hooks/square",
    webhook_secret => 'sq_Sig-Key_123', merchant_id => 'MSIMSQUARE1',
    items => [ (map { { catalog_object_id => 'VARA', location_id => $_,
                        quantity => 0, sku => 'SKU-A' } }
                qw(LOC1 LOC2 LOC3)),
               { catalog_object_id => 'VARB', location_id => 'LOC1',
                 quantity => 3, sku => 'SKU-B' } ]);

my $K = 'invsync:{invsync}:';

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { heartbeat_ms => 200, reconcile_s => 0 },
    retry => { attempts => 5, base_ms => 50, max_ms => 1000 },
    locations => [ { id => 'wh1' }, { id => 'wh2' } ],
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          options => { locations => { wh1 => 9, wh2 => 10 } },
          stock => { locations => ['wh1'], external_changes => 'correct' } },
        { id => 'woo-main', type => 'woocommerce', api_base => $woo,
          credentials_file => $t->dir . '/woo.keys',
          stock => { locations => ['wh1'], external_changes => 'correct' } },
        { id => 'sq-main', type => 'square', api_base => $sq,
          credentials_file => $t->dir . '/square.token',
          options => { ledger_locations => { LOC1 => 'wh1',
                                             LOC2 => 'wh2' } },
          stock => { locations => ['wh1'], external_changes => 'correct' } },
    ]);

map_sku($t, 'SKU-A', 111, 501);
my ($rc, $said) = ctl($t, $conf, 'sku', 'map', 'SKU-A', '--channel',
                      'sq-main', '--variation-id', 'VARA',
                      '--location', 'LOC1');
is($rc, 0, 'SKU-A mapped on Square at LOC1') or diag($said);

run_worker($t, 'w', $conf);

sub shopify { InvsyncSim::quantity($t, 'shopify', 111, $_[0]) // -1 }
sub square { InvsyncSim::quantity($t, 'square', 'VARA', $_[0]) // -1 }
sub woo { InvsyncSim::quantity($t, 'woocommerce', 501) // -1 }

sub all_show {
    my ($want) = @_;
    return wait_for(15, sub {
        shopify(9) == $want && woo() == $want && square('LOC1') == $want });
}

sub ledger { return { @{$t->redis('HGETALL', "${K}stock:SKU-A")} } }

# the inventory.observe entries of a channel, their inputs decoded
sub observed {
    my ($channel) = @_;
    return [map { decode_json($_->{inputs}) }
            grep { ($_->{action} // '') eq 'inventory.observe'
                   && ($_->{channel} // '') eq $channel }
            @{audit_entries($t)}];
}

# the first entry of a channel, after $n of them, whose inputs have $want
sub wait_observed {
    my ($channel, $n, %want) = @_;
    my $found;
    wait_for(15, sub {
        my $all = observed($channel);
        for my $in (@$all[$n .. $#$all]) {
            next if grep { !defined $in->{$_} && defined $want{$_}
                           || (defined $in->{$_} ? $in->{$_} : "\0")
                              ne (defined $want{$_} ? $want{$_} : "\0") }
                    keys %want;
            $found = $in;
            return 1;
        }
        return 0;
    });
    return $found;
}

sub dump_state {
    return explain [ledger(), shopify(9), shopify(10), shopify(11), woo(),
                    square('LOC1'), square('LOC2'), square('LOC3'),
                    map { [$_, observed($_)] } qw(shop-eu woo-main sq-main)];
}

$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh1', 20);
$t->redis('SADD', "${K}dirty:$_", 'SKU-A') for qw(shop-eu woo-main sq-main);
ok(all_show(20), 'the counted stock reaches every channel')
    or diag(dump_state());
is_deeply([shopify(10), shopify(11), square('LOC2'), square('LOC3')],
          [4, 2, 0, 0], 'only at the SKU\'s location of each channel');

# 1. same location: a change at Shopify location 9 is a correction at wh1

my $n = @{observed('shop-eu')};
InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 111,
                      location_id => 9, available => 25);
ok(wait_observed('shop-eu', $n, decision => 'correct', delta => 5),
   'same location: a Shopify level at the SKU\'s location is a correction')
    or diag(dump_state());
ok(all_show(25), 'and every channel shows it') or diag(dump_state());
is(ledger()->{'on_hand:wh1'}, 25, 'on hand at wh1 corrected by +5');

# 2. another location the channel's map gives a ledger location (wh2):
# not the SKU's on this channel, nothing compared or corrected

$n = @{observed('shop-eu')};
InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 111,
                      location_id => 10, available => 7);
my $in = wait_observed('shop-eu', $n, available => 7);
is_deeply($in, { decision => 'other_location', location_id => '10',
                 ledger_location => 'wh2', available => 7 },
          'other managed location: audited other_location, with wh2')
    or diag(dump_state());
sleep 0.5;
is_deeply(ledger(), { 'on_hand:wh1' => 25 }, 'the ledger did not move');
is_deeply([shopify(9), shopify(10), woo(), square('LOC1')], [25, 7, 25, 25],
          'nothing pushed: the other channels and location 10 as they were');

# 3. a location invsync does not manage (11), showing a value invsync
# pushed to location 9 before: no echo, other_location

$n = @{observed('shop-eu')};
InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 111,
                      location_id => 11, available => 20);
$in = wait_observed('shop-eu', $n, available => 20);
is_deeply($in, { decision => 'other_location', location_id => '11',
                 ledger_location => undef, available => 20 },
          'unmanaged location: audited other_location, no ledger location, '
          . 'not taken for an echo')
    or diag(dump_state());
sleep 0.5;
is_deeply(ledger(), { 'on_hand:wh1' => 25 }, 'the ledger did not move');
is_deeply([shopify(9), shopify(11), woo(), square('LOC1')], [25, 20, 25, 25],
          'nothing pushed');

# 4. no location (WooCommerce, one stock per product): a correction as
# before

$n = @{observed('woo-main')};
InvsyncSim::admin_set($t, 'woocommerce', id => 501, stock_quantity => 30);
ok(wait_observed('woo-main', $n, decision => 'correct', delta => 5),
   'no location: a WooCommerce level is a correction')
    or diag(dump_state());
ok(all_show(30), 'and every channel shows it') or diag(dump_state());
is(ledger()->{'on_hand:wh1'}, 30, 'on hand at wh1 corrected by +5');

# Square, whose locations are object ids and whose map goes the other
# way (Square location -> ledger location)

$n = @{observed('sq-main')};
InvsyncSim::admin_set($t, 'square', catalog_object_id => 'VARA',
                      location_id => 'LOC2', quantity => 9);
$in = wait_observed('sq-main', $n, available => 9);
is_deeply($in, { decision => 'other_location', location_id => 'LOC2',
                 ledger_location => 'wh2', available => 9 },
          'Square, other managed location: other_location, with wh2')
    or diag(dump_state());

$n = @{observed('sq-main')};
InvsyncSim::admin_set($t, 'square', catalog_object_id => 'VARA',
                      location_id => 'LOC3', quantity => 30);
$in = wait_observed('sq-main', $n, available => 30);
is_deeply($in, { decision => 'other_location', location_id => 'LOC3',
                 ledger_location => undef, available => 30 },
          'Square, unmanaged location: other_location, not an echo')
    or diag(dump_state());
sleep 0.5;
is_deeply(ledger(), { 'on_hand:wh1' => 30 }, 'the ledger did not move');
is_deeply([square('LOC1'), square('LOC2'), square('LOC3'), shopify(9)],
          [30, 9, 30, 30], 'nothing pushed');

$n = @{observed('sq-main')};
InvsyncSim::admin_set($t, 'square', catalog_object_id => 'VARA',
                      location_id => 'LOC1', quantity => 28);
ok(wait_observed('sq-main', $n, decision => 'correct', delta => -2),
   'Square, same location: a correction')
    or diag(dump_state());
ok(all_show(28), 'and every channel shows it') or diag(dump_state());
is(ledger()->{'on_hand:wh1'}, 28, 'on hand at wh1 corrected by -2');

# A notice of several counts (Square's inventory_counts[], one level
# each): ours is the last, behind another store's count of the same
# variation, another item's and the SOLD count of the same change; each
# is judged on its own, ours a correction as if it had come alone

# the inventory.observe entries of a channel after $n of them, whole
sub observed_entries {
    my ($channel, $n) = @_;
    my @all = grep { ($_->{action} // '') eq 'inventory.observe'
                     && ($_->{channel} // '') eq $channel }
              @{audit_entries($t)};
    return [@all[$n .. $#all]];
}

$n = @{observed('sq-main')};
InvsyncSim::admin_set($t, 'square', counts => [
    { catalog_object_id => 'VARA', location_id => 'LOC3', quantity => 31 },
    { catalog_object_id => 'VARB', location_id => 'LOC1', quantity => 6 },
    { catalog_object_id => 'VARA', location_id => 'LOC1', quantity => 2,
      state => 'SOLD' },
    { catalog_object_id => 'VARA', location_id => 'LOC1', quantity => 26 },
]);
my $got;
wait_for(15, sub { $got = observed_entries('sq-main', $n); @$got >= 4 });
is_deeply([map { decode_json($_->{inputs}) } @$got],
          [{ decision => 'other_location', location_id => 'LOC3',
             ledger_location => undef, available => 31, part => 0,
             ref => 'item:VARA' },
           { decision => 'unmapped', available => 6, part => 1,
             ref => 'item:VARB' },
           { decision => 'not_available', channel_state => 'SOLD',
             location_id => 'LOC1', available => undef, part => 2,
             ref => 'item:VARA' },
           { decision => 'correct', delta => -2, available => 26,
             part => 3, ref => 'item:VARA' }],
          'several counts: each level judged on its own, ours (the last) '
          . 'a correction, the others ignored with their reasons')
    or diag(dump_state());
is(scalar(keys %{{ map { $_->{event} => 1 } @$got }}), 1,
   'all four entries of the one notice');
ok(all_show(26), 'the correction reaches every channel') or diag(dump_state());
is(ledger()->{'on_hand:wh1'}, 26, 'on hand at wh1 corrected by -2 once');

# a notice of another item only: nothing of ours in it

$n = @{observed('sq-main')};
InvsyncSim::admin_set($t, 'square', catalog_object_id => 'VARB',
                      location_id => 'LOC1', quantity => 8);
$in = wait_observed('sq-main', $n, available => 8);
is_deeply($in, { decision => 'unmapped', available => 8 },
          'another item only: unmapped, the entry as a notice of one count '
          . 'always had')
    or diag(dump_state());
sleep 0.5;
is_deeply([ledger()->{'on_hand:wh1'}, square('LOC1'), shopify(9), woo()],
          [26, 26, 26, 26], 'nothing moved');

# the same webhook again (a replay of the stream) changes nothing

my $before = ledger();
for my $e (@{$t->stream('invsync:stock')}) {
    $t->redis('XADD', 'invsync:stock', '*', %{$e->[1]},
              'replay_of', $e->[0]);
}
sleep 1.5;
is_deeply(ledger(), $before, 'a replay of every level moves nothing');
is_deeply([shopify(9), shopify(10), shopify(11), woo(), square('LOC1')],
          [26, 7, 20, 26, 26], 'and pushes nothing new');

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
