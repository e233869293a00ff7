#!/usr/bin/perl

# Refunds through nginx and the worker, from every scheme that sends them
# (docs/events.md, "refund"): a Shopify refunds/create restocks the lines
# Shopify flagged, once, however often and however concurrently it is
# delivered; a Stripe charge.refunded finds its Shopify order by the
# payment reference the order carries (K payref:) and, being the order's
# whole total with no lines, refunds every line of it; a partial Stripe
# refund with no lines is an exception; a Square refund finds its Square
# order by the payment; a refund that matches no order opens an exception
# holding the refund.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use InvsyncTest;
use InvsyncWorker qw(worker_conf run_worker stop_worker wait_for audit_entries
                     map_sku);
use InvsyncSetup qw(hook_locations hook_channels shopify_req stripe_req
                    square_req woo_req send_req on_hand_total refund_record
                    audits);

my $t = InvsyncTest->setup(
    programs => ['invsync-worker'],
    secrets => {
        'shopify.secret' => 'hush',
        'stripe.secret'  => 'whsec_test_refunds',
        'square.secret'  => 'sq_Sig-Key_123',
        'woo.secret'     => 'wsecret',
    },
    locations => hook_locations(qw(shopify stripe square woo)));

$t->run;
$t->wait_ready;
$t->plan(45);

my $K = 'invsync:{invsync}:';
my $conf = worker_conf($t, 'worker.json',
    channels => [ hook_channels(qw(shopify stripe square woo)) ],
    # the refund restocks what the channel flagged (docs/returns.md)
    returns => { restock_on => 'refund' });
run_worker($t, 'w', $conf);
map_sku($t, 'SKU-A', 111, 501);
map_sku($t, 'SKU-B', 222, 502);

sub stripe { send_req($t, stripe_req($_[0], 'whsec_test_refunds')) }
sub square { send_req($t, square_req($_[0])) }
sub woo { send_req($t, woo_req($_[0], $_[1])) }
sub send_one { send_req($t, $_[0]) }
sub on_hand { on_hand_total($t, $_[0]) }

sub records { audits($t, 'refund.record', order => $_[0]) }

sub refund_state { refund_record($t, @_) }

sub exception {
    my ($id) = @_;
    my %x = @{$t->redis('HGETALL', "${K}exception:$id")};
    return %x ? \%x : undef;
}

# the Shopify order: 2 x SKU-A, 1 x SKU-B, 49.97 EUR

my $order = encode_json({
    id => 501, name => '#501', email => 'jon@example.com',
    created_at => '2026-11-20T10:00:00+01:00',
    updated_at => '2026-11-20T10:00:00+01:00',
    currency => 'EUR', total_price => '49.97', financial_status => 'paid',
    line_items => [
        { id => 9001, sku => 'SKU-A', quantity => 2, price => '19.99',
          title => 'Mug' },
        { id => 9002, sku => 'SKU-B', quantity => 1, price => '9.99',
          title => 'Spoon' } ],
    refunds => [],
});

is(send_one(shopify_req('orders/create', 'o-501', $order))->{status}, 200,
   'order accepted');
ok(wait_for(10, sub { $t->redis('HGET', "${K}payref:order:501", 'order') }),
   'the order is indexed by its payment reference');
is_deeply({ @{$t->redis('HGETALL', "${K}payref:order:501")} },
          { channel => 'shop-eu', order => '501',
            'claim:shop-eu:501' => '1' },
          'K payref:order:501 names the channel and the order, its one claim');

my ($a0, $b0) = (on_hand('SKU-A'), on_hand('SKU-B'));

# a Shopify refund: one SKU-A returned, the SKU-B refunded without restock,
# delivered 5 times one after another and 5 times in parallel (new webhook
# ids each time: the worker, not nginx, must keep it once)

