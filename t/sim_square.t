#!/usr/bin/perl

# The Square simulator (t/lib/InvsyncSim/Square.pm) through real HTTP:
# Bearer token and Square-Version, Square's error bodies, BatchChangeInventory
# (PHYSICAL_COUNT, atomic refusals with field paths, idempotency_key replay
# and reuse, ignore_unchanged_counts, an older count), BatchRetrieveInventoryCounts
# and SearchOrders with their cursors and checks, BatchRetrieveCatalogObjects, 429 RATE_LIMITED and 5xx,
# and the webhooks to a small recording receiver: signed over the
# notification URL and the body, order notices without lines, one count
# notice per request (a dashboard action of several counts too, a count
# in another state than IN_STOCK as given), retries with their headers; orders sold at the
# counter (no fulfilment) and for pickup.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use InvsyncTest qw(hmac_b64);
use InvsyncSim;

my $J = JSON::PP->new->canonical;

my $t = InvsyncTest->new;
$t->plan(75);

# ---- a webhook receiver: records each request as a JSON line ----------------------

my $hooks = $t->dir . '/hooks.jsonl';
my $rstatus = $t->dir . '/receiver.status';
my $rport = $t->port('receiver');

$t->run_daemon('receiver', sub {
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => $rport, Listen => 16, ReuseAddr => 1) or die "$!";
    while (my $s = $l->accept) {
        binmode $s;
        my $buf = '';
        while (index($buf, "\r\n\r\n") < 0) {
            sysread($s, $buf, 65536, length $buf) or last;
        }
        my ($head, $body) = split /\r\n\r\n/, $buf, 2;
        $body //= '';
        my ($len) = ($head // '') =~ /^content-length:\s*(\d+)/mi;
        while (length($body) < ($len // 0)) {
            sysread($s, $body, 65536, length $body) or last;
        }
        my ($line, @h) = split /\r\n/, $head // '';
        next unless defined $line;          # a bare connect: waitforsocket
        my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } @h;
        my $code = 200;
        if (open my $sf, '<', $rstatus) {
            $code = <$sf> + 0 || 200;
        }
        open my $fh, '>>', $hooks or die;
        print $fh JSON::PP->new->canonical->encode(
            { line => $line, headers => \%h, body => $body }), "\n";
        close $fh;
        print $s "HTTP/1.1 $code X\r\nContent-Length: 0\r\n"
               . "Connection: close\r\n\r\n";
        close $s;
    }
});
$t->waitforsocket("127.0.0.1:$rport") or die "receiver did not start\n";

sub received {
    open my $fh, '<', $hooks or return [];
    return [map { my $r = $J->decode($_); $r->{json} = decode_json($r->{body});
                  $r } <$fh>];
}

sub wait_received {
    my ($n) = @_;
    my $end = time + 10;
    sleep 0.05 while @{received()} < $n && time < $end;
    return received();
}

# ---- the simulator -------------------------------------------------------------------

my $hook_url = "http://127.0.0.1:$rport/square";
my $base = InvsyncSim::start($t, 'square', webhook_secret => 'sq_Sig-Key',
    items => [
        { catalog_object_id => 'VARA', location_id => 'LOC1', quantity => 10,
          sku => 'SKU-A', price => 1500 },
        { catalog_object_id => 'VARB', location_id => 'LOC1', quantity => '4',
          sku => 'SKU-B' },
        { catalog_object_id => 'VARC', location_id => 'LOC1' },
        { catalog_object_id => 'VARA', location_id => 'LOC2', quantity => 1 },
    ]);
my $http = HTTP::Tiny->new(timeout => 10);
my %H = (Authorization => 'Bearer EAAAEtest_token',
         'Square-Version' => '2025-10-16',
         'Content-Type' => 'application/json');

sub call {
    my ($path, $body, %h) = @_;
    my $r = $http->request('POST', "$base$path",
        { headers => { %H, %h }, content => ref $body ? encode_json($body)
                                                       : $body });
    $r->{json} = eval { decode_json($r->{content}) };
    return $r;
}

