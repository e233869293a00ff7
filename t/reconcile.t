#!/usr/bin/perl

# Reconciliation that reads the channels (limits.reconcile_s, invsyncctl
# reconcile): the simulators send no webhooks at all, so only a read-back
# pass can see a change made in a channel's own admin.  With no drift the
# passes audit and push nothing; a silent change on Shopify (an inventory
# level) and on WooCommerce (a variation) is found by the scheduled pass,
# audited as stock.drift with both numbers and put right by the pusher; a
# THROTTLED GraphQL answer and a 429 delay a pass without losing it;
# invsyncctl reconcile prints a drift and gets it fixed (text, --json),
# --last shows the passes, --force still re-pushes blindly; an item the
# channel does not know opens one exception, however often it is read.

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

my $t = InvsyncTest->new;
$t->has_daemon('redis-server');
plan(skip_all => 'invsync-worker not built') unless -x worker_bin($t);
$t->run_redis;
$t->plan(45);

$t->write_file('shop.token', "shpat_test\n");
$t->write_file('woo.keys', "ck_test:cs_test\n");

# no webhook_url: whatever changes in the channels, nobody is told
my $shop = InvsyncSim::start($t, 'shopify');
my $woo = InvsyncSim::start($t, 'woocommerce');

InvsyncSim::items($t, 'shopify',
    { inventory_item_id => 111, location_id => 9, available => 20,
      sku => 'SKU-A' },
    { inventory_item_id => 222, location_id => 9, available => 10,
      sku => 'SKU-B' },
    { inventory_item_id => 444, location_id => 9, available => 10,
      sku => 'KIT' });
InvsyncSim::items($t, 'woocommerce',
    { id => 501, sku => 'SKU-A', manage_stock => JSON::PP::true,
      stock_quantity => 20 },
    { id => 601, parent_id => 600, sku => 'SKU-B',
      manage_stock => JSON::PP::true, stock_quantity => 10 });

my $K = 'invsync:{invsync}:';

# SKU-A a simple product, SKU-B a variation, KIT two SKU-A (Shopify only)
map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 0);
$t->redis('HSET', "${K}skumap:SKU-B", 'woo-main',
          encode_json({ product_id => '600', variation_id => '601' }));
$t->redis('SADD', "${K}skus", 'KIT');
$t->redis('HSET', "${K}skumap:KIT", 'shop-eu',
          encode_json({ inventory_item_id => '444', location_id => '9' }));
$t->redis('HSET', "${K}sku:KIT", 'components', '{"SKU-A":2}');

# the ledger, and what the pusher last had acknowledged: all in step
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh1', 20);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh1', 10);
$t->redis('HSET', "${K}shown:shop-eu", 'SKU-A', 20, 'SKU-B', 10, 'KIT', 10);
$t->redis('HSET', "${K}shown:woo-main", 'SKU-A', 20, 'SKU-B', 10);

sub conf {
    my ($reconcile) = @_;
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
              stock => { locations => ['wh1'] } },
        ]);
}

my $conf = conf(1);
run_worker($t, 'w', $conf);

sub last_pass {
    my ($ch) = @_;
    return { @{$t->redis('HGETALL', "${K}reconcile:$ch")} };
}