my $refund = encode_json({
    id => 7001, order_id => 501, created_at => '2026-11-21T10:00:00Z',
    processed_at => '2026-11-21T10:00:00Z', note => 'damaged box',
    restock => JSON::PP::false,
    refund_line_items => [
        { id => 1, line_item_id => 9001, quantity => 1,
          restock_type => 'return', location_id => 24826418,
          subtotal => 19.99,
          subtotal_set => { shop_money => { amount => '19.99',
                                            currency_code => 'EUR' } },
          total_tax => 0,
          line_item => { id => 9001, sku => 'SKU-A', quantity => 2 } },
        { id => 2, line_item_id => 9002, quantity => 1,
          restock_type => 'no_restock', subtotal => 9.99,
          line_item => { id => 9002, sku => 'SKU-B', quantity => 1 } } ],
    order_adjustments => [
        { id => 3, kind => 'shipping_refund', amount => '-4.95',
          tax_amount => '-0.00', reason => 'Shipping refund' } ],
    transactions => [
        { id => 1, kind => 'refund', status => 'success',
          amount => '34.93', currency => 'EUR' } ],
});

for my $i (1 .. 5) {
    is(send_one(shopify_req('refunds/create', "r-7001-$i", $refund))->{status},
       200, "refund delivery $i accepted");
}

my @par = $t->parallel(map { [shopify_req('refunds/create', "r-7001-p$_",
                                      $refund)] } 1 .. 5);
is(scalar(grep { $_->{status} == 200 } @par), 5,
   '5 parallel deliveries accepted');

ok(wait_for(20, sub { @{records('shop-eu:501')} >= 10 }),
   'all 10 deliveries recorded');
my @applied = grep { $_->{result} eq 'applied' } @{records('shop-eu:501')};
is(scalar @applied, 1, 'one refund.record applied, the others unchanged');
is(on_hand('SKU-A') - $a0, 1, 'the returned SKU-A restocked once');
is(on_hand('SKU-B') - $b0, 0, 'the no_restock SKU-B not restocked');

my $st = refund_state('shop-eu', '7001');
is_deeply([map { $_->{restock_type} } @{$st->{lines}}],
          ['return', 'no_restock'], 'restock_type kept per line');
is_deeply($st->{amounts}, { items_minor => 2998, shipping_minor => 495,
                            tax_minor => 0, discounts_minor => undef,
                            fees_minor => undef },
          'amounts: items, shipping, tax in minor units');
is($st->{note}, 'damaged box', 'the note kept');

# Stripe: the whole total, by metadata.order_id: every line of the order

my $evt = sub {
    my ($id, $type, $object) = @_;
    return encode_json({ id => $id, object => 'event', type => $type,
                         api_version => '2024-06-20', created => int(time),
                         data => { object => $object } });
};

my $sr = stripe($evt->('evt_full', 'charge.refunded', {
    id => 'ch_full', object => 'charge', amount => 4997,
    amount_refunded => 4997, currency => 'eur', created => int(time),
    payment_intent => 'pi_full', metadata => { order_id => '501' },
    refunded => JSON::PP::true,
    refunds => { object => 'list', data => [
        { id => 're_full', object => 'refund', amount => 4997,
          charge => 'ch_full', currency => 'eur', created => int(time),
          payment_intent => 'pi_full', reason => 'requested_by_customer',
          status => 'succeeded', metadata => {} } ] } }));
is($sr->{status}, 200, 'Stripe charge.refunded accepted')
    or diag($sr->{content});

my $full = wait_for(10, sub { refund_state('stripe-main', 're_full') });
is($full->{matched_by}, 'order:501', 'matched by metadata.order_id');
is("$full->{order_channel}:$full->{order_id}", 'shop-eu:501',
   'to the Shopify order');
is($full->{lines_from}, 'order', 'an amount-only full refund takes the '
   . 'order\'s lines');
is_deeply([map { "$_->{sku}x$_->{quantity}" } @{$full->{lines}}],
          ['SKU-Ax2', 'SKU-Bx1'], 'all lines of the order');
