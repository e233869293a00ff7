#!/usr/bin/perl

# A 3PL's shipment notice with a bad tracking number (docs/fulfilment.md
# "Bad provider input"): the ShipBob simulator ships the order with a
# tracking number holding a newline, its signed webhook comes through
# nginx to the worker; the confirmation is refused with the reason (a
# dead letter), nothing is stored or pushed, no stock moves, and the
# shipment stays due: the 3PL is asked again, and its answer refused the
# same way leaves last_error saying why.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for);

my $J = JSON::PP->new->canonical;
my $std = 'whsec_' . encode_base64('the 3pl webhook key, 32 bytes!!!', '');

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'sb.secret' => $std, 'sb.token' => 'sb_pat_sim' },
    locations => <<'EOF');
        location = /hooks/shipbob {
            invsync_webhook shipbob;
            invsync_channel sb-us;
            invsync_secret_file %%TESTDIR%%/sb.secret;
        }
EOF

$t->run;
$t->plan(9);

my $K = 'invsync:{invsync}:';
my $hook = 'http://127.0.0.1:' . $t->port('http') . '/hooks/shipbob';
my $base = InvsyncSim::start($t, '3pl', token => 'sb_pat_sim',
    channel_id => 4242, webhook_secret => $std, webhook_url => $hook,
    items => [{ reference_id => 'MUG', name => 'Mug' }]);

my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    channels => [ { id => 'woo-main', type => 'woocommerce' },
                  { id => 'sb-us', type => 'shipbob',
                    api_base => "$base/2026-07",
                    credentials_file => $t->dir . '/sb.token',
                    options => { channel_id => 4242 } } ],
    locations => [ { id => 'wh-a' },
                   { id => '3pl-us', kind => '3pl',
                     fulfilment => { channel => 'sb-us', ask_after_s => 30,
                                     deadline_s => 600 } } ],
    routing => { rules => [ { name => 'all', require => ['3pl-us'] } ] });

$t->redis('HSET', "${K}stock:MUG", 'on_hand:3pl-us', 10);
$t->redis('SET', "${K}skuref:woo-main:sku:MUG", 'MUG');
run_worker($t, 'w1', $conf);

sub field { $t->redis('HGET', "${K}shipment:$_[0]", $_[1]) // '' }
sub stock { my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")}; \%h }
sub dead {
    return join "\n", map { $_->[1]{reason} // '' }
                      @{$t->stream("${K}dlq")};
}

###############################################################################
# a shipment at the 3PL, shipped with a tracking number that has a newline

my $sid = 'woo-main:1001@3pl-us';
$t->redis('HSET', "${K}order:woo-main:1001", 'version', 1, 'data',
    $J->encode({ order_id => '1001', order_number => '#1001',
        currency => 'USD', shipping_method => 'flat_rate',
        customer => { email => 'jd@example.com', name => 'John Doe' },
        lines => [ { channel_line_id => '7', sku => 'MUG', quantity => 3,
                     price_minor => 1250, refs => ['sku:MUG'] } ],
        shipping_address => { name => 'John Doe',
            address1 => '100 N Racine Ave', city => 'Chicago',
            province => 'IL', zip => '60607', country_code => 'US' } }));
$t->redis('HSET', "${K}shipment:$sid", 'order', 'woo-main:1001',
    'channel', 'woo-main', 'order_id', '1001', 'location', '3pl-us',
    'kind', '3pl', 'state', 'open', 'version', 1,
    'lines', $J->encode([{ line_id => '7', sku => 'MUG', qty => 3 }]));
$t->redis('SADD', "${K}shipments:woo-main:1001", $sid);
$t->redis('HSET', "${K}alloc:woo-main:1001", 'held',
          $J->encode({ '3pl-us' => { MUG => 3 } }));
$t->redis('HSET', "${K}stock:MUG", 'reserved:3pl-us', 3);
$t->redis('ZADD', "${K}fulfil:due", int(time * 1000), $sid);

ok(wait_for(30, sub { field($sid, 'state') eq 'requested' }),
   'the shipment sent to the 3PL') or diag($t->read_file('logs/w1.out'));
InvsyncSim::call($t, '3pl', 'ship', reference_id => $sid,
                 tracking_number => "9400\n111", carrier => 'USPS');
ok(wait_for(30, sub { dead() =~ /tracking number has a control byte 0x0a/ }),
   'the webhook\'s confirmation refused, a dead letter says why')
    or diag(dead(), $t->read_file('logs/w1.out'));
is(field($sid, 'state'), 'requested', 'the shipment is not shipped');
is(field($sid, 'tracking'), '', 'nothing stored as its tracking');
is(stock('MUG')->{'on_hand:3pl-us'}, 10, 'stock not moved');
ok(!defined $t->redis('ZSCORE', "${K}track:due", $sid),
   'nothing queued for the channel');
ok(defined $t->redis('ZSCORE', "${K}fulfil:due", $sid),
   'still due: the 3PL is asked again');
# asked (ask_after_s): the 3PL's answer is refused the same way, and the
# shipment's last_error says why, for the console and exceptions
ok(wait_for(45, sub { field($sid, 'last_error')
                      =~ /tracking number has a control byte 0x0a/ }),
   'asked again: last_error names the field')
    or diag(field($sid, 'last_error'), $t->read_file('logs/w1.out'));
is(field($sid, 'state'), 'requested', 'still not shipped');

$t->done;