sub drifts {
    my ($ch, $sku) = @_;
    return [grep { ($_->{action} // '') eq 'stock.drift'
                   && (!defined $ch || $_->{channel} eq $ch)
                   && (!defined $sku || $_->{sku} eq $sku) }
            @{audit_entries($t)}];
}

sub pushes {
    my $set = grep { ($_->{body} // '') =~ /inventorySetQuantities/ }
              @{InvsyncSim::requests($t, 'shopify')};
    my $batch = grep { $_->{method} ne 'GET' }
                @{InvsyncSim::requests($t, 'woocommerce')};
    return $set + $batch;
}

sub shop_qty { InvsyncSim::quantity($t, 'shopify', $_[0], 9) // -1 }
sub woo_qty { InvsyncSim::quantity($t, 'woocommerce', $_[0]) // -1 }

sub log_has {
    my ($re) = @_;
    return $t->read_file('logs/w.out') =~ $re;
}

# no drift: passes read, find nothing, write nothing

ok(wait_for(10, sub { last_pass('shop-eu')->{finished}
                      && last_pass('woo-main')->{finished} }),
   'both channels were read');
my $first = last_pass('shop-eu')->{started};
ok(wait_for(10, sub { (last_pass('shop-eu')->{started} // 0) > $first }),
   'and read again a reconcile_s later');
my $ps = last_pass('shop-eu');
my $pw = last_pass('woo-main');
is_deeply([@$ps{qw(complete checked drifted missing unreadable)}],
          [1, 3, 0, 0, 0], 'Shopify: 3 SKUs checked (a bundle too), '
          . 'no drift') or diag(explain $ps);
is_deeply([@$pw{qw(complete checked drifted missing unreadable)}],
          [1, 2, 0, 0, 0], 'WooCommerce: 2 checked, no drift')
    or diag(explain $pw);
is(scalar @{drifts()}, 0, 'no drift audited');
is(pushes(), 0, 'nothing pushed');
ok(scalar grep({ ($_->{path} // '') =~ m{/variations\?.*include=601} }
               @{InvsyncSim::requests($t, 'woocommerce')}),
   'a variation is read under its product');
ok(log_has(qr/"msg":"reconcile pass finished"[^\n]*"channel":"shop-eu"/),
   'each pass is logged');

# changes nobody was told about: the scheduled pass finds them

InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 111,
                      location_id => 9, available => 3);
InvsyncSim::admin_set($t, 'woocommerce', id => 601, stock_quantity => 4);

ok(wait_for(10, sub { @{drifts('shop-eu', 'SKU-A')}
                      && @{drifts('woo-main', 'SKU-B')} }),
   'the scheduled pass finds both drifts');
my ($ds) = @{drifts('shop-eu', 'SKU-A')};
my ($dw) = @{drifts('woo-main', 'SKU-B')};
is_deeply([@$ds{qw(shows should_show result)}], [3, 20, 'applied'],
          'Shopify drift audited: shows 3, should show 20')
    or diag(explain $ds);
is_deeply([@$dw{qw(shows should_show)}], [4, 10],
          'WooCommerce drift audited: shows 4, should show 10')
    or diag(explain $dw);
is(decode_json($ds->{inputs})->{shown}, 20,
   'with what the pusher believed it showed');
ok(wait_for(10, sub { shop_qty(111) == 20 && woo_qty(601) == 10 }),
   'the pusher brings both channels back to the ledger');
is(shop_qty(444), 10, 'the bundle, not drifted, untouched');
is(scalar @{drifts()}, 2, 'the fixed channels are no drift any more')
    or diag(explain drifts());
ok(wait_for(5, sub { (last_pass('shop-eu')->{drifted} // 1) == 0 }),
   'and the next pass finds none');

my ($rc, $out) = InvsyncWorker::ctl($t, $conf, 'audit', '--sku', 'SKU-A');
like($out, qr/stock\.drift\s+shop-eu\s.*shows 3, should show 20/,
     'invsyncctl audit shows the drift') or diag($out);

# throttled: Shopify's bucket is empty (THROTTLED in a 200), WooCommerce
# answers 429 once; the pass waits and goes on

InvsyncSim::configure($t, 'shopify', bucket_available => 0,
                      restore_rate => 20);
InvsyncSim::fail($t, 'woocommerce', mode => '429', retry_after => 1,
                 count => 1, match => '/products');
InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 222,
                      location_id => 9, available => 7);
InvsyncSim::admin_set($t, 'woocommerce', id => 501, stock_quantity => 15);

ok(wait_for(15, sub { @{drifts('shop-eu', 'SKU-B')}
                      && @{drifts('woo-main', 'SKU-A')} }),
   'drifts found through the throttling');
my $throttled = qr/"msg":"reconcile page throttled"[^\n]*/;
ok(log_has(qr/$throttled"channel":"shop-eu","http_status":200/),
   'Shopify: THROTTLED waited for');
ok(log_has(qr/$throttled"channel":"woo-main","http_status":429/),
   'WooCommerce: 429 waited for');
ok(wait_for(10, sub { shop_qty(222) == 10 && woo_qty(501) == 20 }),
   'and both channels are back');
ok(!log_has(qr/"msg":"reconcile page failed"/), 'no page failed');
InvsyncSim::configure($t, 'shopify', restore_rate => 100);

# invsyncctl reconcile: the periodic pass off, the command alone

$conf = conf(0);
kill 'HUP', $t->{pids}{w};
ok(wait_for(5, sub { log_has(qr/configuration reloaded/) }), 'reloaded');
sleep 0.3;
my $ndrift = scalar @{drifts()};

InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 111,
                      location_id => 9, available => 5);
($rc, $out) = InvsyncWorker::ctl($t, $conf, 'reconcile', '--why', 'drill');
is($rc, 0, 'invsyncctl reconcile') or diag($out);
like($out, qr/^shop-eu\s+shopify\s+3\s+1\s+0\s+0\s+0\s+complete$/m,
     'its counts per channel') or diag($out);
like($out, qr/^shop-eu\s+SKU-A\s+5\s+20\s.*\n\n1 drift audited and queued/m,
     'and the drift') or diag($out);
ok(wait_for(10, sub { shop_qty(111) == 20 }),
   'which the worker puts right');
my ($op) = grep { ($_->{action} // '') eq 'operator.reconcile' }
           @{audit_entries($t)};
is_deeply([@$op{qw(why mode drifted checked)}], ['drill', 'read', 1, 5],
          'audited as operator.reconcile') or diag(explain $op);
is(scalar @{drifts()}, $ndrift + 1, 'and the drift as stock.drift');

InvsyncSim::admin_set($t, 'woocommerce', id => 601, stock_quantity => 2);
($rc, $out) = InvsyncWorker::ctl($t, $conf, '--json', 'reconcile',
                                 '--channel', 'woo-main');
my $j = eval { decode_json($out) } // {};
is_deeply([map { [@$_{qw(channel checked drifted)},
                  [map { [@$_{qw(sku shows should_show)}] }
                   @{$_->{drifts}}]] } @{$j->{channels} // []}],
          [['woo-main', 2, 1, [['SKU-B', 2, 10]]]],
          '--json: the channel\'s counts and drift') or diag($out);
ok(wait_for(10, sub { woo_qty(601) == 10 }), 'put right too');

($rc, $out) = InvsyncWorker::ctl($t, $conf, 'reconcile', '--last');
like($out, qr/^woo-main\s+\S+Z\s+invsyncctl:\S+\s+complete\s+2\s+1\s/m,
     '--last: the last pass of each channel') or diag($out);

my $before = pushes();
($rc, $out) = InvsyncWorker::ctl($t, $conf, 'reconcile', '--force',
                                 '--channel', 'shop-eu');
like($out, qr/^marked 3 SKUs for a push to 1 channel/,
     '--force marks every SKU') or diag($out);
ok(wait_for(10, sub { pushes() > $before }), 'and they are pushed again');

# an item the channel does not know: one exception, never a push

map_sku($t, 'SKU-GONE', 999, 0);
$t->redis('HDEL', "${K}skumap:SKU-GONE", 'woo-main');
$t->redis('HSET', "${K}stock:SKU-GONE", 'on_hand:wh1', 5);
($rc, $out) = InvsyncWorker::ctl($t, $conf, 'reconcile', '--channel',
                                 'shop-eu');
like($out, qr/^shop-eu\s+SKU-GONE\s+missing\s+-\s+item_missing:/m,
     'an unknown item is reported') or diag($out);
my $id = 'item_missing:shop-eu:SKU-GONE:999@9';
is($t->redis('HGET', "${K}exception:$id", 'state'), 'open',
   'with an exception') or diag(explain $t->redis('ZRANGE',
                                                  "${K}exceptions:open", 0,
                                                  -1));
InvsyncWorker::ctl($t, $conf, 'reconcile', '--channel', 'shop-eu');
is(scalar grep({ ($_->{exception} // '') eq $id } @{audit_entries($t)}), 1,
   'opened once, however often it is read');
ok(!$t->redis('SISMEMBER', "${K}dirty:shop-eu", 'SKU-GONE'),
   'and not given to the pusher');

# the item known to the channel again (restored, or the mapping put right):
# its exception is resolved by the next pass

InvsyncSim::items($t, 'shopify',
    { inventory_item_id => 999, location_id => 9, available => 5,
      sku => 'SKU-GONE' });
($rc, $out) = InvsyncWorker::ctl($t, $conf, 'reconcile', '--channel',
                                 'shop-eu');
is($t->redis('HGET', "${K}exception:$id", 'state'), 'resolved',
   'a pass that reads the item again resolves its exception')
    or diag($out);
ok(!grep({ $_ eq $id } @{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)}),
   'it is no longer open');

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

# a worker reads each channel back as soon as it starts, whatever
# reconcile_s, unless the channel's turn was taken: shop-eu's is, by the
# invsyncctl passes above (their lock lasts 60 s); woo-main's is freed

$t->redis('DEL', "${K}reconciling:woo-main");
my ($woo0, $shop0) = map { last_pass($_)->{started} } qw(woo-main shop-eu);
$conf = conf(3600);
run_worker($t, 'w2', $conf);
ok(wait_for(15, sub { (last_pass('woo-main')->{started} // 0) > $woo0
                      && last_pass('woo-main')->{finished} }),
   'a worker reads a channel back as soon as it starts');
unlike(last_pass('woo-main')->{by} // '', qr/^invsyncctl/,
       'that pass is the worker\'s');
sleep 1;
is(last_pass('shop-eu')->{started}, $shop0,
   'not a channel whose turn another pass took');
is(stop_worker($t, 'w2'), 0, 'that worker stops cleanly');

$t->done;
