#!/usr/bin/perl

# Shopify's own returns (docs/returns.md "The channel's return",
# docs/channels/shopify.md "Returns"), through the Shopify simulator's
# signed webhooks, nginx and the worker: an order routed to wh-b and
# fulfilled by the merchant; its return requested (returns/request, 5
# times with 5 webhook ids) opens one RMA shop-eu:<return id> with the
# order's line and its reason; approved (5 times) changes nothing more;
# its label attached (reverse_deliveries/attach_deliverable, 3 times)
# moves it in transit once, with the tracking; its units disposed
# (reverse_fulfillment_orders/dispose, which names no return) are read
# from Shopify's reverse fulfilment order (after three 503s) and received
# on the RMA once: the restocked unit back on hand at wh-b where the line
# shipped from, the other in damaged:wh-b, and Shopify shows the new
# quantity, though Shopify's close (5 times, once, with its cause) was
# applied before the receipt; a disposition Shopify does not know is
# return_unknown.  A second return declined closes its RMA with the
# decline's reason.  A return of an order invsync never recorded is
# return_unknown once however often it comes, and opens its RMA when
# retried after the order came; a bad payload is a dead letter that says
# which member is wrong; a disposition whose wait Redis refuses is not
# acked, and read once Redis takes it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use InvsyncTest;
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for ctl
                     map_sku);
use InvsyncSetup qw(hook_locations shopify_req send_req audits drained);

use constant INVSYNC_DISPOSITION => 'invsync.return.disposition';

my $t = InvsyncTest->setup(
    programs => ['invsync-worker', 'invsyncctl'],
    secrets => { 'shopify.secret' => 'hush', 'shop.token' => 'shpat_test' },
    locations => hook_locations('shopify'));

$t->run;
$t->plan(57);

my $K = 'invsync:{invsync}:';
my @topics = ('orders/create', 'fulfillments/create', 'returns/request',
              'returns/approve', 'returns/decline', 'returns/close',
              'reverse_deliveries/attach_deliverable',
              'reverse_fulfillment_orders/dispose');
my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_test',
    webhook_url => $t->url('/hooks/shopify'), webhook_secret => 'hush',
    webhook_topics => \@topics,
    items => [{ inventory_item_id => 111, location_id => 9,
                available => 10, sku => 'SKU-A', price => '9.00' }]);

# retried for as long as the test lets Redis refuse a disposition's wait
# (three quick attempts dead-lettered it before the test gave the key
# back, when the reader's turn came late: CI's run)
my $conf = worker_conf($t, 'worker.json',
    consumer => { block_ms => 50, claim_idle_ms => 5000 },
    retry => { attempts => 100, base_ms => 50, max_ms => 200 },
    limits => { reconcile_s => 0 },
    locations => [ { id => 'wh-a', kind => 'manual', channels => ['shop-eu'] },
                   { id => 'wh-b', kind => 'manual',
                     channels => ['shop-eu'] } ],
    routing => { rules => [ { name => 'default', strategy => 'priority' } ] },
    returns => { restock_on => 'receipt' },
    channels => [
        { id => 'shop-eu', type => 'shopify', api_base => $shop,
          credentials_file => $t->dir . '/shop.token',
          options => { locations => { 'wh-a' => 9, 'wh-b' => 9 } } } ]);

map_sku($t, 'SKU-A', 111, 501);
$t->redis('HSET', "${K}stock:SKU-A", 'on_hand:wh-b', 10);
run_worker($t, 'w1', $conf);

