#!/usr/bin/perl

# The refund parts of the Shopify and WooCommerce simulators, through real
# HTTP (docs/simulators.md, "Refunds").  Shopify: the look (order(id:)
# with refunds, refundableQuantity and suggestedRefund, tax included),
# refundCreate with @idempotent (required; the same key and input: the
# same refund; the same key with other input: refused), its user errors,
# refund_refuse, the refunds/create webhook, a wrong token (401 as
# channels.md §2 has it), a 429 with Retry-After.  WooCommerce: GET and
# POST /orders/<id>/refunds (api_refund, api_restock, negative lines with
# _refunded_item_id, the order's refunds[] and status, order.updated),
# no idempotency (the same POST twice is two refunds), its errors (400,
# 404, 500 woocommerce_rest_cannot_create_order_refund: over the order,
# the gateway declining, "please try again"), 401 per permission, and a
# 429 with Retry-After.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use MIME::Base64 qw(encode_base64);
use InvsyncTest;
use InvsyncSim;

my $J = JSON::PP->new->canonical;

my $t = InvsyncTest->new;
$t->plan(45);

# webhooks go to a port nobody listens on: the log keeps every attempt
my $nowhere = 'http://127.0.0.1:' . $t->port('nowhere') . '/hooks';

my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_sim',
    webhook_url => $nowhere, webhook_retries => [],
    webhook_topics => ['refunds/create'],
    items => [ { inventory_item_id => 101, location_id => 1, available => 10,
                 sku => 'MUG', price => '10.00' } ]);
my $woo = InvsyncSim::start($t, 'woocommerce', consumer_key => 'ck_sim',
    consumer_secret => 'cs_sim', webhook_url => $nowhere,
    webhook_retries => [], webhook_topics => ['order.updated'],
    items => [ { id => 799, sku => 'MUG', stock_quantity => 5,
                 price => '9.00' } ]);
my $http = HTTP::Tiny->new(timeout => 5);

