#!/usr/bin/perl

# The fulfilment engines' parallel request slots (docs/fulfilment.md,
# "Parallel requests"), through the real worker and the simulators.
# "fulfilment" keys refused with their JSON path at -t.  Carrier: four
# slots buy four labels at once (the carrier simulator holds each buy's
# answer; all four reach it before the first answer), each exactly once; a
# worker killed with SIGKILL while three buys are out buys no second label
# after its restart (looked up by reference).  3PL: three shipments' first
# requests out at once.  Tracking: three shipments of one channel told at
# once; one whose tracking was refused (tracking_push_failed) and is tried
# again once the cause is fixed has its exception resolved.  The
# defaults: twelve buys out at once (more than the old 8 slots).  A
# reload while a 3PL step is out frees its slot at once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker kill_worker wait_for map_sku
                     worker_bin);
use InvsyncSetup qw(hook_locations sb_secrets start_3pl sb_channel
                    tpl_location warehouse_location open_shipment);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test',
                 'carrier.key' => 'EZTK_sim', sb_secrets() },
    locations => hook_locations('shopify'));

$t->run;
$t->plan(23);

my $K = 'invsync:{invsync}:';
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test',
    webhook_url => $t->url('/hooks/shopify'), webhook_secret => 'hush',
    webhook_topics => ['orders/create']);
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');
# its notices are not sent: this nginx has no shipbob location
my $sb = start_3pl($t, webhook_url => undef);

InvsyncSim::items($t, 'shopify',
    { inventory_item_id => 111, location_id => 9, available => 100,
      sku => 'SKU-A' });

my %conf = (
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    limits => { reconcile_s => 0 },
    fulfilment => { carrier_slots => 4, threepl_slots => 3,
                    track_slots => 3 },
    locations => [ warehouse_location($t, $carrier),
                   { id => 'desk', kind => 'manual' },
                   tpl_location(60, 3600) ],
    routing => { rules => [ { name => 'default', require => ['wh-a'],
                              rate => 'cheapest' } ] },
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          options => { locations => { 'wh-a' => 9, desk => 9 } } },
        { id => 'woo-main', type => 'woocommerce' },
        sb_channel($t, $sb) ]);

# -t: each key refused with its path
my $bin = worker_bin($t);
my $bad = worker_conf($t, 'bad.json', %conf,
                      fulfilment => { carrier_slots => 0 });
my $out = `$bin -t -c $bad 2>&1`;
ok($? >> 8 == 1 && $out =~ /\$\.fulfilment: "carrier_slots" must be between 1 and 64/,
   '-t: carrier_slots 0 refused with its path') or diag($out);
$bad = worker_conf($t, 'bad2.json', %conf,
                   fulfilment => { slots => 4 });
$out = `$bin -t -c $bad 2>&1`;
ok($? >> 8 == 1 && $out =~ /\$\.fulfilment.*"slots"/,
   '-t: an unknown key refused') or diag($out);

my $conf = worker_conf($t, 'worker.json', %conf);
$out = `$bin -t -c $conf 2>&1`;
is($? >> 8, 0, '-t: the slots accepted') or diag($out);

map_sku($t, 'SKU-A', 111, 501);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 100);
$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 10);
run_worker($t, 'w1', $conf);

