#!/usr/bin/perl

# A slow 3PL does not hold back the own warehouse's labels
# (docs/fulfilment.md, "Parallel requests"): the fulfilment engine reads
# K fulfil:due a window at a time, and a window full of 3PL shipments
# waiting for a 3PL slot used to leave the carrier slots idle, the labels
# bought only as fast as the 3PL answered (the fault run with fulfilment
# bought its labels at the 3PL's pace while the carrier simulator idled).
# 150 shipments of a 3PL whose every answer is 2 s late, one slot, due
# before one warehouse shipment: its label is bought at once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for);
use InvsyncSetup qw(hook_locations start_3pl sb_channel tpl_location
                    route_all warehouse_location open_shipment);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'carrier.key' => 'EZTK_sim', 'sb.token' => 'sb_pat_sim',
                 'sb.secret' => 'unused' },
    locations => hook_locations('shipbob'));
$t->run;
$t->plan(3);

my $K = 'invsync:{invsync}:';
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');
# no notices: the 3PL here only answers late
my $sb = start_3pl($t, webhook_secret => undef, webhook_url => undef);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    fulfilment => { threepl_slots => 1 },
    locations => [ warehouse_location($t, $carrier),
                   tpl_location(600, 3600) ],
    routing => route_all('wh-a'),
    channels => [ { id => 'woo-main', type => 'woocommerce' },
                  sb_channel($t, $sb) ]);

# shipments as ship_open.lua makes them, due from $at ms
sub shipment {
    my ($oid, $loc, $kind, $at) = @_;
    return open_shipment($t, $oid, location => $loc, kind => $kind,
                         due => $at, fields => { rule => 'all' });
}

InvsyncSim::fail($t, '3pl', mode => 'delay', delay_ms => 2000,
                 seconds => 120);
my $now = int(time * 1000);
shipment(5000 + $_, '3pl-us', '3pl', $now - 10_000 + $_) for 1 .. 150;
my $label = shipment(9001, 'wh-a', 'warehouse', $now - 1_000);

my $t0 = time;
run_worker($t, 'w1', $conf);
ok(wait_for(20, sub { ($t->redis('HGET', "${K}shipment:$label", 'state')
                       // '') eq 'shipped' }),
   'the warehouse shipment behind 150 waiting 3PL ones is shipped');
my $s = time - $t0;
ok($s < 10, sprintf('within 10 s (%.1f s; the 3PL took 4 s a shipment)', $s));
is(scalar @{InvsyncSim::state($t, 'carrier')->{bought}}, 1, 'one label');

$t->done;