sub err1 {
    my ($r) = @_;
    my $e = ($r->{json}{errors} // [])->[0] // {};
    return [$r->{status}, @$e{qw(category code field)}];
}

sub physical {
    my ($id, $loc, $q, %o) = @_;
    return { type => 'PHYSICAL_COUNT', physical_count => {
        catalog_object_id => $id, location_id => $loc, quantity => $q,
        state => 'IN_STOCK', occurred_at => $o{at} // InvsyncSim::Square::_rfc3339(time) } };
}

sub qty { InvsyncSim::quantity($t, 'square', @_) }

# ---- auth, version, routes ---------------------------------------------------------------

my $r = call('/v2/inventory/counts/batch-retrieve', {},
             Authorization => 'Bearer nope');
is_deeply(err1($r), [401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED', undef],
          'a wrong token: 401 UNAUTHORIZED');
$r = call('/v2/inventory/counts/batch-retrieve', {}, Authorization => '');
is($r->{status}, 401, 'no token: 401');
$r = call('/v2/inventory/counts/batch-retrieve', {},
          'Square-Version' => 'latest');
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR',
                     'INVALID_SQUARE_VERSION_FORMAT', undef],
          'a malformed Square-Version: 400');
$r = call('/v2/catalog/list', {});
is_deeply(err1($r), [404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND', undef],
          'an unknown route: 404 in Square\'s shape');
is($r->{headers}{'square-version'}, '2025-10-16',
   'answers carry the Square-Version asked for');
$r = call('/v2/inventory/counts/batch-retrieve', '{');
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'BAD_REQUEST', undef],
          'a body that is not JSON: 400');
my $log = InvsyncSim::requests($t, 'square');
is($log->[0]{headers}{authorization}, '[redacted]',
   'the request log blanks the token');

# ---- BatchChangeInventory ---------------------------------------------------------------

my $k1 = { idempotency_key => 'k1', ignore_unchanged_counts => JSON::PP::true,
           changes => [physical('VARA', 'LOC1', '53'),
                       physical('VARB', 'LOC1', '7.00')] };
$r = call('/v2/inventory/changes/batch-create', $k1);
is($r->{status}, 200, 'a batch of two counts: 200');
is_deeply([map { [@$_{qw(catalog_object_id quantity state)}] }
           @{$r->{json}{counts}}],
          [['VARA', '53', 'IN_STOCK'], ['VARB', '7', 'IN_STOCK']],
          'the answer lists the counts, quantities as decimal strings');
is_deeply([qty('VARA', 'LOC1'), qty('VARB', 'LOC1'), qty('VARA', 'LOC2')],
          [53, 7, 1], 'applied at their locations only');
my $changes = InvsyncSim::state($t, 'square')->{changes};

my $again = call('/v2/inventory/changes/batch-create', $k1);
is($again->{content}, $r->{content}, 'the same key and body: the same answer');
is(InvsyncSim::state($t, 'square')->{changes}, $changes, 'and no second change');
is(InvsyncSim::requests($t, 'square')->[-1]{note}, 'idempotent replay',
   'logged as a replay');
$r = call('/v2/inventory/changes/batch-create',
          { idempotency_key => 'k1', changes => [physical('VARA', 'LOC1', '9')] });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'IDEMPOTENCY_KEY_REUSED',
                     'idempotency_key'], 'the same key, another body: 400');
is(qty('VARA', 'LOC1'), 53, 'and nothing applied');

$r = call('/v2/inventory/changes/batch-create',
          { idempotency_key => 'k2',
            changes => [physical('VARA', 'LOC1', '50'),
                        physical('NOPE', 'LOC1', '1'),
                        physical('VARB', 'LOCX', '1')] });
is_deeply([map { [@$_{qw(code field)}] } @{$r->{json}{errors}}],
          [['NOT_FOUND', 'changes[1].physical_count.catalog_object_id'],
           ['NOT_FOUND', 'changes[2].physical_count.location_id']],
          'unknown variation and location: NOT_FOUND naming each change');
is($r->{status}, 400, 'with 400');
is(qty('VARA', 'LOC1'), 53, 'all or nothing: the valid change is not applied');
$r = call('/v2/inventory/changes/batch-create',
          { idempotency_key => 'k2', changes => [physical('VARA', 'LOC1', '50')] });