sub gql {
    my ($query, $vars, %o) = @_;
    my $r = $http->request('POST', "$shop/admin/api/2026-04/graphql.json", {
        content => $J->encode({ query => $query, variables => $vars }),
        headers => { 'Content-Type' => 'application/json',
                     'X-Shopify-Access-Token' => $o{token} // 'shpat_sim' } });
    my $d = eval { $J->decode($r->{content}) };
    return wantarray ? ($r, $d) : $d;
}

my $LOOK = 'query($id: ID!, $lines: [RefundLineItemInput!]) { order(id: $id) {
  id currencyCode lineItems(first: 50) { nodes { id sku quantity
  refundableQuantity } } refunds(first: 20) { id note refundLineItems(first:
  50) { nodes { quantity lineItem { id } } } } suggestedRefund(
  refundLineItems: $lines) { amountSet { shopMoney { amount currencyCode } }
  suggestedTransactions { gateway kind amountSet { shopMoney { amount } }
  parentTransaction { id } } } } }';
sub create_q {
    my ($key) = @_;
    my $k = defined $key ? " \@idempotent(key: \"$key\")" : '';
    return 'mutation($input: RefundInput!) { refundCreate(input: $input)'
           . "$k { refund { id note } userErrors { field message } } }";
}
sub refund {
    my ($key, %in) = @_;
    return gql(create_q($key), { input => \%in })->{data}{refundCreate};
}

# ---- Shopify ---------------------------------------------------------------------

my $o = InvsyncSim::order($t, 'shopify', tax_rate => 0.2,
    line_items => [ { sku => 'MUG', quantity => 2 } ]);
my $og = "gid://shopify/Order/$o->{id}";
my $lg = $o->{line_items}[0]{admin_graphql_api_id};
is_deeply([ @$o{qw(subtotal_price total_tax total_price)},
            $o->{line_items}[0]{tax_lines}[0]{price} ],
          [ '20.00', '4.00', '24.00', '4.00' ],
          'tax_rate: the line\'s tax line, total_tax, a total with tax');

my $look = gql($LOOK, { id => $og, lines => [ { lineItemId => $lg,
                                                  quantity => 1 } ] });
my $or = $look->{data}{order};
is_deeply([ $or->{lineItems}{nodes}[0]{refundableQuantity},
            scalar @{$or->{refunds}},
            $or->{suggestedRefund}{amountSet}{shopMoney}{amount},
            $or->{suggestedRefund}{suggestedTransactions}[0]{gateway},
            $or->{suggestedRefund}{suggestedTransactions}[0]{kind} ],
          [ 2, 0, '12.00', 'bogus', 'SUGGESTED_REFUND' ],
          'the look: 2 refundable, no refunds, 1 unit suggested with its '
          . 'share of tax (12.00), on the sale\'s gateway');
ok($look->{extensions}{cost}{actualQueryCost} > 0, 'the look has its cost');
my $parent = $or->{suggestedRefund}{suggestedTransactions}[0]
             {parentTransaction}{id};
like($parent, qr{^gid://shopify/OrderTransaction/\d+$}, 'its parent sale');
is(gql($LOOK, { id => 'gid://shopify/Order/1' })->{data}{order}, undef,
   'the look of an unknown order: null');

my ($r, $d) = gql($LOOK, { id => $og }, token => 'shpat_wrong');
is($r->{status} . ' ' . $r->{content}, '401 {"errors":"[API] Invalid API key '
   . 'or access token (unrecognized login or wrong password)"}',
   'a wrong token: 401 with Shopify\'s errors string');

my %in = (orderId => $og, note => 'wrong size [invsync:x]', notify => \0,
    refundLineItems => [ { lineItemId => $lg, quantity => 1,
                           restockType => 'NO_RESTOCK' } ],
    transactions => [ { orderId => $og, parentId => $parent,
                        gateway => 'bogus', kind => 'REFUND',
                        amount => '12.00' } ]);
$d = gql(create_q(undef), { input => \%in });
is_deeply([ $d->{errors}[0]{extensions}{code}, $d->{errors}[0]{message} ],
          [ 'BAD_REQUEST',
            'The @idempotent directive is required for this mutation.' ],
          'refundCreate without @idempotent: refused (2026-04)');
is(scalar @{InvsyncSim::state($t, 'shopify')->{refunds}}, 0,
   'and nothing refunded');

my $c1 = refund('key-1', %in);
like($c1->{refund}{id} // '', qr{^gid://shopify/Refund/\d+$},
     'refundCreate: a refund');
is_deeply($c1->{userErrors}, [], 'no user errors');
my $c2 = refund('key-1', %in);
is($c2->{refund}{id}, $c1->{refund}{id},
   'the same key and input again: the same refund');
my $st = InvsyncSim::state($t, 'shopify')->{refunds};
is_deeply([ scalar @$st, $st->[0]{amount}, $st->[0]{note},
            [ map { [ @$_{qw(sku quantity tax restock_type)} ] }
              @{$st->[0]{lines}} ] ],
          [ 1, 12, 'wrong size [invsync:x]',
            [ [ 'MUG', 1, 2, 'no_restock' ] ] ],
          'one refund stored: 12.00, the unit and its 2.00 of tax, not '
          . 'restocked');
$d = gql(create_q('key-1'), { input => { %in, note => 'other' } });
is($d->{errors}[0]{extensions}{code}, 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
   'the same key with other input: refused');

InvsyncSim::settle($t, 'shopify');
my @rw = grep { $_->{topic} eq 'refunds/create' }
         @{InvsyncSim::webhooks($t, 'shopify')};
my $rb = @rw ? $J->decode($rw[0]{body}) : {};
is_deeply([ scalar @rw, $rb->{order_id}, $rb->{note},
            $rb->{refund_line_items}[0]{quantity},
            $rb->{refund_line_items}[0]{restock_type},
            $rb->{refund_line_items}[0]{subtotal},
            $rb->{refund_line_items}[0]{total_tax},
            $rb->{transactions}[0]{amount}, $rb->{transactions}[0]{kind} ],
          [ 1, $o->{id}, 'wrong size [invsync:x]', 1, 'no_restock', '10.00',
            '2.00', '12.00', 'refund' ],
          'one refunds/create webhook, REST-shaped, with the tax');

$or = gql($LOOK, { id => $og, lines => [] })->{data}{order};
is_deeply([ $or->{lineItems}{nodes}[0]{refundableQuantity},
            [ map { $_->{note} } @{$or->{refunds}} ],
            $or->{refunds}[0]{refundLineItems}{nodes}[0]{quantity} ],
          [ 1, [ 'wrong size [invsync:x]' ], 1 ],
          'the look after: 1 refundable, the refund with its note and line');

my $e = refund('key-2', %in, refundLineItems => [
    { lineItemId => $lg, quantity => 2, restockType => 'NO_RESTOCK' } ]);
is_deeply([ $e->{refund}, $e->{userErrors} ],
          [ undef, [ { field => ['refundLineItems', '0', 'quantity'],
              message => 'Quantity cannot refund more items than were '
                         . 'purchased' } ] ],
          'more units than are left: a user error');
$e = refund('key-3', %in, refundLineItems => [
    { lineItemId => 'gid://shopify/LineItem/1', quantity => 1 } ]);
is($e->{userErrors}[0]{message}, 'Line item does not exist',
   'an unknown line: a user error');
$e = refund('key-4', %in, orderId => 'gid://shopify/Order/1');
is_deeply($e->{userErrors}, [ { field => ['orderId'],
                                message => 'Order does not exist' } ],
          'an unknown order: a user error');
$e = refund('key-5', %in, transactions => [ { %{$in{transactions}[0]},
                                              amount => '50.00' } ]);
like($e->{userErrors}[0]{message}, qr/less than or equal to the refundable/,
     'more money than is left: a user error');
InvsyncSim::configure($t, 'shopify', refund_refuse => 'Refunds are off');
$e = refund('key-6', %in);
is_deeply([ $e->{refund}, $e->{userErrors}[0]{message} ],
          [ undef, 'Refunds are off' ], 'refund_refuse: its user error');
InvsyncSim::configure($t, 'shopify', refund_refuse => undef);

InvsyncSim::fail($t, 'shopify', mode => '429', count => 1, retry_after => 3,
                 match_body => 'refundCreate');
($r, $d) = gql(create_q('key-7'), { input => \%in });
is_deeply([ $r->{status}, $r->{headers}{'retry-after'} ], [ 429, 3 ],
          'a 429 with its Retry-After');
is(scalar @{InvsyncSim::state($t, 'shopify')->{refunds}}, 1,
   'nothing refunded by the failed ones');

# ---- WooCommerce ---------------------------------------------------------------------

sub wc {
    my ($m, $path, $body, %o) = @_;
    my $auth = $o{auth} // 'ck_sim:cs_sim';
    my $r = $http->request($m, "$woo/wp-json/wc/v3$path", {
        headers => { 'Content-Type' => 'application/json',
                     length $auth ? (Authorization => 'Basic '
                                     . encode_base64($auth, '')) : () },
        defined $body ? (content => ref $body ? $J->encode($body) : $body)
                      : () });
    my $d = eval { $J->decode($r->{content}) };
    return wantarray ? ($r, $d) : $d;
}
sub werr { my ($r, $d) = @_; "$r->{status} " . ($d->{code} // '') . ': '
                             . ($d->{message} // '') }

my $wo = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 799, quantity => 2 } ]);
my $wid = $wo->{id};
my $wl = $wo->{line_items}[0]{id};
my $rpath = "/orders/$wid/refunds";

($r, $d) = wc('GET', $rpath);
is_deeply([ $r->{status}, $d ], [ 200, [] ], 'GET refunds: none yet');
is(werr(wc('GET', '/orders/999999/refunds')),
   '404 woocommerce_rest_shop_order_invalid_id: Invalid ID.',
   'an unknown order: 404');
is(werr(wc('GET', $rpath, undef, auth => '')),
   '401 woocommerce_rest_cannot_view: Sorry, you cannot list resources.',
   'no credentials, GET: 401 cannot_view');
is(werr(wc('POST', $rpath, { amount => '9.00' }, auth => '')),
   '401 woocommerce_rest_cannot_create: Sorry, you are not allowed to '
   . 'create resources.', 'no credentials, POST: 401 cannot_create');
is(werr(wc('POST', $rpath, { amount => '9.00' }, auth => 'ck_sim:nope')),
   '401 woocommerce_rest_authentication_error: Consumer secret is invalid.',
   'a wrong secret: 401');

my %w = (amount => '9.00', reason => 'wrong size [invsync:w]',
         api_refund => JSON::PP::true, api_restock => JSON::PP::false,
         line_items => [ { id => $wl, quantity => 1, refund_total => 9 } ]);
($r, $d) = wc('POST', $rpath, \%w);
my $li = $d->{line_items}[0] // {};
my ($meta) = grep { $_->{key} eq '_refunded_item_id' } @{$li->{meta_data}};
is_deeply([ $r->{status}, $d->{amount}, $d->{reason}, $d->{refunded_payment},
            $li->{quantity}, $li->{total}, $meta->{value} ],
          [ 201, '9.00', 'wrong size [invsync:w]', JSON::PP::true, -1,
            '-9.00', "$wl" ],
          'POST: 201, the gateway paid it, its line negative, naming the '
          . 'order line');
my $wr1 = $d->{id};
my $ord = wc('GET', "/orders/$wid");
is_deeply([ $ord->{status}, $ord->{refunds} ],
          [ 'processing', [ { id => $wr1, reason => 'wrong size [invsync:w]',
                              total => '-9.00' } ] ],
          'the order lists it in refunds[], not refunded in full yet');
my $ws = InvsyncSim::state($t, 'woocommerce')->{refunds};
is_deeply([ map { [ @$_{qw(amount api_restock)}, $_->{lines}[0]{quantity} ] }
            @$ws ], [ [ '9.00', JSON::PP::false, 1 ] ],
          'stored: not restocked by WooCommerce (api_restock false)');

# no idempotency key: the same POST again is a second refund
($r, $d) = wc('POST', $rpath, \%w);
is($r->{status}, 201, 'the same POST again: 201');
($r, $d) = wc('GET', $rpath);
is_deeply([ map { $_->{id} } @$d ], [ $d->[0]{id}, $wr1 ],
          'two refunds, newest first: WooCommerce has no idempotency key');
is(wc('GET', "/orders/$wid")->{status}, 'refunded',
   'refunded in full: the order is refunded');
InvsyncSim::settle($t, 'woocommerce');
my @uw = grep { $_->{topic} eq 'order.updated' }
         @{InvsyncSim::webhooks($t, 'woocommerce')};
is_deeply([ scalar @uw, scalar @{$J->decode($uw[-1]{body})->{refunds}} ],
          [ 2, 2 ], 'an order.updated per refund, with its refunds[]');

is(werr(wc('POST', $rpath, \%w)), '500 woocommerce_rest_cannot_create_order_'
   . 'refund: Invalid refund amount.', 'nothing left: 500 with its code');
is(werr(wc('POST', $rpath, { amount => '0' })),
   '400 woocommerce_rest_invalid_order_refund: Refund amount must be '
   . 'greater than zero.', 'amount 0: 400');
is(werr(wc('POST', $rpath, '{"amount":')),
   '400 rest_invalid_json: Invalid JSON body passed.', 'not JSON: 400');

my $wo2 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 799, quantity => 1 } ]);
my $rpath2 = "/orders/$wo2->{id}/refunds";
my %w2 = (%w, line_items => [ { id => $wo2->{line_items}[0]{id},
                                quantity => 1, refund_total => 9 } ]);
