#!/usr/bin/perl

# An order of many lines (issue 10/11's routing and refunds read orders of
# any size): 60 lines of one SKU through nginx, the Shopify simulator and
# the worker with routing.  apply.lua's arguments were a fixed 64: an order
# naming 34 or more SKU lines wrote past them and the worker died without
# a word, its entry pending for good.  Now each SKU is indexed once
# (K audit:sku:) and the order is recorded, reserved and routed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for map_sku);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test' },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }
EOF

$t->run;
$t->plan(4);

my $K = 'invsync:{invsync}:';
my $hooks = 'http://127.0.0.1:' . $t->port('http');
my @topics = ('orders/create');
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test',
    webhook_url => "$hooks/hooks/shopify", webhook_secret => 'hush',
    webhook_topics => \@topics,
    items => [{ inventory_item_id => 111, location_id => 9,
                available => 100, sku => 'SKU-A', price => '9.00' }]);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { reconcile_s => 0 },
    locations => [ { id => 'wh-a', kind => 'manual', channels => ['shop-eu'] },
                   { id => 'wh-b', kind => 'manual',
                     channels => ['shop-eu'] } ],
    routing => { rules => [ { name => 'default', strategy => 'priority' } ] },
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          options => { locations => { 'wh-a' => 9, 'wh-b' => 9 } } } ]);

map_sku($t, 'SKU-A', 111, 501);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-b', 100);
run_worker($t, 'w1', $conf);


my $o = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [map { { sku => 'SKU-A', quantity => 1 } } 1..60]);
ok(wait_for(20, sub { $t->redis('EXISTS', "${K}order:shop-eu:$o->{id}") }),
   'an order of 60 lines of one SKU is recorded')
    or diag($t->read_file('logs/w1.out'));
ok(wait_for(20, sub {
        my $p = $t->redis('XPENDING', 'invsync:orders', 'invsync');
        $p->[0] == 0 }),
   'the order\'s entry is acknowledged: nothing pending')
    or diag($t->read_file('logs/w1.out'));
my %st = @{$t->redis('HGETALL', "${K}stock:SKU-A")};
is($st{'reserved:wh-b'} // 0, 60,
   'its 60 lines reserved at wh-b, where routing placed them')
    or diag(explain \%st);
my @idx = @{$t->redis('ZRANGE', "${K}audit:sku:SKU-A", 0, -1)};
my %seen;
my @dup = grep { $seen{$_}++ } @idx;
is(scalar @dup, 0, 'each audit entry indexed once under SKU-A, however '
   . 'many lines name it');
