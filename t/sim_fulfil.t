#!/usr/bin/perl

# The fulfilment parts of the Shopify and WooCommerce simulators, through
# real HTTP.  Shopify (§2.6): an order's fulfillment orders per assigned
# location, read through order(id:) with its fulfillments (look before
# create), fulfillmentOrderMove (as is, or split off once partly
# fulfilled; the commitment follows), fulfillmentCreate with trackingInfo
# (links for Shopify's carrier names only), its user errors, on hand down,
# the fulfillments/create webhook.  WooCommerce (§3.5): Shipment Tracking
# list, add, get, delete and their errors, the order's tracking meta,
# PUT status completed and order.updated.

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
$t->plan(52);

# webhooks go to a port nobody listens on: the log keeps every attempt
my $nowhere = 'http://127.0.0.1:' . $t->port('nowhere') . '/hooks';

my $shop = InvsyncSim::start($t, 'shopify', token => 'shpat_sim',
    webhook_url => $nowhere, webhook_retries => [],
    webhook_topics => ['fulfillments/create'],
    items => [
        { inventory_item_id => 101, location_id => 1, available => 10,
          sku => 'MUG' },
        { inventory_item_id => 101, location_id => 2, available => 4,
          sku => 'MUG' },
        { inventory_item_id => 102, location_id => 2, available => 5,
          sku => 'CAP' },
        { inventory_item_id => 102, location_id => 3, available => 5,
          sku => 'CAP' },
    ]);
my $woo = InvsyncSim::start($t, 'woocommerce', consumer_key => 'ck_sim',
    consumer_secret => 'cs_sim', webhook_url => $nowhere,
    webhook_topics => ['order.updated'],
    items => [{ id => 799, sku => 'MUG', stock_quantity => 5 }]);
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

my $ORDER = 'query($id: ID!) { order(id: $id) { id displayFulfillmentStatus
  fulfillmentOrders(first: 10) { nodes { id status assignedLocation {
  location { id } } lineItems(first: 50) { nodes { id totalQuantity
  remainingQuantity lineItem { id sku } } } } }
  fulfillments { id status trackingInfo { company number url } } } }';
my $MOVE = 'mutation($id: ID!, $loc: ID!) { fulfillmentOrderMove(id: $id,
  newLocationId: $loc) { movedFulfillmentOrder { id status assignedLocation {
  location { id } } } originalFulfillmentOrder { id status }
  userErrors { field message } } }';
my $CREATE = 'mutation($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id status
  trackingInfo { company number url } } userErrors { field message } } }';

sub order_q { gql($ORDER, { id => "gid://shopify/Order/$_[0]" })->{data}{order} }
sub loc_of { $_[0]{assignedLocation}{location}{id} =~ s{.*/}{}r }
sub move { gql($MOVE, { id => $_[0], loc => "gid://shopify/Location/$_[1]" })
           ->{data}{fulfillmentOrderMove} }
sub fulfil {
    my ($groups, %ti) = @_;
    return gql($CREATE, { fulfillment => { lineItemsByFulfillmentOrder =>
               $groups, %ti ? (trackingInfo => \%ti) : () } })
           ->{data}{fulfillmentCreate};
}
sub avail { InvsyncSim::quantity($t, 'shopify', @_) }

# ---- Shopify: fulfillment orders -------------------------------------------------

my $o = InvsyncSim::order($t, 'shopify', line_items => [
    { sku => 'MUG', quantity => 2 }, { sku => 'CAP', quantity => 2 }]);
my ($r, $d) = gql($ORDER, { id => "gid://shopify/Order/$o->{id}" },
                  token => 'wrong');
is($r->{status}, 401, 'fulfillment orders need the token');

my $q = order_q($o->{id});
my @fo = @{$q->{fulfillmentOrders}{nodes}};
is(scalar @fo, 2, 'one fulfillment order per assigned location');
is_deeply([map { loc_of($_) } @fo], [1, 2], 'assigned: each line\'s level');
is_deeply([map { $_->{status} } @fo], ['OPEN', 'OPEN'], 'open');
is_deeply([map { [$_->{lineItem}{sku}, $_->{remainingQuantity}] }
           map { @{$_->{lineItems}{nodes}} } @fo],
          [['MUG', 2], ['CAP', 2]], 'lines with remaining quantities');
is_deeply([$q->{displayFulfillmentStatus}, $q->{fulfillments}],
          ['UNFULFILLED', []], 'no fulfillment yet');
is(order_q(999), undef, 'unknown order: null');
my ($mug, $cap) = @fo;

# move

my $m = move($mug->{id}, 99);
is_deeply($m->{userErrors}, [{ field => ['newLocationId'],
          message => 'Location does not exist.' }], 'move: unknown location');
$m = move($cap->{id}, 1);
is($m->{userErrors}[0]{field}[0], 'newLocationId',
   'move: a location not stocking the item refused');
