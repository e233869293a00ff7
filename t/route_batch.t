#!/usr/bin/perl

# The orders of one read routed together (src/actions/route/
# invsync_route_batch.c): the orders wait in the stream before the worker
# starts, so that one read brings them all.  Three orders want the five
# units of SKU-A at wh-a (the first location): all three decide on the same
# read, the first takes the five, the other two are "stale" at route.lua's
# re-check and decided again alone, on what the first left (wh-b).  The
# same order under another webhook id in the same read routes once; every
# order has its one order.route entry with its trace, and its shipment.
# A SKU stocked at 50 locations (the routing bar's) is read whole by
# `invsyncctl stock get` (32 were the most before).  A ledger Redis refuses
# (a stock:<sku> that is no hash) fails its order alone (at its
# reservation, before routing: route.t has the read's own refusal), with
# Redis's reason in its dead letter; the orders read with it route.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use InvsyncTest qw(hmac_b64);
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for
                     audit_entries map_sku ctl);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush' },
    locations => <<'EOF');
        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shopify.secret;
        }
EOF

$t->run;
$t->plan(23);

my $K = 'invsync:{invsync}:';
my $json = JSON::PP->new->canonical;

my $conf = worker_conf($t, 'worker.json', log_level => 'debug',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    locations => [ { id => 'wh-a', kind => 'warehouse' },
                   { id => 'wh-b', kind => 'warehouse' } ],
    routing => { rules => [ { name => 'default', strategy => 'priority' } ] });

map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-a', 5, 'on_hand:wh-b', 10);
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh-a', 20);

sub order {
    my ($id, $sku, $qty) = @_;
    return encode_json({
        id => $id, name => "#$id", email => 'jon@example.com',
        created_at => '2026-11-20T10:00:00+01:00',
        updated_at => '2026-11-20T10:00:00+01:00',
        currency => 'EUR', total_price => '59.00',
        financial_status => 'paid',
        line_items => [ { id => $id * 10, sku => $sku, quantity => $qty,
                          price => '9.00', title => $sku, product_id => 7,
                          variant_id => $id * 10 } ],
        shipping_address => { name => 'Jon', address1 => '1 Rue',
                              city => 'Paris', zip => '75001',
                              country_code => 'FR' },
    });
}

sub send_shopify {
    my ($body, $id) = @_;
    return $t->post('/hooks/shopify', $body,
                    'X-Shopify-Hmac-Sha256' => hmac_b64($body, 'hush'),
                    'X-Shopify-Topic' => 'orders/create',
                    'X-Shopify-Webhook-Id' => $id,
                    'X-Shopify-Shop-Domain' => 'shop-eu.myshopify.com');
}