ok(scalar(grep { ($_->{event} // '') eq 'evt_full' }
          @{records('shop-eu:501')}),
   'the audit lists the Stripe refund under the Shopify order');
is(on_hand('SKU-A') - $a0, 1, 'no restock on a guess: nobody said the '
   . 'goods came back');

# Stripe: a partial amount with no lines is for a person

stripe($evt->('evt_part', 'refund.created', {
    id => 're_part', object => 'refund', amount => 500, currency => 'eur',
    charge => 'ch_part', created => int(time), status => 'succeeded',
    metadata => { order_id => '501' } }));
my $x = wait_for(10, sub {
    exception('refund_amount_only:stripe-main:shop-eu:501:re_part') });
is($x->{state}, 'open', 'a partial amount-only refund opens an exception');
my $xd = decode_json($x->{data} // '{}');
is_deeply([$xd->{refund}{amount_minor}, $xd->{order}{total_minor}],
          [500, 4997], 'with the refund and the order\'s total');

# Square: an order polled, its refund matched by the payment

my $sqorder = $t->read_file("$FindBin::Bin/fixtures/square/"
                            . 'order_polled_completed/body.json');
$t->redis('XADD', 'invsync:orders', '*', v => 1, channel => 'sq-main',
          scheme => 'square', account => 'MSIMSQUARE1',
          topic => 'order.polled', event => 'poll:sq-1:5',
          received => int(time * 1000), body => $sqorder);
ok(wait_for(10, sub {
    $t->redis('HGET', "${K}payref:txn:bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY",
              'order') }), 'the Square order indexed by its payment');

my $sqrefund = $t->read_file("$FindBin::Bin/fixtures/square/"
                             . 'refund_updated/body.json');
is(square($sqrefund)->{status}, 200, 'Square refund.updated accepted');
my $sq = wait_for(10, sub {
    refund_state('sq-main', 'KkAkhdMsgzn59SM8A89WgKwekxLZY_ptNBVqHYxt5gAdfc'
                            . 'obBe4u1AZsXhoz06KTtuq9Ls24P') });
is("$sq->{order_channel}:$sq->{order_id}:$sq->{matched_by}",
   'sq-main:CAISENgvlJ6jLWAzERDzjyHVybY:txn:bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY',
   'matched to the Square order by its payment, not the return order id');

# a refund no order carries

stripe($evt->('evt_none', 'refund.created', {
    id => 're_none', object => 'refund', amount => 1200, currency => 'usd',
    charge => 'ch_nobody', created => int(time), status => 'succeeded',
    metadata => {} }));
$x = wait_for(10, sub {
    exception('refund_unknown_order:stripe-main:evt_none') });
is_deeply([$x->{state}, decode_json($x->{data} // '{}')->{payment_refs}],
          ['open', ['txn:ch_nobody']],
          'a refund matching no order opens an exception with its data');

# WooCommerce: refunds live in the order; a full one takes the order's
# lines, a partial one (an amount only) goes to a person

my $wo = decode_json($t->read_file("$FindBin::Bin/fixtures/woocommerce/"
                                   . 'order_updated_refunded/body.json'));
$wo->{refunds} = [ { id => 741, reason => 'all of it', total => '-37.75' } ];
is(woo('wd-1', encode_json($wo))->{status}, 200,
   'WooCommerce order.updated (refunded) accepted');
my $wr = wait_for(10, sub { refund_state('woo-main', '741') });
is_deeply([$wr->{matched_by}, $wr->{lines_from},
           scalar @{$wr->{lines} // []}], ['order_id', 'order', 3],
          'a WooCommerce full refund takes the order\'s three lines');

$wo->{refunds} = [ { id => 742, reason => '', total => '-5.00' },
                   @{$wo->{refunds}} ];
$wo->{date_modified_gmt} = '2024-08-06T10:00:00';
woo('wd-2', encode_json($wo));
$x = wait_for(10, sub {
    exception('refund_amount_only:woo-main:woo-main:727:742') });
is($x->{state}, 'open', 'a WooCommerce partial refund: an exception');
is_deeply([sort map { $_->{result} } @{records('woo-main:727')}],
          ['applied', 'unchanged'],
          'the full refund applied once, unchanged when the order repeats it');

# Shopify orders/cancelled with its refund: recorded; restocked by neither
# it nor a later refunds/create, though the line says "return": nothing
# shipped, the cancellation's release gave the units back (counting them
# again was the double count of docs/returns.md)

my $a1 = on_hand('SKU-A');
my $cancel = decode_json($order);
$cancel->{id} = 502;
$cancel->{cancelled_at} = '2026-11-22T09:00:00Z';
$cancel->{updated_at} = '2026-11-22T09:00:00Z';
my $cref = { id => 7002, order_id => 502, created_at => '2026-11-22T09:00:00Z',
             processed_at => '2026-11-22T09:00:00Z',
             refund_line_items => [
                 { id => 5, line_item_id => 9001, quantity => 2,
                   restock_type => 'return', subtotal => '39.98',
                   line_item => { id => 9001, sku => 'SKU-A' } } ],
             transactions => [ { kind => 'refund', status => 'success',
                                 amount => '39.98', currency => 'EUR' } ] };
$cancel->{refunds} = [$cref];
send_one(shopify_req('orders/create', 'o-502', encode_json({ %$cancel,
    cancelled_at => undef, refunds => [],
    updated_at => '2026-11-21T09:00:00Z' })));
send_one(shopify_req('orders/cancelled', 'c-502', encode_json($cancel)));
my $cr = wait_for(10, sub { refund_state('shop-eu', '7002') });
is($cr->{order_id}, '502', 'the cancellation\'s refund recorded');
send_one(shopify_req('refunds/create', 'r-7002', encode_json($cref)));
ok(wait_for(10, sub { @{records('shop-eu:502')} >= 2 }),
   'its refunds/create recorded too');
is(on_hand('SKU-A') - $a1, 0, 'a cancellation before shipment: on hand '
   . 'unchanged, the release gave the units back');
my $why = wait_for(10, sub {
    (grep { ($_->{action} // '') eq 'refund.restock'
            && ($_->{order} // '') eq 'shop-eu:502' }
     @{audit_entries($t)})[0] });
is(decode_json($why->{decision} // '{}')->{reason},
   'cancelled_before_shipment', 'its refund.restock entry says why');

# refunds before their order: each waits; the order, when it comes, runs
# them (the Shopify one restocks, the partial Stripe one becomes the
# exception its order calls for) and resolves their exceptions

my $early = encode_json({ id => 7003, order_id => 503,
    created_at => '2026-11-23T09:00:00Z',
    refund_line_items => [
        { id => 6, line_item_id => 9002, quantity => 1,
          restock_type => 'return', subtotal => '9.99',
          line_item => { id => 9002, sku => 'SKU-B' } } ],
    transactions => [ { kind => 'refund', status => 'success',
                        amount => '9.99', currency => 'EUR' } ] });
send_one(shopify_req('refunds/create', 'r-7003', $early));
stripe($evt->('evt_early', 'refund.created', {
    id => 're_early', object => 'refund', amount => 300, currency => 'eur',
    charge => 'ch_early', created => int(time), status => 'succeeded',
    metadata => { order_id => '503' } }));
my @early = ('refund_unknown_order:shop-eu:r-7003',
             'refund_unknown_order:stripe-main:evt_early');
ok(wait_for(10, sub { (grep { (($_ // {})->{state} // '') eq 'open' }
                       map { exception($_) } @early) == 2 }),
   'two refunds for an order not yet recorded: two exceptions');
is_deeply([sort @{$t->redis('SMEMBERS', "${K}refundwaits")}],
          ['own:shop-eu:503', 'pay:order:503', 'pay:txn:ch_early',
           'pay:txn:ch_nobody'],
          'waiting under their order\'s references (and re_none under its '
          . 'charge)');

my $b1 = on_hand('SKU-B');
my $late = decode_json($order);
$late->{id} = 503;
send_one(shopify_req('orders/create', 'o-503', encode_json($late)));
ok(wait_for(10, sub { (grep { (($_ // {})->{state} // '') eq 'resolved' }
                       map { exception($_) } @early) == 2 }),
   'the order arrives: both exceptions resolved');
is(refund_state('shop-eu', '7003')->{order_id}, '503',
   'the Shopify refund recorded against it');
is(on_hand('SKU-B') - $b1, 1, 'and its line restocked');
is(exception('refund_amount_only:stripe-main:shop-eu:503:re_early')->{state},
   'open', 'the partial Stripe refund: the exception its order calls for');
is_deeply($t->redis('SMEMBERS', "${K}refundwaits"), ['pay:txn:ch_nobody'],
          'only the refund no order claimed waits');

is(stop_worker($t, 'w'), 0, 'worker stops cleanly');

$t->done;
