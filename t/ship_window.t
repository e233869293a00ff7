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
use JSON::PP;
use Time::HiRes qw(time);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => { 'carrier.key' => 'EZTK_sim', 'sb.token' => 'sb_pat_sim',
                 'sb.secret' => 'unused' },
    locations => <<'EOF');
        location = /hooks/shipbob {
            invsync_webhook shipbob;
            invsync_channel sb-us;
            invsync_secret_file %%TESTDIR%%/sb.secret;
        }
EOF
$t->run;
$t->plan(3);

my $K = 'invsync:{invsync}:';
my $J = JSON::PP->new->canonical;
my $carrier = InvsyncSim::start($t, 'carrier', api_key => 'EZTK_sim');
my $sb = InvsyncSim::start($t, '3pl', token => 'sb_pat_sim',
    channel_id => 4242, items => [{ reference_id => 'MUG', name => 'Mug' }]);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    fulfilment => { threepl_slots => 1 },
    locations => [
        { id => 'wh-a', kind => 'warehouse',
          fulfilment => { api_base => "$carrier/v2",
                          credentials_file => $t->dir . '/carrier.key',
                          from => { name => 'Lyon DC', address1 => '1 Quai',
                                    city => 'Lyon', zip => '69001',
                                    country_code => 'FR' },
                          parcel => { weight_g => 500 } } },
        { id => '3pl-us', kind => '3pl',
          fulfilment => { channel => 'sb-us', ask_after_s => 600,
                          deadline_s => 3600 } } ],
    routing => { rules => [ { name => 'all', require => ['wh-a'] } ] },
    channels => [ { id => 'woo-main', type => 'woocommerce' },
                  { id => 'sb-us', type => 'shipbob',
                    api_base => "$sb/2026-07",
                    credentials_file => $t->dir . '/sb.token',
                    options => { channel_id => 4242 } } ]);

# shipments as ship_open.lua makes them, due from $at ms
sub shipment {
    my ($oid, $loc, $kind, $at) = @_;
    my $id = "woo-main:$oid\@$loc";
    $t->redis('HSET', "${K}order:woo-main:$oid", 'version', 1, 'data',
        $J->encode({ order_id => "$oid", order_number => "#$oid",
            customer => { email => 'jd@example.com', name => 'John Doe' },
            shipping_address => { name => 'John Doe',
                address1 => '100 N Racine Ave', city => 'Chicago',
                province => 'IL', zip => '60607', country_code => 'US' } }));
    $t->redis('HSET', "${K}shipment:$id", 'order', "woo-main:$oid",
        'channel', 'woo-main', 'order_id', $oid, 'location', $loc,
        'kind', $kind, 'state', 'open', 'version', 1, 'rule', 'all',
        'lines', $J->encode([{ line_id => '1', sku => 'MUG', qty => 1 }]));
    $t->redis('ZADD', "${K}fulfil:due", $at, $id);
    return $id;
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