sub ship { return { @{$t->redis('HGETALL', "${K}shipment:$_[0]")} } }
sub state_of { return ship($_[0])->{state} // '' }
sub bought { return InvsyncSim::state($t, 'carrier')->{bought} }
sub on_hand { return $t->redis('HGET', "${K}stock:$_[0]", "on_hand:$_[1]") }
sub times_of {
    my ($sim, $re) = @_;
    return sort { $a <=> $b } map { $_->{time} }
           grep { ("$_->{method} $_->{path} " . ($_->{body} // '')) =~ $re }
           @{InvsyncSim::requests($t, $sim)};
}

my $to = { name => 'Jon', address1 => '1 Rue', city => 'Paris',
           zip => '75001', country_code => 'FR' };
sub shop_order {
    return InvsyncSim::order($t, 'shopify', location_id => 9,
        shipping_address => $to,
        line_items => [ { sku => 'SKU-A', quantity => 1 } ]);
}

###############################################################################
# four carrier slots: four buys out at once, each label bought once

InvsyncSim::fail($t, 'carrier', mode => 'delay', delay_ms => 5000,
                 match => 'buy', count => 4);
my @ids = map { "shop-eu:$_->{id}\@wh-a" } map { shop_order() } 1 .. 4;
ok(wait_for(60, sub { 4 == grep { state_of($_) =~ /^(shipped|tracked)$/ }
                      @ids }), 'four orders shipped')
    or diag(explain [map { ship($_) } @ids]);
my @buys = times_of('carrier', qr{^POST \S*/buy});
ok(@buys >= 4 && $buys[3] - $buys[0] < 5,
   'all four buys reached the carrier before the first answer (5 s)')
    or diag(explain \@buys);
my %n;
$n{$_->{reference}}++ for @{bought()};
is_deeply([map { $n{$_} // 0 } @ids], [1, 1, 1, 1], 'one label each');
is(on_hand('SKU-A', 'wh-a'), 96, 'stock taken once each');

###############################################################################
# killed while three buys are out: no second label after the restart

InvsyncSim::fail($t, 'carrier', mode => 'delay', delay_ms => 8000,
                 match => 'buy', count => 3);
my @k = map { "shop-eu:$_->{id}\@wh-a" } map { shop_order() } 1 .. 3;
ok(wait_for(30, sub { my %b = map { $_->{reference} => 1 } @{bought()};
                      3 == grep { $b{$_} } @k }),
   'the carrier applied three buys, their answers held');
kill_worker($t, 'w1', 'KILL');
run_worker($t, 'w1', $conf);
ok(wait_for(90, sub { 3 == grep { state_of($_) =~ /^(shipped|tracked)$/ }
                      @k }), 'recorded after the restart')
    or diag(explain [map { ship($_) } @k]);
%n = ();
$n{$_->{reference}}++ for @{bought()};
is_deeply([(map { $n{$_} // 0 } @k), on_hand('SKU-A', 'wh-a')],
          [1, 1, 1, 93], 'found by reference: one label each, stock once');

###############################################################################
# three 3PL slots: the first requests of three shipments out at once

InvsyncSim::fail($t, '3pl', mode => 'delay', delay_ms => 4000, count => 3);
# all three due in one ZADD, as the window reads them
my @p = map { open_shipment($t, $_, due => undef) } 2001 .. 2003;
$t->redis('ZADD', "${K}fulfil:due", map { (int(time * 1000), $_) } @p);
ok(wait_for(60, sub { 3 == grep { state_of($_) eq 'requested' } @p }),
   'three shipments sent to the 3PL') or diag(explain [map { ship($_) } @p]);
my @q = times_of('3pl', qr/order/);
ok(@q >= 3 && $q[2] - $q[0] < 4,
   'three requests out before the first answer (4 s)') or diag(explain \@q);

###############################################################################
# three tracking slots of one channel; a refused one resolved on retry

InvsyncSim::configure($t, 'shopify', webhook_topics => []);
my $since = InvsyncSim::control($t, 'shopify', 'GET',
                                '/_sim/requests?since=' . 2**31)->{last};
sub shipped {
    my ($oid, $line) = @_;
    my $id = "shop-eu:$oid\@desk";
    $t->redis('HSET', "${K}shipment:$id", order => "shop-eu:$oid",
        channel => 'shop-eu', order_id => $oid, location => 'desk',
        kind => 'manual', state => 'shipped', version => '1',
        lines => encode_json([{ line_id => "$line", sku => 'SKU-A',
                                qty => 1 }]),
        carrier => 'UPS', tracking => "1Z$oid",
        shipped_at => int(time * 1000), attempts => 0);
    $t->redis('SADD', "${K}shipments:shop-eu:$oid", $id);
    return $id;
}
my @orders = map { shop_order() } 1 .. 3;
my @tr = map { shipped($_->{id}, $_->{line_items}[0]{id}) } @orders;
InvsyncSim::fail($t, 'shopify', mode => 'delay', delay_ms => 3000,
                 count => 3, match => 'graphql');
$t->redis('ZADD', "${K}track:due", map { (int(time * 1000), $_) } @tr);
ok(wait_for(60, sub { 3 == grep { state_of($_) eq 'tracked' } @tr }),
   'three shipments tracked') or diag(explain [map { ship($_) } @tr]);
my @looks = sort { $a <=> $b } map { $_->{time} }
            grep { $_->{n} > $since && ($_->{body} // '') =~ /fulfillmentOrders/ }
            @{InvsyncSim::requests($t, 'shopify')};
ok(@looks >= 3 && $looks[2] - $looks[0] < 3,
   'three looks out before the first answer (3 s)') or diag(explain \@looks);

my $s9 = shipped(777777001, 1);
$t->redis('ZADD', "${K}track:due", int(time * 1000), $s9);
my $xid = "tracking_push_failed:$s9";
ok(wait_for(30, sub { defined $t->redis('ZSCORE', "${K}exceptions:open",
                                        $xid) }),
   'an order Shopify does not have: tracking_push_failed');
my $o9 = InvsyncSim::order($t, 'shopify', id => 777777001, location_id => 9,
    line_items => [ { sku => 'SKU-A', quantity => 1 } ]);
$t->redis('HSET', "${K}shipment:$s9", 'lines',
          encode_json([{ line_id => "$o9->{line_items}[0]{id}",
                         sku => 'SKU-A', qty => 1 }]));
$t->redis('ZADD', "${K}track:due", int(time * 1000), $s9);
ok(wait_for(30, sub { state_of($s9) eq 'tracked'
                      && ($t->redis('HGET', "${K}exception:$xid", 'state')
                          // '') eq 'resolved' }),
   'tried again once the order exists: tracked, its exception resolved')
    or diag(explain [ship($s9), { @{$t->redis('HGETALL',
                                               "${K}exception:$xid")} }]);

###############################################################################
# the defaults (no "fulfilment" key): more than the old 8 carrier slots,
# twelve buys out before the first answer

kill_worker($t, 'w1', 'TERM');
InvsyncSim::configure($t, 'shopify', webhook_topics => ['orders/create']);
my %dflt = %conf;
delete $dflt{fulfilment};
run_worker($t, 'w1', worker_conf($t, 'default.json', %dflt));
my $bsince = InvsyncSim::control($t, 'carrier', 'GET',
                                 '/_sim/requests?since=' . 2**31)->{last};
InvsyncSim::fail($t, 'carrier', mode => 'delay', delay_ms => 5000,
                 match => 'buy', count => 12);
my @d = map { "shop-eu:$_->{id}\@wh-a" } map { shop_order() } 1 .. 12;
ok(wait_for(60, sub { 12 == grep { state_of($_) =~ /^(shipped|tracked)$/ }
                      @d }), 'twelve orders shipped with the default slots')
    or diag(explain [map { ship($_) } @d]);
@buys = sort { $a <=> $b } map { $_->{time} }
        grep { $_->{n} > $bsince && "$_->{method} $_->{path}" =~ m{^POST \S*/buy} }
        @{InvsyncSim::requests($t, 'carrier')};
ok(@buys >= 12 && $buys[11] - $buys[0] < 5,
   'all twelve buys reached the carrier before the first answer (5 s)')
    or diag(explain \@buys);

###############################################################################
# a reload while a 3PL step is out: the step is dropped with the old
# configuration (its shipment due again when its lease ends) and the
# count of steps in flight starts again, so one slot is free at once

kill_worker($t, 'w1', 'TERM');
run_worker($t, 'w1', worker_conf($t, 'one.json', %conf,
                                 fulfilment => { threepl_slots => 1 }));
sub three_pl { open_shipment($t, $_[0], due => int(time * 1000)) }
my $psince = InvsyncSim::control($t, '3pl', 'GET',
                                 '/_sim/requests?since=' . 2**31)->{last};
InvsyncSim::fail($t, '3pl', mode => 'delay', delay_ms => 8000, count => 1);
my $p1 = three_pl(2011);
ok(wait_for(30, sub { grep { $_->{n} > $psince }
                      @{InvsyncSim::requests($t, '3pl')} }),
   'the first 3PL step is out, its answer held');
my $hup = time;
kill 'HUP', $t->{pids}{w1};
ok(wait_for(30, sub { $t->read_file('logs/w1.out')
                      =~ /configuration reloaded/ }), 'reloaded');
my $p2 = three_pl(2012);
ok(wait_for(30, sub { state_of($p2) eq 'requested' }),
   'a shipment due after the reload is sent')
    or diag(explain ship($p2));
my ($p2at) = times_of('3pl', qr/2012/);
ok(defined $p2at && $p2at - $hup < 6,
   'at once: its slot was not held by the step dropped at the reload')
    or diag(($p2at // 0) - $hup);
ok(wait_for(60, sub { state_of($p1) eq 'requested' }),
   'the dropped one sent again when its lease ended')
    or diag(explain ship($p1));

$t->done;