is(werr(wc('POST', $rpath2, { %w2, line_items => [ { id => $wl,
                                                     quantity => 1 } ] })),
   '500 woocommerce_rest_cannot_create_order_refund: Invalid refund line '
   . 'item.', 'a line of another order: 500 with its code');
InvsyncSim::configure($t, 'woocommerce', refund_refuse =>
    'The payment gateway for this order does not support automatic refunds.');
is(werr(wc('POST', $rpath2, \%w2)), '500 woocommerce_rest_cannot_create_'
   . 'order_refund: The payment gateway for this order does not support '
   . 'automatic refunds.', 'refund_refuse: the gateway declines, 500');
($r, $d) = wc('POST', $rpath2, { %w2, api_refund => JSON::PP::false });
is_deeply([ $r->{status}, $d->{refunded_payment} ], [ 201, JSON::PP::false ],
          'api_refund false: recorded without the gateway');
InvsyncSim::configure($t, 'woocommerce', refund_refuse => undef);

my $wo3 = InvsyncSim::order($t, 'woocommerce',
    line_items => [ { product_id => 799, quantity => 1 } ]);
my $rpath3 = "/orders/$wo3->{id}/refunds";
my %w3 = (%w, line_items => [ { id => $wo3->{line_items}[0]{id},
                                quantity => 1, refund_total => 9 } ]);
InvsyncSim::configure($t, 'woocommerce', refund_again => 1);
is(werr(wc('POST', $rpath3, \%w3)), '500 woocommerce_rest_cannot_create_'
   . 'order_refund: Cannot create order refund, please try again.',
   'refund_again: please try again');
is(wc('POST', $rpath3, \%w3)->{amount}, '9.00', 'and the next one is made');

InvsyncSim::fail($t, 'woocommerce', mode => '429', body => 'json', count => 1,
                 retry_after => 7, match => 'refunds');
($r, $d) = wc('GET', $rpath3);
is_deeply([ $r->{status}, $r->{headers}{'retry-after'}, $d->{code} ],
          [ 429, 7, 'rest_too_many_requests' ],
          'a 429 with its Retry-After');
InvsyncSim::fail($t, 'woocommerce', mode => '5xx', status => 500, count => 1,
                 match => 'refunds');
($r, $d) = wc('POST', $rpath3, \%w3);
is("$r->{status} $d->{code}", '500 internal_server_error',
   'a 500 fault is WordPress\'s critical error, not a refund refusal');
is(scalar @{wc('GET', $rpath3)}, 1, 'nothing refunded by the failed ones');

$t->done;