sub routes {
    my ($order) = @_;
    return [grep { ($_->{action} // '') eq 'order.route'
                   && ($_->{order} // '') eq $order }
            @{audit_entries($t)}];
}

# the "orders routed pipelined" lines of a worker's log: [orders, alone]
sub pipelined {
    my $log = eval { $t->read_file($t->dir . "/logs/$_[0].out") } // '';
    return [map { [/"orders":(\d+)/, /"alone":(\d+)/] }
            grep { /"msg":"orders routed pipelined"/ } split /\n/, $log];
}

sub held {
    my ($order) = @_;
    my $h = $t->redis('HGET', "${K}alloc:$order", 'held');
    return $h ? $json->decode($h) : undef;
}

###############################################################################
# every order in the stream before the worker reads: one read

my @sent = (
    [ order(701, 'SKU-A', 5), 'wh-701' ],
    [ order(702, 'SKU-A', 5), 'wh-702' ],
    [ order(703, 'SKU-A', 3), 'wh-703' ],
    [ order(701, 'SKU-A', 5), 'wh-701-again' ],
    map { [ order($_, 'SKU-B', 1), "wh-$_" ] } 704 .. 709,
);
my @st = map { send_shopify(@$_)->{status} } @sent;
is_deeply(\@st, [ (200) x @sent ], 'ten order events accepted');

run_worker($t, 'w1', $conf);

my @orders = map { "shop-eu:$_" } 701 .. 709;
ok(wait_for(30, sub { !grep { !held($_) } @orders }), 'every order routed')
    or diag($t->read_file('logs/w1.out'));

is_deeply([ map { held("shop-eu:$_") } 701 .. 703 ],
          [ { 'wh-a' => { 'SKU-A' => 5 } }, { 'wh-b' => { 'SKU-A' => 5 } },
            { 'wh-b' => { 'SKU-A' => 3 } } ],
          'the first takes wh-a; the two that decided on the same units '
          . 'were decided again on what it left');

my %a = @{$t->redis('HGETALL', "${K}stock:SKU-A")};
is_deeply([ map { $a{$_} // 0 } qw(reserved:wh-a reserved:wh-b unrouted) ],
          [ 5, 8, 0 ], 'nothing oversold: 5 reserved at wh-a, 8 at wh-b');

my %b = @{$t->redis('HGETALL', "${K}stock:SKU-B")};
is($b{'reserved:wh-a'}, 6, 'the six orders of SKU-B routed at wh-a');

# one order.route entry per order, the duplicate included, each its trace
is_deeply([ map { scalar @{routes($_)} } @orders ], [ (1) x @orders ],
          'one order.route entry per order, the same order twice once');

my @traced = grep {
    my $tr = eval { $json->decode(routes($_)->[0]{inputs}) } // {};
    ($tr->{status} // '') eq 'routed' && @{$tr->{allocation} // []} == 1
} @orders;
is(scalar @traced, scalar @orders, 'each entry carries its trace');

is_deeply([ map { $t->redis('HGET', "${K}alloc:shop-eu:$_", 'seq') }
            701 .. 703 ], [ 1, 1, 1 ], 'each allocation written once');

ok(wait_for(20, sub {
       !grep { !$t->redis('EXISTS', "${K}shipment:$_") }
           'shop-eu:701@wh-a', 'shop-eu:702@wh-b', 'shop-eu:703@wh-b',
           map { "shop-eu:$_\@wh-a" } 704 .. 709 }),
   'each routed order has its shipment at its location');
is_deeply(pipelined('w1')->[0], [ 10, 2 ],
          'one pipelined run of the ten orders (the duplicate among them, '
          . 'routed once), the two stale ones again alone')
    or diag(explain(pipelined('w1')));

###############################################################################
# a ledger Redis refuses, among orders read with it

map_sku($t, 'SKU-W', 333, 503);
$t->redis('SET', "${K}stock:SKU-W", 'not a hash');
$t->redis('HSET', "${K}stock:SKU-B", 'on_hand:wh-b', 20);
send_shopify(order(711, 'SKU-B', 1), 'wh-711');
send_shopify(order(712, 'SKU-W', 1), 'wh-712');
send_shopify(order(713, 'SKU-B', 1), 'wh-713');

ok(wait_for(30, sub { held('shop-eu:711') && held('shop-eu:713') }),
   'the orders read with it are routed');

my $dead;
ok(wait_for(30, sub {
       ($dead) = grep { my %e = @{$_->[1]}; ($e{event} // '') eq 'wh-712' }
           @{$t->redis('XRANGE', "${K}dlq", '-', '+')};
       $dead }), 'the order whose ledger Redis refused is dead-lettered')
    or diag($t->read_file('logs/w1.out'));
my %d = @{$dead ? $dead->[1] : []};
like($d{reason} // '', qr/WRONGTYPE/, 'its reason is Redis\'s: ' . ($d{reason} // ''));

###############################################################################
# a bundle in a read: its components' ledgers in a round of their own,
# one of them a line's SKU too; two lines of one SKU; orders read with it

stop_worker($t, 'w1');
map_sku($t, 'SKU-C', 444, 504);
map_sku($t, 'SKU-D', 555, 505);
map_sku($t, 'KIT-X', 666, 506);
$t->redis('HSET', "${K}stock:SKU-C", 'on_hand:wh-b', 10);
$t->redis('HSET', "${K}stock:SKU-D", 'on_hand:wh-a', 1, 'on_hand:wh-b', 10);
my ($rc, $out) = ctl($t, $conf, 'sku', 'bundle', 'KIT-X', '--components',
                     'SKU-C:1,SKU-D:2', '--why', 'test');
is($rc, 0, 'KIT-X = SKU-C + 2 SKU-D') or diag($out);

sub order_lines {
    my ($id, @lines) = @_;
    my $doc = decode_json(order($id, 'X', 1));
    my $n = 0;
    $doc->{line_items} = [ map { { %{$doc->{line_items}[0]},
                                   id => $id * 10 + ++$n, sku => $_->[0],
                                   quantity => $_->[1],
                                   variant_id => $id * 10 + $n } } @lines ];
    return encode_json($doc);
}

send_shopify(order(721, 'SKU-B', 1), 'wh-721');
send_shopify(order_lines(722, [ 'KIT-X', 2 ], [ 'SKU-C', 1 ]), 'wh-722');
send_shopify(order_lines(723, [ 'SKU-B', 1 ], [ 'SKU-B', 2 ]), 'wh-723');
send_shopify(order(724, 'SKU-D', 1), 'wh-724');
run_worker($t, 'w2', $conf);

ok(wait_for(30, sub { !grep { !held("shop-eu:$_") } 721 .. 724 }),
   'the four orders of the read routed')
    or diag($t->read_file('logs/w2.out'));
is_deeply([ map { held("shop-eu:$_") } 721 .. 724 ],
          [ { 'wh-a' => { 'SKU-B' => 1 } },
            { 'wh-b' => { 'SKU-C' => 3, 'SKU-D' => 4 } },
            { 'wh-a' => { 'SKU-B' => 3 } },
            { 'wh-a' => { 'SKU-D' => 1 } } ],
          'a bundle placed where its components are, with a line of one '
          . 'of them; two lines of one SKU summed; the orders beside them')
    or diag(explain([ map { held("shop-eu:$_") } 721 .. 724 ]));
is_deeply(pipelined('w2'), [ [ 4, 0 ] ],
          'the four in one pipelined run, none alone')
    or diag(explain(pipelined('w2')));

###############################################################################
# an unroutable order in a read, between routable ones (one a bundle): its
# exception is a round trip of its own, taken after the batch, never one
# of the batch's answers

stop_worker($t, 'w2');
map_sku($t, 'SKU-N', 777, 507);         # on hand nowhere
send_shopify(order(731, 'SKU-B', 1), 'wh-731');
send_shopify(order(732, 'SKU-N', 1), 'wh-732');
send_shopify(order_lines(733, [ 'KIT-X', 1 ]), 'wh-733');
send_shopify(order(734, 'SKU-B', 1), 'wh-734');
run_worker($t, 'w3', $conf);

ok(wait_for(30, sub {
       held('shop-eu:731') && held('shop-eu:733') && held('shop-eu:734')
       && $t->redis('HGET', "${K}exception:unroutable:shop-eu:732",
                    'state') }), 'three routed, the fourth unroutable')
    or diag($t->read_file('logs/w3.out'));
is_deeply([ held('shop-eu:731'), held('shop-eu:733'), held('shop-eu:734'),
            $t->redis('HGET', "${K}exception:unroutable:shop-eu:732",
                      'state') ],
          [ { 'wh-a' => { 'SKU-B' => 1 } },
            { 'wh-b' => { 'SKU-C' => 1, 'SKU-D' => 2 } },
            { 'wh-a' => { 'SKU-B' => 1 } }, 'open' ],
          'each where it belongs, the exception open')
    or diag(explain([ map { held("shop-eu:$_") } 731 .. 734 ]));

# each order's own event audited once, by route.lua, with its result (a
# re-route of the unroutable one may follow: another event); an order
# that read another's answer was counted a duplicate, and the unroutable
# one, its exception opened on the answer of the order before it, had no
# route.lua at all
my @own = map {
    my $o = $_;
    [ map { "$_->{event} $_->{result}" }
      grep { ($_->{event} // '') =~ /^wh-/ } @{routes("shop-eu:$o")} ]
} 731 .. 734;
is_deeply(\@own, [ [ 'wh-731 applied' ], [ 'wh-732 exception' ],
                   [ 'wh-733 applied' ], [ 'wh-734 applied' ] ],
          'one order.route entry each for its event, by route.lua')
    or diag(explain(\@own));
ok(!grep({ my %e = @{$_->[1]}; ($e{event} // '') =~ /^wh-73/ }
         @{$t->redis('XRANGE', "${K}dlq", '-', '+')}),
   'none of them dead-lettered');
is_deeply(pipelined('w3')->[0], [ 4, 1 ],
          'the four in one pipelined run, the unroutable one alone')
    or diag(explain(pipelined('w3')));

###############################################################################
# 50 locations in one ledger hash: every one read

map_sku($t, 'SKU-Z', 999, 509);
$t->redis('HSET', "${K}stock:SKU-Z",
          map { (sprintf('on_hand:loc-%02d', $_), 2,
                 sprintf('reserved:loc-%02d', $_), 1) } 0 .. 49);
($rc, $out) = ctl($t, $conf, 'stock', 'get', 'SKU-Z', '--json');
my $doc = eval { $json->decode($out) } // {};
is_deeply([ $rc, scalar keys %{$doc->{locations} // {}}, $doc->{on_hand},
            $doc->{reserved}, $doc->{locations}{'loc-49'} ],
          [ 0, 50, 100, 50, { on_hand => 2, reserved => 1 } ],
          'stock get: a SKU at 50 locations, every one')
    or diag($out);

$t->done;