is($r->{status}, 200, 'a refused request\'s key may be used again');

$r = call('/v2/inventory/changes/batch-create',
          { idempotency_key => 'k3', changes => [physical('VARA', 'LOC1', 5)] });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'EXPECTED_STRING',
                     'changes[0].physical_count.quantity'],
          'a quantity as a JSON number: EXPECTED_STRING');
$r = call('/v2/inventory/changes/batch-create',
          { idempotency_key => 'k3', changes => [physical('VARA', 'LOC1', '-2')] });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE',
                     'changes[0].physical_count.quantity'],
          'a negative count: INVALID_VALUE');
$r = call('/v2/inventory/changes/batch-create',
          { changes => [physical('VARA', 'LOC1', '1')] });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR',
                     'MISSING_REQUIRED_PARAMETER', 'idempotency_key'],
          'no idempotency_key: MISSING_REQUIRED_PARAMETER');
$r = call('/v2/inventory/changes/batch-create',
          { idempotency_key => 'k4',
            changes => [map { physical('VARA', 'LOC1', "$_") } 1 .. 101] });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'ARRAY_LENGTH_TOO_LONG',
                     'changes'], '101 changes: ARRAY_LENGTH_TOO_LONG');

$changes = InvsyncSim::state($t, 'square')->{changes};
$r = call('/v2/inventory/changes/batch-create',
          { idempotency_key => 'k5', changes => [physical('VARA', 'LOC1', '50')] });
is(InvsyncSim::state($t, 'square')->{changes}, $changes,
   'an unchanged count is ignored (ignore_unchanged_counts by default)');
$r = call('/v2/inventory/changes/batch-create',
          { idempotency_key => 'k6', changes => [physical('VARA', 'LOC1', '44',
                                                at => '2020-01-01T00:00:00Z')] });
is($r->{status}, 200, 'an older count is accepted');
is(qty('VARA', 'LOC1'), 50, 'but does not replace the newer one');

# ---- BatchRetrieveInventoryCounts ---------------------------------------------------------------

$r = call('/v2/inventory/counts/batch-retrieve',
          { catalog_object_ids => ['VARA', 'VARB', 'VARC'],
            location_ids => ['LOC1'], states => ['IN_STOCK'], limit => 1000 });
is_deeply([map { "$_->{catalog_object_id}=$_->{quantity}" }
           @{$r->{json}{counts}}], ['VARA=50', 'VARB=7'],
          'counts read back; a variation with no count is absent');
ok(!exists $r->{json}{cursor}, 'one page: no cursor');
$r = call('/v2/inventory/counts/batch-retrieve',
          { catalog_object_ids => ['VARC'], location_ids => ['LOC1'] });
is($r->{content}, '{}', 'nothing to show: {}');

InvsyncSim::configure($t, 'square', counts_page => 2);
my $q = { catalog_object_ids => ['VARA', 'VARB'] };
$r = call('/v2/inventory/counts/batch-retrieve', $q);
my $cur = $r->{json}{cursor};
ok(@{$r->{json}{counts}} == 2 && $cur, 'three counts, two a page: a cursor');
$r = call('/v2/inventory/counts/batch-retrieve', { %$q, cursor => $cur });
is_deeply([map { "$_->{catalog_object_id}\@$_->{location_id}" }
           @{$r->{json}{counts}}], ['VARB@LOC1'], 'the next page');
ok(!exists $r->{json}{cursor}, 'the last page has none');
$r = call('/v2/inventory/counts/batch-retrieve',
          { catalog_object_ids => ['VARB'], cursor => $cur });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'INVALID_CURSOR', 'cursor'],
          'a cursor of another query: 400');
$r = call('/v2/inventory/counts/batch-retrieve', { limit => 0 });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE', 'limit'],
          'limit 0: 400');
InvsyncSim::configure($t, 'square', counts_page => 1000);

# ---- BatchRetrieveCatalogObjects ---------------------------------------------------------------

InvsyncSim::items($t, 'square', { catalog_object_id => 'VARU',
                                  location_id => 'LOC2',
                                  track_inventory => 0 });