$m = move('gid://shopify/FulfillmentOrder/1', 2);
is($m->{userErrors}[0]{message}, 'Fulfillment order does not exist.',
   'move: unknown fulfillment order');

is(avail(101, 1), 8, 'committed at location 1 before the move');
$m = move($mug->{id}, 2);
is_deeply($m->{userErrors}, [], 'moved');
is($m->{movedFulfillmentOrder}{id}, $mug->{id}, 'nothing fulfilled: the same '
   . 'fulfillment order moves');
is(loc_of($m->{movedFulfillmentOrder}), 2, 'now at location 2');
is_deeply([avail(101, 1), avail(101, 2)], [10, 2],
          'the commitment followed: available back at 1, taken at 2');

# fulfillmentCreate

my $f = fulfil([{ fulfillmentOrderId => $mug->{id} }], company => 'UPS',
               number => '1Z001985YW99744790');
is_deeply($f->{userErrors}, [], 'fulfilled');
is($f->{fulfillment}{status}, 'SUCCESS', 'status SUCCESS');
is_deeply($f->{fulfillment}{trackingInfo}, [{ company => 'UPS',
    number => '1Z001985YW99744790', url => 'https://www.ups.com/WebTracking'
    . '?loc=en_US&requester=ST&trackNums=1Z001985YW99744790' }],
    'a carrier Shopify knows: its link');
is(InvsyncSim::quantity($t, 'shopify', 101, 2, 'on_hand'), 2,
   'on hand down at the fulfilling location');
$q = order_q($o->{id});
is($q->{fulfillmentOrders}{nodes}[0]{status}, 'CLOSED', 'closed when done');

$f = fulfil([{ fulfillmentOrderId => $mug->{id} }], company => 'UPS',
            number => '1Z2');
like($f->{userErrors}[0]{message}, qr/unfulfillable status= closed/,
     'a closed fulfillment order refused');
is($f->{fulfillment}, undef, 'and nothing created');

my $capline = $cap->{lineItems}{nodes}[0]{id};
$f = fulfil([{ fulfillmentOrderId => $cap->{id}, fulfillmentOrderLineItems =>
               [{ id => $capline, quantity => 3 }] }]);
is($f->{userErrors}[0]{message},
   'Invalid fulfillment order line item quantity requested.',
   'more than remains refused');
$f = fulfil([{ fulfillmentOrderId => 'gid://shopify/FulfillmentOrder/7' }]);
is_deeply($f->{userErrors}, [{ field => ['fulfillment',
    'lineItemsByFulfillmentOrder', '0', 'fulfillmentOrderId'],
    message => 'Fulfillment order does not exist.' }], 'unknown fulfillment order');
$d = gql($CREATE, { fulfillment => { trackingInfo => {} } });
like($d->{errors}[0]{message}, qr/lineItemsByFulfillmentOrder/,
     'no lineItemsByFulfillmentOrder: a variable error');

$f = fulfil([{ fulfillmentOrderId => $cap->{id}, fulfillmentOrderLineItems =>
               [{ id => $capline, quantity => 1 }] }],
            company => 'ups', number => 'X1');
is($f->{fulfillment}{trackingInfo}[0]{url}, undef,
   'a name Shopify does not know exactly: no link');
$q = order_q($o->{id});
is_deeply([$q->{displayFulfillmentStatus},
           $q->{fulfillmentOrders}{nodes}[1]{status},
           $q->{fulfillmentOrders}{nodes}[1]{lineItems}{nodes}[0]{remainingQuantity}],
          ['PARTIALLY_FULFILLED', 'IN_PROGRESS', 1], 'partly fulfilled');
is_deeply([map { $_->{trackingInfo}[0]{number} } @{$q->{fulfillments}}],
          ['1Z001985YW99744790', 'X1'], 'look before create: the fulfillments');

# a partly fulfilled order moved: the rest splits off

$m = move($cap->{id}, 3);
isnt($m->{movedFulfillmentOrder}{id}, $cap->{id}, 'a new fulfillment order');
is($m->{originalFulfillmentOrder}{status}, 'CLOSED', 'the original closes');
$f = fulfil([{ fulfillmentOrderId => $m->{movedFulfillmentOrder}{id} }],
            company => 'My Courier', number => 'MC-1',
            url => 'https://courier.example/MC-1');
is($f->{fulfillment}{trackingInfo}[0]{url}, 'https://courier.example/MC-1',
   'another carrier: the URL sent');
is(order_q($o->{id})->{displayFulfillmentStatus}, 'FULFILLED', 'fulfilled');

# two locations in one fulfillment

my $o2 = InvsyncSim::order($t, 'shopify', line_items => [
    { sku => 'MUG', quantity => 1, location_id => 1 },
    { sku => 'CAP', quantity => 1 }]);
@fo = @{order_q($o2->{id})->{fulfillmentOrders}{nodes}};
$f = fulfil([map { +{ fulfillmentOrderId => $_->{id} } } @fo]);
like($f->{userErrors}[0]{message}, qr/same location/,
     'fulfillment orders of two locations refused');

