#!/usr/bin/perl

# The console's SKU view says what each channel should show, as
# invsyncctl stock get does: invsync-worker writes every channel's stock
# rules to K stockrules when its session begins, and api/sku computes
# from them and the ledger (the core's arithmetic) what each channel
# should show of a SKU and of a bundle.  Before any worker has written
# them, a channel's should_show is null; after a reload with other rules,
# the view follows them.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest;
use InvsyncConsole qw(console_locations);
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for ctl map_sku);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'hook.secret' => 'hush' },
    locations => console_locations(operator => 'ops-ann'));

$t->run;
$t->plan(12);

my $K = 'invsync:{invsync}:';

sub conf {
    my (%woo) = @_;
    return worker_conf($t, 'worker.json',
        locations => [ { id => 'wh-a' }, { id => 'wh-b' } ],
        channels => [
            { id => 'shop-eu', type => 'shopify',
              stock => { locations => ['wh-a'], buffer => 1, share => 50,
                         max => 100 } },
            { id => 'woo-main', type => 'woocommerce', stock => \%woo } ]);
}

my $conf = conf(max => 4);

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
map_sku($t, 'BOX', 333, 503);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 10, 'reserved:wh-a', 2,
          'on_hand:wh-b', 5, 'unrouted', 1);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh-b', 3);
my ($rc, $out) = ctl($t, $conf, 'sku', 'bundle', 'BOX', '--components',
                     'SKU-A:2,SKU-B:1', '--by', 'test', '--why', 'a bundle');
is($rc, 0, 'BOX: two of SKU-A and one SKU-B') or diag($out);

# {channel: should_show} of the console's answer, and of invsyncctl's
sub console {
    my ($sku) = @_;
    my $r = $t->get("/console/api/sku?sku=$sku");
    my $doc = eval { decode_json($r->{content}) } || {};
    return ({ map { $_->{channel} => $_->{should_show} }
              @{$doc->{channels} || []} }, $doc);
}

sub ctl_should {
    my ($sku) = @_;
    my ($rc, $out) = ctl($t, $conf, 'stock', 'get', $sku, '--json');
    my $doc = $rc == 0 ? decode_json($out) : {};
    return { map { $_->{channel} => $_->{should_show} }
             @{$doc->{channels} || []} };
}

my ($got, $doc) = console('SKU-A');
is_deeply($got, { 'shop-eu' => undef, 'woo-main' => undef },
          'no worker has said the rules: should show unknown')
    or diag(explain $doc);

run_worker($t, 'w1', $conf);
ok(wait_for(30, sub { $t->redis('HLEN', "${K}stockrules") == 2 }),
   'the worker wrote both channels\' rules');
is($t->redis('HGET', "${K}stockrules", 'shop-eu'),
   '{"buffer":1,"locations":["wh-a"],"max":100,"share":50}',
   'as worker.json gives them');

($got, $doc) = console('SKU-A');
is_deeply($got, { 'shop-eu' => 3, 'woo-main' => 4 },
          'SKU-A: Shopify shows half of wh-a\'s 7 after a buffer of 1, '
          . 'WooCommerce at most 4') or diag(explain $doc);
my ($shop) = grep { $_->{channel} eq 'shop-eu' } @{$doc->{channels}};
is_deeply([$shop->{available}, $shop->{rules}],
          [7, { locations => ['wh-a'], buffer => 1, share => 50,
                max => 100 }],
          'with what is available at its locations and its rules');

for my $sku (qw(SKU-A SKU-B BOX)) {
    is_deeply((console($sku))[0], ctl_should($sku),
              "$sku: what invsyncctl stock get says each channel should show");
}
is_deeply((console('BOX'))[0], { 'shop-eu' => 0, 'woo-main' => 3 },
          'BOX: none on Shopify (no SKU-B at wh-a), 3 on WooCommerce');

# a reload with other rules: the next session writes them
$conf = conf(max => 2);
kill 'HUP', $t->{pids}{w1};
ok(wait_for(30, sub { ((console('SKU-A'))[0]{'woo-main'} // -1) == 2 }),
   'after a reload with max 2, WooCommerce should show 2')
    or diag(explain((console('SKU-A'))[1]));

is(stop_worker($t, 'w1'), 0, 'the worker stops cleanly');

$t->done;