$r = call('/v2/catalog/batch-retrieve',
          { object_ids => ['VARC', 'VARGONE', 'VARA', 'VARU', 'VARC'],
            include_related_objects => JSON::PP::false });
is($r->{status}, 200, 'catalog objects read');
is_deeply([map { join ' ', $_->{type}, $_->{id},
                 join(',', @{$_->{present_at_location_ids}}),
                 $_->{item_variation_data}{track_inventory} ? 'tracked'
                                                            : 'untracked' }
           @{$r->{json}{objects}}],
          ['ITEM_VARIATION VARC LOC1 tracked', 'ITEM_VARIATION VARA LOC1,LOC2 tracked',
           'ITEM_VARIATION VARU LOC2 untracked'],
          'each known variation once, at its locations; an unknown one left out');
ok(!$r->{json}{objects}[0]{present_at_all_locations}
   && !$r->{json}{objects}[0]{is_deleted}, 'not everywhere, not deleted');
$r = call('/v2/catalog/batch-retrieve', { object_ids => ['VARGONE'] });
is($r->{content}, '{}', 'none known: {}');
$r = call('/v2/catalog/batch-retrieve', { object_ids => [] });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE',
                     'object_ids'], 'no object_ids: 400');
$r = call('/v2/catalog/batch-retrieve', { object_ids => 'VARA' });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'EXPECTED_ARRAY',
                     'object_ids'], 'object_ids not a list: 400');

# ---- rate limits and errors -------------------------------------------------------------------------

InvsyncSim::fail($t, 'square', mode => '429', count => 1);
$r = call('/v2/inventory/counts/batch-retrieve', {});
is_deeply(err1($r), [429, 'RATE_LIMIT_ERROR', 'RATE_LIMITED', undef],
          'a 429 fault: RATE_LIMITED');
ok(!defined $r->{headers}{'retry-after'}, 'without Retry-After');
InvsyncSim::fail($t, 'square', mode => '5xx', status => 500, count => 1);
$r = call('/v2/inventory/counts/batch-retrieve', {});
is_deeply(err1($r), [500, 'API_ERROR', 'INTERNAL_SERVER_ERROR', undef],
          'a 500 fault: API_ERROR');
InvsyncSim::configure($t, 'square', max_rps => 2);
my @st = map { call('/v2/inventory/counts/batch-retrieve', {})->{status} }
         1 .. 5;