my $st = InvsyncSim::state($t, 'shopify');
is(scalar @{$st->{fulfillments}}, 3, 'control: three fulfillments');
is_deeply([map { [$_->{order_id}, $_->{location_id}, $_->{status}] }
           @{$st->{fulfillment_orders}}[0 .. 2]],
          [[$o->{id}, 2, 'CLOSED'], [$o->{id}, 2, 'CLOSED'],
           [$o->{id}, 3, 'CLOSED']], 'control: the fulfillment orders');
InvsyncSim::settle($t, 'shopify');
my @fw = grep { $_->{topic} eq 'fulfillments/create' }
         @{InvsyncSim::webhooks($t, 'shopify')};
is_deeply([map { $J->decode($_->{body})->{tracking_number} } @fw],
          ['1Z001985YW99744790', 'X1', 'MC-1'], 'fulfillments/create sent');

# ---- WooCommerce: Shipment Tracking ---------------------------------------------------

my $wo = InvsyncSim::order($t, 'woocommerce', line_items => [
    { sku => 'MUG', quantity => 1 }]);
my $TR = "/wp-json/wc-shipment-tracking/v3/orders/$wo->{id}/shipment-trackings";

sub woo {
    my ($method, $path, $data, %o) = @_;
    my %h = ('Content-Type' => 'application/json');
    $h{Authorization} = 'Basic ' . encode_base64(($o{key} // 'ck_sim')
                                                 . ':cs_sim', '');
    my $r = $http->request($method, "$woo$path", { headers => \%h,
        (defined $data ? (content => $J->encode($data)) : ()) });
    return ($r, eval { $J->decode($r->{content}) });
}

($r, $d) = woo('POST', $TR, { tracking_provider => 'USPS',
                              tracking_number => '9400100' }, key => 'ck_no');
is($r->{status}, 401, 'tracking: wrong key 401');
($r, $d) = woo('POST', $TR, { tracking_provider => 'USPS',
    tracking_number => '9400100', date_shipped => '2026-12-01' });
is($r->{status}, 201, 'tracking added: 201');
is_deeply([@$d{qw(tracking_provider tracking_number date_shipped)}],
          ['USPS', '9400100', '2026-12-01'], 'provider, number, date');
like($d->{tracking_link}, qr{usps\.com/.*9400100$}, 'a known provider: link');
my $tid = $d->{tracking_id};
($r, $d) = woo('POST', $TR, { custom_tracking_provider => 'My Courier',
    custom_tracking_link => 'https://courier.example/MC-2',
    tracking_number => 'MC-2' });
is_deeply([@$d{qw(tracking_provider tracking_link)}],
          ['My Courier', 'https://courier.example/MC-2'], 'custom provider');
($r, $d) = woo('POST', $TR, { tracking_provider => 'USPS' });
ok($r->{status} == 400 && $d->{code} eq 'rest_missing_callback_param',
   'no tracking_number: 400');
($r, $d) = woo('GET', $TR);
is_deeply([map { $_->{tracking_number} } @$d], ['9400100', 'MC-2'],
          'look before create: the list');
($r, $d) = woo('GET', '/wp-json/wc-shipment-tracking/v3/orders/1/shipment-trackings');
ok($r->{status} == 404 && $d->{code} eq 'woocommerce_rest_order_invalid_id',
   'unknown order: 404');
($r, $d) = woo('DELETE', "$TR/$tid");
is($d->{tracking_id}, $tid, 'deleted');
($r, $d) = woo('GET', "$TR/$tid");
is($r->{status}, 404, 'gone');

($r, $d) = woo('GET', "/wp-json/wc/v3/orders/$wo->{id}");
my ($meta) = grep { $_->{key} eq '_wc_shipment_tracking_items' }
             @{$d->{meta_data}};
is_deeply([map { $_->{tracking_number} } @{$meta->{value}}], ['MC-2'],
          'the order carries the tracking meta');
is_deeply([map { $_->{tracking_number} } map { @{$_->{trackings}} }
           @{InvsyncSim::state($t, 'woocommerce')->{shipped}}], ['MC-2'],
          'control: the tracking in the state');

# order status

($r, $d) = woo('PUT', "/wp-json/wc/v3/orders/$wo->{id}", { status => 'shipped' });
ok($r->{status} == 400 && $d->{code} eq 'rest_invalid_param',
   'an unknown status: 400');
($r, $d) = woo('PUT', "/wp-json/wc/v3/orders/$wo->{id}", { status => 'completed' });
is($r->{status}, 200, 'status update: 200');
ok($d->{status} eq 'completed' && defined $d->{date_completed_gmt},
   'completed, with date_completed');
InvsyncSim::settle($t, 'woocommerce');
my @uw = grep { $_->{topic} eq 'order.updated' }
         @{InvsyncSim::webhooks($t, 'woocommerce')};
is($J->decode($uw[-1]{body})->{status}, 'completed',
   'order.updated carries the new status');

$t->done;