sub stock { my %h = @{$t->redis('HGETALL', "${K}stock:$_[0]")}; \%h }
sub entries { audits($t, $_[0], rma => $_[1]) }
sub rma {
    my ($id) = @_;
    my ($rc, $out) = ctl($t, $conf, 'return', 'show', $id, '--json');
    return $rc == 0 ? decode_json($out) : undef;
}
sub exceptions {
    my ($kind) = @_;
    return [grep { ($_->{kind} // '') eq $kind }
            map { +{ @{$t->redis('HGETALL', "${K}exception:$_")} } }
            @{$t->redis('ZRANGE', "${K}exceptions:open", 0, -1)}];
}
# every refunds-stream entry read and acked
sub settled { drained($t, 'invsync:refunds', $_[0]) }
sub level {
    return (grep { $_->{inventory_item_id} == 111 }
            @{InvsyncSim::state($t, 'shopify')->{levels}})[0]{available};
}

# the merchant fulfils the whole order in Shopify's admin
sub merchant_fulfils {
    my ($oid) = @_;
    my @by = map { my $fo = $_; +{
        fulfillmentOrderId => "gid://shopify/FulfillmentOrder/$fo->{id}",
        fulfillmentOrderLineItems => [ map { +{
            id => "gid://shopify/FulfillmentOrderLineItem/$_->{id}",
            quantity => $_->{remaining} } } @{$fo->{lines}} ] } }
        grep { $_->{order_id} == $oid }
        @{InvsyncSim::state($t, 'shopify')->{fulfillment_orders}};
    my $r = HTTP::Tiny->new->post(
        InvsyncSim::url($t, 'shopify', '/admin/api/2026-04/graphql.json'),
        { headers => { 'Content-Type' => 'application/json',
                       'X-Shopify-Access-Token' => 'shpat_test' },
          content => encode_json({ query => 'mutation M($f: FulfillmentInput!) '
              . '{ fulfillmentCreate(fulfillment: $f) { fulfillment { id } '
              . 'userErrors { message } } }',
              variables => { f => { lineItemsByFulfillmentOrder => \@by,
                  trackingInfo => { company => 'DHL Express',
                                    number => 'MERCH1' } } } }) });
    return $r->{content};
}

my $wh = 0;
sub send_hook {
    my ($topic, $body) = @_;
    return send_req($t, shopify_req($topic, 'rt-' . ++$wh, $body,
                                    shop => 'invsync-test.myshopify.com'));
}

###############################################################################
# an order routed to wh-b, fulfilled by the merchant

my $o = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [ { sku => 'SKU-A', quantity => 3 } ]);
my $sid = "shop-eu:$o->{id}\@wh-b";
ok(wait_for(30, sub { ($t->redis('HGET', "${K}shipment:$sid", 'state')
                       // '') eq 'open' }),
   'the order recorded and routed to wh-b')
    or diag($t->read_file('logs/w1.out'));
my $g = merchant_fulfils($o->{id});
ok(wait_for(30, sub { (stock('SKU-A')->{'on_hand:wh-b'} // 0) == 7 }),
   'fulfilled in Shopify: 3 units left wh-b') or diag(explain [$g,
   stock('SKU-A')]);

###############################################################################
# the customer asks to return 2 (returns/request 5 times); approved 5 times

my $nr = @{$t->stream('invsync:refunds')};
my $ret = InvsyncSim::call($t, 'shopify', 'return', order_id => $o->{id},
    lines => [ { sku => 'SKU-A', quantity => 2, reason => 'defective',
                 note => 'the handle came off' } ], times => 5);
my $rid = $ret->{return}{id};
my $rma = "shop-eu:$rid";
ok(wait_for(30, sub { settled($nr + 5) }), 'the 5 requests acted on')
    or diag($t->read_file('logs/w1.out'));
my $r = rma($rma);
is_deeply([ $r->{state}, $r->{order}, $r->{reason},
            [ map { [ @$_{qw(sku qty line_id)} ] } @{$r->{lines}} ] ],
          [ 'open', "shop-eu:$o->{id}", 'defective',
            [ [ 'SKU-A', 2, $o->{line_items}[0]{id} ] ] ],
          'RMA shop-eu:<return id> open with the order line and its reason')
    or diag(explain $r);
is(scalar @{entries('return.open', $rma)}, 1, 'opened once');

$nr = @{$t->stream('invsync:refunds')};
InvsyncSim::call($t, 'shopify', 'return_step', return_id => $rid,
                 step => 'approve', times => 5);
ok(wait_for(30, sub { settled($nr + 5) }), 'the 5 approvals acted on');
is_deeply([ rma($rma)->{state}, scalar @{entries('return.open', $rma)},
            scalar @{rma($rma)->{history}} ],
          [ 'open', 1, 1 ], 'approved: still one RMA, open, one history entry');

# its label: in transit with the tracking, once (3 times)
$nr = @{$t->stream('invsync:refunds')};
InvsyncSim::call($t, 'shopify', 'return_step', return_id => $rid,
    step => 'deliver', carrier => 'DHL Express', tracking_number => 'RET-77',
    times => 3);
ok(wait_for(30, sub { settled($nr + 3) }), 'the 3 labels acted on');
$r = rma($rma);
is_deeply([ $r->{state}, $r->{tracking},
            scalar grep { $_->{state} eq 'in_transit' } @{$r->{history}} ],
          [ 'in_transit', 'RET-77', 1 ],
          'in transit with the label\'s tracking, once') or diag(explain $r);

###############################################################################
# its units disposed in Shopify: the webhook names no return; the worker
# reads its reverse fulfilment order and receives them on the RMA

# the first three reads answered 503: read again after each backoff
InvsyncSim::fail($t, 'shopify', mode => '5xx', count => 3, status => 503,
                 match => 'graphql', match_body => 'reverseFulfillmentOrder');
my $d = InvsyncSim::call($t, 'shopify', 'return_step', return_id => $rid,
    step => 'dispose', dispositions => [
        { sku => 'SKU-A', type => 'restocked', quantity => 1,
          location_id => 9 },
        { sku => 'SKU-A', type => 'not_restocked', quantity => 1 } ]);
# processed, Shopify closes the return (5 times): applied before the
# disposition's receipt, whose read waits out the 503s
$nr = @{$t->stream('invsync:refunds')};
InvsyncSim::call($t, 'shopify', 'return_step', return_id => $rid,
                 step => 'close', times => 5);
ok(wait_for(30, sub { (rma($rma) // {})->{state} eq 'closed' }),
   'closed first') or diag($t->read_file('logs/w1.out'));
ok(wait_for(30, sub { my $s = stock('SKU-A');
                      ($s->{'on_hand:wh-b'} // 0) == 8
                      && ($s->{'damaged:wh-b'} // 0) == 1 }),
   'disposed: the restocked unit back on hand at wh-b (where it shipped '
   . 'from), the other in damaged:wh-b')
    or diag(explain [stock('SKU-A'), $t->read_file('logs/w1.out')]);
ok(wait_for(30, sub { (level() // -1) == 8 }),
   'Shopify follows: 8 available') or diag(level());
like(join('', $t->read_file('logs/w1.out')), qr/disposition not read.*503/,
     'after a 503, retried');
$r = rma($rma);
my ($rcpt) = keys %{$r->{receipts}};
is_deeply([ $r->{state}, $rcpt =~ /^shop-eu:$d->{dispose}{id}:disposition\.read:/
                         ? 'rfo' : $rcpt,
            [ map { [ @$_{qw(sku qty condition bucket location)} ] }
              @{$r->{receipts}{$rcpt}{lines}} ] ],
          [ 'closed', 'rfo',
            [ [ 'SKU-A', 1, 'resellable', 'on_hand', 'wh-b' ],
              [ 'SKU-A', 1, 'damaged', 'damaged', 'wh-b' ] ] ],
          'the RMA: one receipt, each unit decided by the rules, still '
          . 'closed')
    or diag(explain $r);
is(scalar @{exceptions('return_unknown')}, 0, 'nothing for a person');

# the same webhook 4 more times (nginx: duplicates), its entry and the
# read's replayed: nothing again
my ($dw) = grep { $_->{topic} eq 'reverse_fulfillment_orders/dispose' }
           @{InvsyncSim::webhooks($t, 'shopify')};
is_deeply([ map { decode_json($t->post('/hooks/shopify', $dw->{body},
                                       %{$dw->{headers}})->{content})->{status} }
            1 .. 4 ], [ ('duplicate') x 4 ], 'the same webhook: duplicates');
ok(wait_for(30, sub { settled($nr + 6) }), 'the 5 closes and the read '
   . 'acted on');
$nr = @{$t->stream('invsync:refunds')};
for my $topic ('reverse_fulfillment_orders/dispose', INVSYNC_DISPOSITION) {
    my ($e) = grep { ($_->[1]{topic} // '') eq $topic }
              @{$t->stream('invsync:refunds')};
    ctl($t, $conf, 'replay', '--stream', 'refunds', '--entry', $e->[0]);
}
ok(wait_for(30, sub { settled($nr + 3) }), 'the replays acted on (and the '
   . 'second read)') or diag($t->read_file('logs/w1.out'));
is_deeply([ map { $_->{state} } @{rma($rma)->{history}} ],
          [ qw(open in_transit closed received inspected) ],
          'its history: received and inspected after the close');
is_deeply([ @{stock('SKU-A')}{qw(on_hand:wh-b damaged:wh-b)},
            scalar @{entries('return.restock')},
            scalar keys %{rma($rma)->{receipts}} ], [8, 1, 2, 1],
          'once: one receipt, two return.restock entries');

# a disposition Shopify does not know
my $unk = $t->read_file($t->root
    . '/t/fixtures/shopify/reverse_fulfillment_orders_dispose/body.json');
is(send_hook('reverse_fulfillment_orders/dispose', $unk)->{status}, 200,
   'a disposition of a reverse fulfilment order Shopify does not know');
ok(wait_for(30, sub { grep { ($_->{summary} // '') =~ /could not be read/ }
                      @{exceptions('return_unknown')} }),
   'return_unknown, for a person') or diag($t->read_file('logs/w1.out'));
is(stock('SKU-A')->{'on_hand:wh-b'}, 8, 'nothing moved');

###############################################################################
# its close, 5 times: once

$r = rma($rma);
my @closed = grep { $_->{state} eq 'closed' } @{$r->{history}};
is_deeply([ $r->{state}, scalar @closed, $closed[0]{why},
            $closed[0]{cause} ],
          [ 'closed', 1, 'closed', "$rma:closed" ],
          'the RMA closed once, the channel\'s close its cause')
    or diag(explain $r);
is(scalar @{entries('return.close', $rma)}, 1, 'one return.close');
my ($src, $txt) = ctl($t, $conf, 'return', 'show', $rma);
like($txt, qr/^closed\s.*\Q$rma:closed\E\s+-\s+closed\s*$/m,
     'return show: the close with its cause and why') or diag($txt);

###############################################################################
# a return of 60 lines, one unit each of a line of 60 (more than the 50 the
# read once asked for): every line's order line read, every unit received

$t->redis('HINCRBY', "${K}stock:SKU-A", 'on_hand:wh-b', 60);
InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 111,
                      location_id => 9, available => 70);
my $before = stock('SKU-A')->{'on_hand:wh-b'};
my $o60 = InvsyncSim::order($t, 'shopify', location_id => 9,
    line_items => [ { sku => 'SKU-A', quantity => 60 } ]);
ok(wait_for(30, sub { ($t->redis('HGET', "${K}shipment:shop-eu:$o60->{id}\@wh-b",
                                 'state') // '') eq 'open' }),
   'an order of 60 units routed to wh-b')
    or diag($t->read_file('logs/w1.out'));
merchant_fulfils($o60->{id});
ok(wait_for(30, sub { stock('SKU-A')->{'on_hand:wh-b'} == $before - 60 }),
   'fulfilled in Shopify') or diag(explain stock('SKU-A'));
my $ret60 = InvsyncSim::call($t, 'shopify', 'return', order_id => $o60->{id},
    status => 'open', lines => [ map { +{
        line_item_id => $o60->{line_items}[0]{id}, quantity => 1,
        reason => 'unwanted' } } 1 .. 60 ]);
my $rma60 = "shop-eu:$ret60->{return}{id}";
ok(wait_for(30, sub { @{(rma($rma60) // { lines => [] })->{lines}} == 60 }),
   'its RMA, 60 lines') or diag($t->read_file('logs/w1.out'));
my $since = @{InvsyncSim::requests($t, 'shopify')};
InvsyncSim::call($t, 'shopify', 'return_step',
    return_id => $ret60->{return}{id}, step => 'dispose',
    dispositions => [ map { +{ line => $_, type => 'restocked', quantity => 1,
                               location_id => 9 } } 0 .. 59 ]);
ok(wait_for(30, sub { stock('SKU-A')->{'on_hand:wh-b'} == $before }),
   'disposed: all 60 units back on hand at wh-b')
    or diag(explain [stock('SKU-A'), $t->read_file('logs/w1.out')]);
$r = rma($rma60);
is_deeply([ map { scalar @{$_->{lines}} } values %{$r->{receipts}} ], [60],
          'one receipt of 60 lines') or diag(explain $r);
my @reads = grep { ($_->{body} // '') =~ /reverseFulfillmentOrder/ }
            @{InvsyncSim::requests($t, 'shopify', $since)};
is_deeply([ scalar @reads, map { $_->{body} =~ /lineItems\(first: 250\)/
                                 && $_->{body} =~ /hasNextPage/ ? 1 : 0 }
            @reads ], [1, 1],
          'read in one page of up to 250, with its pageInfo checked')
    or diag(explain \@reads);

###############################################################################
# a second return, declined

my $ret2 = InvsyncSim::call($t, 'shopify', 'return', order_id => $o->{id},
    lines => [ { sku => 'SKU-A', quantity => 1, reason => 'unwanted' } ]);
my $rma2 = "shop-eu:$ret2->{return}{id}";
ok(wait_for(30, sub { (rma($rma2) // {})->{state} }), 'a second RMA');
InvsyncSim::call($t, 'shopify', 'return_step',
    return_id => $ret2->{return}{id}, step => 'decline',
    reason => 'return_period_ended', note => 'past 30 days', times => 2);
ok(wait_for(30, sub { (rma($rma2) // {})->{state} eq 'closed' }),
   'declined: closed');
is_deeply([ map { $_->{why} } grep { $_->{state} eq 'closed' }
            @{rma($rma2)->{history}} ],
          [ 'declined: return_period_ended' ], 'once, with its reason');

# a third, approved, its unit disposed of as still to be processed:
# nothing received yet
my $ret3 = InvsyncSim::call($t, 'shopify', 'return', order_id => $o->{id},
    lines => [ { sku => 'SKU-A', quantity => 1, reason => 'unwanted' } ]);
my $rma3 = "shop-eu:$ret3->{return}{id}";
InvsyncSim::call($t, 'shopify', 'return_step',
    return_id => $ret3->{return}{id}, step => 'approve');
InvsyncSim::call($t, 'shopify', 'return_step',
    return_id => $ret3->{return}{id}, step => 'dispose', dispositions => [
        { sku => 'SKU-A', type => 'processing_required', quantity => 1 } ]);
ok(wait_for(30, sub { join('', $t->read_file('logs/w1.out')) =~
    /"result":"ignored".*"err":"every line still processing_required: nothing received on RMA \Q$rma3\E yet"/ }),
   'a disposition still to be processed: ignored, saying why')
    or diag($t->read_file('logs/w1.out'));

###############################################################################
# a return of an order invsync never recorded; a bad payload

my $body = decode_json($t->read_file(
    $t->root . '/t/fixtures/shopify/returns_request/body.json'));
$body->{order}{id} = 999000111;
$body->{id} = 555000111;
is(send_hook('returns/request', encode_json($body))->{status}, 200,
   'a return of an unknown order: accepted by nginx');
send_hook('returns/request', encode_json($body)) for 1 .. 2;
ok(wait_for(30, sub { grep { ($_->{id} // '') eq
                             'return_unknown:shop-eu:return:555000111' }
                      @{exceptions('return_unknown')} }),
   'return_unknown, once per return') or diag($t->read_file('logs/w1.out'));
ok(!defined rma('shop-eu:555000111'), 'and no RMA');

# the order arrives; the exception retried opens the RMA
is(send_hook('orders/create', encode_json({ id => 999000111,
    name => '#999', email => 'jon@example.com', currency => 'EUR',
    created_at => '2026-11-20T10:00:00+01:00',
    updated_at => '2026-11-20T10:00:00+01:00', total_price => '27.00',
    financial_status => 'paid', line_items => [
        map { +{ id => $_->[0], sku => 'SKU-A', quantity => $_->[1],
                 price => '9.00', title => 'SKU-A', product_id => 7,
                 variant_id => 70 } } [13000000001, 2], [13000000002, 1] ]
    }))->{status}, 200, 'its order arrives');
ok(wait_for(30, sub { defined $t->redis('HGET',
                          "${K}order:shop-eu:999000111", 'data') }),
   'recorded');
my ($rc, $out) = ctl($t, $conf, 'exceptions', 'retry',
                  'return_unknown:shop-eu:return:555000111');
is($rc, 0, 'the exception retried') or diag($out);
ok(wait_for(30, sub { my $x = rma('shop-eu:555000111');
                      $x && @{$x->{lines}} == 2 }),
   'the RMA opened with both lines') or diag($t->read_file('logs/w1.out'));

# closed, or its label attached, in Shopify: no RMA, and the log says so
send_hook('returns/close', encode_json({ id => 555000113,
                                         order_id => 999000111 }));
send_hook('reverse_deliveries/attach_deliverable', encode_json({
    id => 66, return => { id => 555000113 },
    shipping_deliverable => { tracking => { tracking_number => 'T1' } } }));
ok(wait_for(30, sub { my $log = join('', $t->read_file('logs/w1.out'));
                      $log =~ /"result":"ignored".*"err":"no RMA shop-eu:555000113 yet: closed kept for its request \(K rmaearly:\)"/
                      && $log =~ /"err":"no RMA shop-eu:555000113 yet: its label kept for its request/ }),
   'a close and a label of a return with no RMA: kept for its request, '
   . 'saying so')
    or diag($t->read_file('logs/w1.out'));

# reopened in Shopify, a return invsync never had: its webhook names no
# lines, so no RMA is made up from it; a person opens one
send_hook('returns/reopen', encode_json({ id => 555000114,
                                          order_id => 999000111,
                                          status => 'open' }));
ok(wait_for(30, sub { grep { ($_->{id} // '') eq
                             'return_unknown:shop-eu:return:555000114' }
                      @{exceptions('return_unknown')} }),
   'reopened, never had: return_unknown')
    or diag(explain [rma('shop-eu:555000114'), $t->read_file('logs/w1.out')]);
ok(!defined rma('shop-eu:555000114'), 'and no RMA without lines');
is_deeply([ sort @{$t->redis('HKEYS', "${K}rmaearly:shop-eu:555000113")} ],
          [ 'end', 'transit:66' ], 'the early close and label remembered');
ok($t->redis('TTL', "${K}rmaearly:shop-eu:555000113") > 29 * 86400,
   'for 30 days');

$body->{return_line_items}[0]{quantity} = 'two';
$body->{id} = 555000112;
is(send_hook('returns/request', encode_json($body))->{status}, 200,
   'a bad payload: accepted by nginx (it is JSON, signed)');
my $dl = wait_for(30, sub {
    (grep { ($_->[1]{topic} // '') eq 'returns/request' }
     @{$t->stream("${K}dlq")})[0] });
like($dl ? $dl->[1]{reason} : '', qr/return_line_items\[0\]\.quantity/,
     'a dead letter naming the member') or diag(explain $dl);

###############################################################################
# a disposition whose wait Redis refuses (a key of the wrong type): not
# acked as applied, but retried until Redis takes it

$t->redis('SET', "${K}disposeread:wait", 'not a hash');
my $wid = $wh + 1;
is(send_hook('reverse_fulfillment_orders/dispose', $unk)->{status}, 200,
   'a disposition while Redis refuses its wait');
ok(wait_for(30, sub { join('', $t->read_file('logs/w1.out'))
                      =~ /"event":"rt-$wid".*WRONGTYPE/ }),
   'the refusal logged, with Redis\'s reason')
    or diag($t->read_file('logs/w1.out'));
ok(!settled(0), 'its entry not acked');
# one due meanwhile, its body unreadable: kept due, not forgotten
$t->redis('ZADD', "${K}disposeread:due", 0, 'shop-eu:rt-unread');
ok(wait_for(30, sub { join('', $t->read_file('logs/w1.out'))
                      =~ /"event":"rt-unread".*WRONGTYPE/ }),
   'its body unreadable: logged') or diag($t->read_file('logs/w1.out'));
ok(defined $t->redis('ZSCORE', "${K}disposeread:due", 'shop-eu:rt-unread'),
   'and still due');
$t->redis('DEL', "${K}disposeread:wait");
ok(wait_for(30, sub { grep { ($_->{id} // '') eq
                             "return_unknown:shop-eu:rt-$wid" }
                      @{exceptions('return_unknown')} }),
   'once Redis takes it: read, and return_unknown (Shopify does not know '
   . 'it)') or diag($t->read_file('logs/w1.out'));

is(stop_worker($t, 'w1'), 0, 'worker stops cleanly');

$t->done;