ok((grep { $_ == 429 } @st) >= 1, "max_rps 2: 429 after two in a second (@st)");
my @notes = map { $_->{note} // '' } @{InvsyncSim::requests($t, 'square')};
# the last may fall in the next second and pass: one of the five is enough
ok((grep { $_ eq 'rate limited' } @notes[-5 .. -1]) >= 1,
   'logged as rate limited');
InvsyncSim::configure($t, 'square', max_rps => 0);

# ---- webhooks ---------------------------------------------------------------------------------------------

InvsyncSim::configure($t, 'square', webhook_url => $hook_url);
InvsyncSim::admin_set($t, 'square', sku => 'SKU-B', quantity => 12);
my $got = wait_received(1);
my $w = $got->[0];
is($w->{line}, 'POST /square HTTP/1.1', 'a dashboard count is delivered');
is($w->{headers}{'x-square-hmacsha256-signature'},
   hmac_b64($hook_url . $w->{body}, 'sq_Sig-Key'),
   'signed: base64 HMAC-SHA256 of notification URL + body, the key as is');
is_deeply([@{$w->{json}}{qw(type merchant_id)}, $w->{json}{data}{type}],
          ['inventory.count.updated', '5S9MXCS9Y99KK', 'inventory'],
          'an inventory.count.updated event');
like($w->{json}{event_id}, qr/^[0-9a-f-]{36}$/, 'with an event_id');
is_deeply([map { "$_->{catalog_object_id}=$_->{quantity}" }
           @{$w->{json}{data}{object}{inventory_counts}}], ['VARB=12'],
          'its count');

InvsyncSim::configure($t, 'square',
                      notification_url => 'https://hooks.example.com/sq');
call('/v2/inventory/changes/batch-create',
     { idempotency_key => 'k7', changes => [physical('VARA', 'LOC1', '1'),
                                            physical('VARB', 'LOC1', '2')] });
$got = wait_received(2);
$w = $got->[1];
is($w->{headers}{'x-square-hmacsha256-signature'},
   hmac_b64('https://hooks.example.com/sq' . $w->{body}, 'sq_Sig-Key'),
   'notification_url: the signed URL, not the one delivered to');
is(scalar @{$w->{json}{data}{object}{inventory_counts}}, 2,
   'a batch of two: one event with both counts');
InvsyncSim::configure($t, 'square', notification_url => undef);

call('/v2/inventory/changes/batch-create',
     { idempotency_key => 'k8', changes => [physical('VARA', 'LOC1', '1')] });
sleep 0.5;
is(scalar @{received()}, 2, 'an unchanged count sends nothing');

my $o = InvsyncSim::order($t, 'square', line_items =>
                          [{ sku => 'SKU-A', quantity => 1 }]);
like($o->{id}, qr/^[A-Z0-9]{27}$/, 'an order placed');
$got = wait_received(4);
my ($oc) = grep { $_->{json}{type} eq 'order.created' } @$got;
is_deeply($oc->{json}{data}{object}{order_created},
          { order_id => $o->{id}, location_id => 'LOC1', state => 'OPEN',
            version => 1, created_at => $o->{created_at} },
          'order.created: the order\'s id, state and version, no lines');
ok(grep({ $_->{json}{type} eq 'inventory.count.updated'
          && $_->{json}{data}{object}{inventory_counts}[0]{quantity} eq '0' }
        @$got), 'and the units it took: a count notice');
is(qty('VARA', 'LOC1'), 0, 'the count went down');

$o = InvsyncSim::order($t, 'square', id => $o->{id}, state => 'CANCELED');
is($o->{version}, 2, 'an order updated: its version goes up');
$got = wait_received(5);
is_deeply([@{$got->[4]{json}{data}{object}{order_updated}}{qw(state version)}],
          ['CANCELED', 2], 'order.updated');

$t->write_file('receiver.status', "500\n");
InvsyncSim::admin_set($t, 'square', sku => 'SKU-B', quantity => 13);
$got = wait_received(7);
$t->write_file('receiver.status', "200\n");
$got = wait_received(8);
is_deeply([map { $_->{headers}{'square-retry-number'} } @$got[5 .. 7]],
          [undef, 1, 2], 'a failed delivery is retried, numbered');
is($got->[7]{body}, $got->[5]{body}, 'the same event again');
ok(InvsyncSim::settle($t, 'square'), 'then nothing is pending');

# several counts changed by one action: one notice, in the order given
my $ac = InvsyncSim::control($t, 'square', 'POST', '/_sim/admin_set',
    { counts => [{ sku => 'SKU-B', location_id => 'LOC1', quantity => 4,
                   state => 'SOLD' },
                 { catalog_object_id => 'VARA', location_id => 'LOC1',
                   quantity => 5 },
                 { sku => 'SKU-B', location_id => 'LOC1', quantity => 13 }] });
$got = wait_received(9);
is_deeply([map { "$_->{catalog_object_id}\@$_->{location_id}=$_->{quantity}"
                 . " $_->{state}" }
           @{$got->[8]{json}{data}{object}{inventory_counts}}],
          ['VARB@LOC1=4 SOLD', 'VARA@LOC1=5 IN_STOCK'],
          'admin_set counts: one notice, a SOLD count as given, the changed '
          . 'IN_STOCK count, not the unchanged one');
is_deeply([qty('VARA', 'LOC1'), qty('VARB', 'LOC1')], [5, 13],
          'only IN_STOCK counts are kept')
    or diag(explain $ac);

# ---- SearchOrders ---------------------------------------------------------------------------------------------

InvsyncSim::configure($t, 'square', webhook_url => undef);
my $t0 = time;
sleep 0.01;
my @ids = map { InvsyncSim::order($t, 'square', line_items =>
                  [{ sku => 'SKU-B' }])->{id} } 1 .. 3;
my $since = InvsyncSim::Square::_rfc3339($t0);
my $sq = { location_ids => ['LOC1'],
           query => { filter => {
               date_time_filter => { updated_at => { start_at => $since } },
               state_filter => { states => ['OPEN', 'COMPLETED', 'CANCELED'] } },
             sort => { sort_field => 'UPDATED_AT', sort_order => 'ASC' } },
           limit => 500, return_entries => JSON::PP::false };
$r = call('/v2/orders/search', $sq);
is_deeply([map { $_->{id} } @{$r->{json}{orders}}], \@ids,
          'orders updated since a time, oldest first');
is_deeply([map { scalar @{$_->{line_items}} } @{$r->{json}{orders}}],
          [1, 1, 1], 'with their lines');
InvsyncSim::configure($t, 'square', orders_page => 2);
$r = call('/v2/orders/search', $sq);
my @p1 = map { $_->{id} } @{$r->{json}{orders}};
my $r2 = call('/v2/orders/search', { %$sq, cursor => $r->{json}{cursor} });
is_deeply([@p1, map { $_->{id} } @{$r2->{json}{orders}}], \@ids,
          'two pages by the cursor');
ok(!exists $r2->{json}{cursor}, 'the last without one');
$r = call('/v2/orders/search', { %$sq, location_ids => ['LOC2'] });
is($r->{content}, '{}', 'no order: {}');
$r = call('/v2/orders/search', { %$sq, location_ids => [map { 'LOC1' } 1 .. 11] });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'ARRAY_LENGTH_TOO_LONG',
                     'location_ids'], '11 locations: 400');
$r = call('/v2/orders/search', { %$sq, query => { %{$sq->{query}},
          sort => { sort_field => 'CREATED_AT', sort_order => 'ASC' } } });
is_deeply(err1($r), [400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE',
                     'query.sort.sort_field'],
          'a sort field other than the filter\'s: 400');

# how an order reaches its buyer: a counter sale has no fulfilment and
# comes from the point of sale; a pickup has one PICKUP fulfilment
my $pos = InvsyncSim::order($t, 'square', fulfillment => 'none',
    state => 'COMPLETED', line_items => [{ sku => 'SKU-B' },
                                         { sku => 'SKU-A',
                                           item_type => 'GIFT_CARD' }]);
is_deeply([scalar @{$pos->{fulfillments}}, $pos->{source}{name},
           $pos->{line_items}[1]{item_type}, $pos->{location_id}],
          [0, 'Point of Sale', 'GIFT_CARD', 'LOC1'],
          'a counter sale: no fulfilment, from the point of sale');
my $pick = InvsyncSim::order($t, 'square', fulfillment => 'PICKUP',
                             line_items => [{ sku => 'SKU-B' }]);
is_deeply([map { @$_{qw(type state)} } @{$pick->{fulfillments}}],
          ['PICKUP', 'PROPOSED'], 'a pickup: one PICKUP fulfilment');

# a shipment names its recipient in shipment_details, and SearchOrders
# answers it as it was placed
my $to = { display_name => 'Jane Doe', email_address => 'jane@example.com',
           phone_number => '+1-212-555-4240',
           address => { address_line_1 => '500 Electric Ave',
                        locality => 'New York',
                        administrative_district_level_1 => 'NY',
                        postal_code => '10003', country => 'US' } };
my $shipo = InvsyncSim::order($t, 'square', recipient => $to,
    shipping_type => 'Priority', line_items => [{ sku => 'SKU-B' }]);
is_deeply($shipo->{fulfillments}[0]{shipment_details},
          { recipient => $to, shipping_type => 'Priority' },
          'a shipment: its recipient and shipping type in shipment_details');
$r = call('/v2/orders/search', { location_ids => ['LOC1'],
          query => { filter => { state_filter => { states => ['OPEN'] } } } });
my ($found) = grep { $_->{id} eq $shipo->{id} }
              @{(eval { decode_json($r->{content}) } // {})->{orders} || []};
is_deeply($found && $found->{fulfillments}[0]{shipment_details}{recipient},
          $to, 'SearchOrders answers the recipient');

$t->done;
