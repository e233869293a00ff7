#!/usr/bin/perl

# The channel simulators of t/lib/InvsyncSim.pm, through real HTTP: the
# Shopify GraphQL inventory mutation (auth, @idempotent replay and mismatch,
# changeFromQuantity missing and stale, user errors, cost and throttling),
# the reconciliation query and the REST orders poll; the WooCommerce REST
# API (auth, PUT, batch limit and per-item errors, lists, orders); webhooks
# back to a small recording receiver (signatures, no echo for no change,
# retries, WooCommerce disabling); failure injection, keep-alive and
# concurrent connections, the request log.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use IO::Socket::INET;
use IO::Select;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep time);
use InvsyncTest qw(hmac_b64);
use InvsyncSim;

my $J = JSON::PP->new->canonical;

my $t = InvsyncTest->new;
$t->plan(112);

# ---- a webhook receiver: records each request as a JSON line -------------------

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
    my ($path) = @_;
    open my $fh, '<', $hooks or return [];
    my @r = map { $J->decode($_) } <$fh>;
    return [grep { $_->{line} =~ m{^POST \Q$path\E } } @r];
}

sub wait_received {
    my ($path, $n) = @_;
    for (1 .. 100) {
        my $r = received($path);
        return $r if @$r >= $n;
        sleep 0.05;
    }
    return received($path);
}

sub receiver_status { $t->write_file($rstatus, "$_[0]\n") }

# ---- the simulators ------------------------------------------------------------

my $shop = InvsyncSim::start($t, 'shopify',
    token => 'shpat_sim', webhook_secret => 'hush',
    webhook_url => "http://127.0.0.1:$rport/hooks/shopify",
    items => [
        { inventory_item_id => 101, location_id => 1, available => 10,
          sku => 'MUG' },
        { inventory_item_id => 101, location_id => 2, available => 4,
          sku => 'MUG' },
        { inventory_item_id => 102, location_id => 1, available => 0,
          sku => 'CAP' },
    ]);

my $woo = InvsyncSim::start($t, 'woocommerce',
    consumer_key => 'ck_sim', consumer_secret => 'cs_sim',
    webhook_secret => 'secret',
    webhook_url => "http://127.0.0.1:$rport/hooks/woo",
    items => [
        { id => 799, sku => 'MUG', stock_quantity => 5 },
        { id => 800, sku => 'CAP', stock_quantity => 0 },
        { id => 900, parent_id => 850, sku => 'TEE-S', stock_quantity => 3 },
    ]);

my $http = HTTP::Tiny->new(timeout => 5);

my $GQL = '/admin/api/2026-04/graphql.json';
my $SET = <<'EOF';
mutation SetStock($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "%KEY%") {
    inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}
EOF

sub gql {
    my ($query, $vars, %o) = @_;
    my $r = $http->request('POST', "$shop$GQL", {
        content => $J->encode({ query => $query, variables => $vars }),
        headers => { 'Content-Type' => 'application/json',
                     'X-Shopify-Access-Token' => $o{token} // 'shpat_sim' } });
    my $d = eval { $J->decode($r->{content}) };
    return wantarray ? ($r, $d) : $d;
}

sub qty {
    my ($item, $loc, $q, $from) = @_;
    return { inventoryItemId => "gid://shopify/InventoryItem/$item",
             locationId => "gid://shopify/Location/$loc", quantity => $q,
             (@_ > 3 ? (changeFromQuantity => $from) : ()) };
}

sub set_input {
    return { input => { name => 'available', reason => 'correction',
                        referenceDocumentUri => 'logistics://invsync/t/1',
                        quantities => [@_] } };
}

sub set {
    my ($key, @q) = @_;
    (my $m = $SET) =~ s/%KEY%/$key/;
    return gql($m, set_input(@q));
}

sub avail { InvsyncSim::quantity($t, 'shopify', @_) }

sub uerr {
    my ($d) = @_;
    return join ',', map { $_->{code} }
        @{$d->{data}{inventorySetQuantities}{userErrors} || []};
}

# ---- Shopify: auth -----------------------------------------------------------------

my ($r, $d) = gql('{ shop { name } }', {}, token => 'wrong');
is($r->{status} . ' ' . $r->{content}, '401 {"errors":"[API] Invalid API '
   . 'key or access token (unrecognized login or wrong password)"}',
   'shopify: wrong token, 401');
$r = $http->request('POST', "$shop$GQL", { content => '{}' });
is($r->{status}, 401, 'shopify: no token, 401');

# ---- Shopify: inventorySetQuantities ----------------------------------------------

(my $noidem = $SET) =~ s/\s*\@idempotent\(key: "%KEY%"\)//;
($r, $d) = gql($noidem, set_input(qty(101, 1, 7, undef)));
is($r->{status}, 200, 'no @idempotent: HTTP 200');
is($J->encode($d->{errors}), '[{"extensions":{"code":"BAD_REQUEST"},"message":'
   . '"The @idempotent directive is required for this mutation."}]',
   'no @idempotent: BAD_REQUEST error');
is(avail(101, 1), 10, 'no @idempotent: nothing applied');

$d = set('k-1', qty(101, 1, 7, undef));
my $g = $d->{data}{inventorySetQuantities};
like($g->{inventoryAdjustmentGroup}{id},
     qr{^gid://shopify/InventoryAdjustmentGroup/\d+$}, 'set: group id');
is($J->encode($g->{inventoryAdjustmentGroup}{changes}),
   '[{"delta":-3,"name":"available","quantityAfterChange":7},'
   . '{"delta":-3,"name":"on_hand","quantityAfterChange":7}]', 'set: changes');
is_deeply($g->{userErrors}, [], 'set: no user errors');
is(avail(101, 1), 7, 'set: applied');
my $cost = $d->{extensions}{cost};
is($J->encode([@$cost{qw(requestedQueryCost actualQueryCost)},
               @{$cost->{throttleStatus}}{qw(maximumAvailable restoreRate)}]),
   '[10,10,1000,100]', 'set: extensions.cost');
ok($cost->{throttleStatus}{currentlyAvailable} >= 980
   && $cost->{throttleStatus}{currentlyAvailable} <= 1000,
   'set: currentlyAvailable');

InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 101,
                      location_id => 1, available => 3);
my $replay = set('k-1', qty(101, 1, 7, undef));
is($J->encode($replay->{data}), $J->encode($d->{data}),
   'same key, same input: the stored answer');
is(avail(101, 1), 3, 'same key, same input: not applied again');
my $log = InvsyncSim::requests($t, 'shopify');
is($log->[-1]{note}, 'idempotent replay', 'replay noted in the request log');

$d = set('k-1', qty(101, 1, 8, undef));
is(uerr($d), 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH', 'same key, other input');
is(avail(101, 1), 3, 'mismatch: nothing applied');

(my $varkey = $SET) =~ s/"%KEY%"/\$idempotencyKey/;
$varkey =~ s/\(\$input: /(\$idempotencyKey: String!, \$input: /;
$d = gql($varkey, { %{set_input(qty(101, 1, 5, 3))}, idempotencyKey => 'k-2' });
is(uerr($d) . ' ' . avail(101, 1), ' 5', 'key as a variable, changeFrom ok');

$d = set('k-3', qty(101, 1, 9));
is($J->encode($d->{data}{inventorySetQuantities}{userErrors}),
   '[{"code":"INVALID","field":["input","quantities","0","changeFromQuantity"],'
   . '"message":"changeFromQuantity is required"}]',
   'changeFromQuantity missing: INVALID');
$d = set('k-4', qty(101, 1, 9, 4));
is(uerr($d), 'CHANGE_FROM_QUANTITY_STALE', 'changeFromQuantity stale');
is(avail(101, 1), 5, 'stale: nothing applied');
$d = set('k-5', qty(101, 1, 1_000_000_001, undef));
is(uerr($d), 'INVALID_QUANTITY_TOO_HIGH', 'quantity too high');
$d = set('k-6', qty(102, 2, 1, undef));
is(uerr($d), 'ITEM_NOT_STOCKED_AT_LOCATION', 'item not stocked at location');
$d = set('k-7', qty(999, 1, 1, undef), qty(101, 1, 6, undef));
is(uerr($d) . ' ' . avail(101, 1), 'INVALID_INVENTORY_ITEM 5',
   'unknown item: the whole mutation refused');
$d = set('k-8', { %{qty(101, 1, 1, undef)}, compareQuantity => 5 });
like($d->{errors}[0]{message}, qr/compareQuantity \(Field is not defined/,
     '2026-04: compareQuantity is no input field');

InvsyncSim::configure($t, 'shopify', atomic => 0);
$d = set('k-7b', qty(999, 1, 1, undef), qty(101, 1, 5, undef));
is(uerr($d) . ' ' . $d->{data}{inventorySetQuantities}{inventoryAdjustmentGroup}
   {changes}[0]{quantityAfterChange}, 'INVALID_INVENTORY_ITEM 5',
   'atomic => 0: the valid quantities applied, with the user error');
InvsyncSim::configure($t, 'shopify', atomic => 1);

$d = set('k-9', qty(101, 1, 6, 5), qty(101, 2, 2, undef));
is(uerr($d) . ' ' . avail(101, 1) . ' ' . avail(101, 2), ' 6 2',
   'two quantities in one mutation');

# ---- Shopify: reconciliation query ---------------------------------------------------

my $levels = <<'EOF';
query Levels($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem { id inventoryLevels(first: 10) { edges { node {
      location { id } quantities(names: ["available", "on_hand"]) { name quantity } } } } }
  }
}
EOF
$d = gql($levels, { ids => ['gid://shopify/InventoryItem/101',
                            'gid://shopify/InventoryItem/555'] });
my @lv;
for my $e (@{$d->{data}{nodes}[0]{inventoryLevels}{edges}}) {
    push @lv, [$e->{node}{location}{id},
               map { "$_->{name}=$_->{quantity}" } @{$e->{node}{quantities}}];
}
is($J->encode(\@lv),
   '[["gid://shopify/Location/1","available=6","on_hand=6"],'
   . '["gid://shopify/Location/2","available=2","on_hand=2"]]',
   'nodes: levels of a known item');
ok(!defined $d->{data}{nodes}[1], 'nodes: null for an unknown id');
ok($d->{extensions}{cost}{actualQueryCost}
   < $d->{extensions}{cost}{requestedQueryCost}, 'nodes: actual < requested');

# ---- Shopify: webhooks ------------------------------------------------------------------

my $sh = wait_received('/hooks/shopify', 5);
# 7, admin 3, 5, 6 at location 1 and 2 at location 2
is(scalar @$sh, 5, 'one inventory_levels/update per change of available');
my ($bad) = grep { $_->{headers}{'x-shopify-hmac-sha256'}
                   ne hmac_b64($_->{body}, 'hush') } @$sh;
ok(!$bad, 'every X-Shopify-Hmac-Sha256 verifies');
my $h0 = $sh->[0]{headers};
is(join(' ', map { defined $h0->{$_} ? 1 : 0 } qw(x-shopify-topic
   x-shopify-webhook-id x-shopify-event-id x-shopify-shop-domain
   x-shopify-triggered-at x-shopify-api-version)), '1 1 1 1 1 1',
   'the X-Shopify-* headers');
is($h0->{'x-shopify-topic'}, 'inventory_levels/update', 'topic');
my $b0 = $J->decode($sh->[0]{body});
is(join(' ', @$b0{qw(inventory_item_id location_id available
                     admin_graphql_api_id)}),
   '101 1 7 gid://shopify/InventoryLevel/1?inventory_item_id=101',
   'payload: item, location, available, gid');
like($b0->{updated_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/,
     'payload: updated_at with the shop offset');
my %ids = map { $_->{headers}{'x-shopify-webhook-id'} => 1 } @$sh;
is(scalar keys %ids, 5, 'webhook ids are unique');

InvsyncSim::settle($t, 'shopify');
my $before = InvsyncSim::webhooks($t, 'shopify');
$d = set('k-10', qty(101, 1, 6, undef));
is(uerr($d), '', 'a set to the current value');
InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 101,
                      location_id => 2, available => 2);
sleep 0.3;
is(scalar @{InvsyncSim::webhooks($t, 'shopify')}, scalar @$before,
   'no webhook when available is unchanged');

receiver_status(500);
my $last = $before->[-1]{n};
InvsyncSim::admin_set($t, 'shopify', inventory_item_id => 102,
                      location_id => 1, available => 4);
my $w = InvsyncSim::wait_webhooks($t, 'shopify', 1, since => $last);
is($w->[0]{status}, 500, 'a failed delivery is logged');
receiver_status(200);
$w = InvsyncSim::wait_webhooks($t, 'shopify', 2, since => $last);
is(join(' ', map { "$_->{attempt}:$_->{status}" } @$w), '1:500 2:200',
   'retried after the failure');
is($w->[1]{headers}{'X-Shopify-Webhook-Id'},
   $w->[0]{headers}{'X-Shopify-Webhook-Id'}, 'a retry keeps the webhook id');

# ---- Shopify: orders ----------------------------------------------------------------------

InvsyncSim::settle($t, 'shopify');
$last = InvsyncSim::webhooks($t, 'shopify')->[-1]{n};
my $o = InvsyncSim::order($t, 'shopify',
    line_items => [{ sku => 'MUG', quantity => 2, price => '12.50' }]);
is(avail(101, 1), 4, 'an order commits available');
$w = InvsyncSim::wait_webhooks($t, 'shopify', 2, since => $last);
is(join(' ', map { $_->{topic} } @$w), 'orders/create inventory_levels/update',
   'orders/create, then the level update');
my $ob = $J->decode($w->[0]{body});
is(join(' ', @{$ob->{line_items}[0]}{qw(sku quantity price)},
        $ob->{line_items}[0]{variant_id} > 0 ? 'variant' : '-'),
   'MUG 2 12.50 variant', 'order line items');
InvsyncSim::order($t, 'shopify', line_items => [{ sku => 'CAP' }],
                  adjust_inventory => JSON::PP::false);

$r = $http->get("$shop/admin/api/2026-04/orders.json?status=any&limit=1"
                . '&updated_at_min=2000-01-01T00:00:00-05:00',
                { headers => { 'X-Shopify-Access-Token' => 'shpat_sim' } });
$d = $J->decode($r->{content});
is(join(' ', $r->{status}, scalar @{$d->{orders}}, $d->{orders}[0]{id}),
   "200 1 $o->{id}", 'orders.json: the first page');
like($r->{headers}{link}, qr/page_info=[^>]+>; rel="next"/, 'Link: next');
my ($next) = $r->{headers}{link} =~ /<([^>]+)>; rel="next"/;
$r = $http->get($next,
                { headers => { 'X-Shopify-Access-Token' => 'shpat_sim' } });
$d = $J->decode($r->{content});
is(join(' ', scalar @{$d->{orders}}, $d->{orders}[0]{line_items}[0]{sku}),
   '1 CAP', 'orders.json: the next page');
like($r->{headers}{'x-shopify-shop-api-call-limit'}, qr{^\d+/40$},
     'X-Shopify-Shop-Api-Call-Limit');
$r = $http->get("$shop/admin/api/2026-04/orders.json?status=any"
                . '&updated_at_min=2100-01-01T00:00:00Z',
                { headers => { 'X-Shopify-Access-Token' => 'shpat_sim' } });
is($r->{content}, '{"orders":[]}', 'orders.json: updated_at_min filters');
$r = $http->get("$shop/admin/api/2026-04/orders.json");
is($r->{status}, 401, 'orders.json: token required');

# ---- Shopify: throttling ----------------------------------------------------------------

InvsyncSim::configure($t, 'shopify', bucket_max => 25, restore_rate => 10);
my @c = map { scalar set("t-$_", qty(101, 1, 20 + $_, undef)) } 1 .. 3;
is(join(' ', map { $_->{errors} ? $_->{errors}[0]{extensions}{code} : 'ok' } @c),
   'ok ok THROTTLED', 'the third set is throttled');
is($c[2]{errors}[0]{message}, 'Throttled', 'throttled: message');
ok(exists $c[2]{extensions}{cost}{actualQueryCost}
   && !defined $c[2]{extensions}{cost}{actualQueryCost},
   'throttled: actualQueryCost null');
is(avail(101, 1), 22, 'throttled: nothing applied');
sleep 0.8;
$d = set('t-3', qty(101, 1, 23, undef));
is(uerr($d) . ' ' . avail(101, 1), ' 23', 'applied after the restore rate');
InvsyncSim::configure($t, 'shopify', bucket_max => 1000, restore_rate => 100);

# ---- Shopify: failure injection ------------------------------------------------------------

InvsyncSim::fail($t, 'shopify', mode => '5xx', status => 503, count => 2);
my @s = map { (gql('{ x }', {}))[0] } 1 .. 3;
is(join(' ', map { $_->{status} } @s), '503 503 200', '5xx: the next two');
like($s[0]{headers}{'content-type'}, qr{^text/html}, '503: an HTML page');

InvsyncSim::fail($t, 'shopify', mode => '429', retry_after => 3);
($r) = gql('{ x }', {});
is(join(' ', $r->{status}, $r->{headers}{'retry-after'}), '429 3',
   '429 with Retry-After');

InvsyncSim::fail($t, 'shopify', mode => 'delay', delay_ms => 800);
my $quick = HTTP::Tiny->new(timeout => 0.3);
(my $m = $SET) =~ s/%KEY%/d-1/;
my $t0 = time;
$r = $quick->request('POST', "$shop$GQL", {
    content => $J->encode({ query => $m,
                            variables => set_input(qty(102, 1, 9, undef)) }),
    headers => { 'X-Shopify-Access-Token' => 'shpat_sim' } });
is($r->{status}, 599, 'delay: the client times out');
is(avail(102, 1), 9, 'delay: applied before the late answer');
$d = set('d-1', qty(102, 1, 9, undef));
is(uerr($d), 'IDEMPOTENCY_CONCURRENT_REQUEST', 'a retry while in progress');
sleep 0.95 - (time - $t0) if time - $t0 < 0.95;
$d = set('d-1', qty(102, 1, 9, undef));
is($d->{data}{inventorySetQuantities}{inventoryAdjustmentGroup}{changes}[0]
   {quantityAfterChange}, 9, 'a retry after the answer: the replay');

InvsyncSim::fail($t, 'shopify', mode => 'down', count => 1);
($r) = gql('{ x }', {});
is($r->{status}, 599, 'down: connection closed without an answer');
($r) = gql('{ x }', {});
is($r->{status}, 200, 'down: over after count');

InvsyncSim::fail($t, 'shopify', mode => 'down', refuse => 1, seconds => 0.6);
sleep 0.1;
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                                 . $t->port('sim_shopify'));
ok(!$sock, 'down, refuse: connection refused');
sleep 0.7;
($r) = gql('{ x }', {});
is($r->{status}, 200, 'down, refuse: listening again');

# ---- Shopify: the request log ------------------------------------------------------------

$log = InvsyncSim::requests($t, 'shopify');
my $n = $log->[-1]{n};
is($log->[0]{headers}{'x-shopify-access-token'}, '[redacted]',
   'request log: token redacted');
ok(!grep({ index($J->encode($_), 'shpat_sim') >= 0 } @$log),
   'request log: the token appears nowhere');
is(join(' ', @{$log->[0]}{qw(method path status)}), "POST $GQL 401",
   'request log: method, path, status');
gql('{ x }', {});
$log = InvsyncSim::requests($t, 'shopify', $n);
is(scalar @$log, 1, 'request log: since');
is(join(' ', grep { defined } map { $_->{fault} }
             @{InvsyncSim::requests($t, 'shopify')}),
   '5xx 5xx 429 delay down', 'request log: injected faults');

# ---- HTTP: keep-alive, pipelining, concurrency, Expect ------------------------------------------

my $body = $J->encode({ query => '{ x }' });
my $one = "POST $GQL HTTP/1.1\r\nHost: x\r\nX-Shopify-Access-Token: shpat_sim"
        . "\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
my @socks = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                  . $t->port('sim_shopify')) or die } 1 .. 4;
syswrite($_, $one) for reverse @socks;
syswrite($socks[0], $one . $one);              # pipelined, same connection
my %got;
my $sel = IO::Select->new(@socks);
my $answers = sub {
    join ' ', map { scalar(() = ($got{$_} // '') =~ m{HTTP/1\.1 200}g) } @socks;
};
my $end = time + 3;
while (time < $end && $answers->() ne '3 1 1 1') {
    for my $s ($sel->can_read(0.2)) {
        sysread($s, my $buf, 65536) or next;
        $got{$s} .= $buf;
    }
}
is($answers->(), '3 1 1 1', 'four connections, one pipelining three');
like($got{$socks[1]}, qr/Connection: keep-alive/, 'HTTP/1.1 keep-alive');

my $x = IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                              . $t->port('sim_shopify')) or die;
syswrite($x, "POST $GQL HTTP/1.1\r\nHost: x\r\nX-Shopify-Access-Token: "
           . "shpat_sim\r\nExpect: 100-continue\r\nContent-Length: "
           . length($body) . "\r\n\r\n");
IO::Select->new($x)->can_read(2);
sysread($x, my $cont, 65536);
like($cont, qr{^HTTP/1\.1 100 Continue\r\n\r\n}, 'Expect: 100-continue');
syswrite($x, $body);
IO::Select->new($x)->can_read(2);
sysread($x, $cont, 65536);
like($cont, qr{^HTTP/1\.1 200 }, 'then the answer');

# ---- WooCommerce ---------------------------------------------------------------------------------

my $W = '/wp-json/wc/v3';

sub wc {
    my ($method, $path, $data, %o) = @_;
    my $auth = $o{auth} // 'ck_sim:cs_sim';
    my $r = $http->request($method, "$woo$W$path", {
        (defined $data ? (content => $J->encode($data)) : ()),
        headers => { 'Content-Type' => 'application/json',
                     (length $auth ? (Authorization => 'Basic '
                                      . encode_base64($auth, '')) : ()) } });
    my $d = eval { $J->decode($r->{content}) };
    return wantarray ? ($r, $d) : $d;
}

sub stock { InvsyncSim::quantity($t, 'woocommerce', $_[0]) }

($r) = wc('GET', '/products', undef, auth => '');
is($r->{status} . ' ' . $r->{content}, '401 {"code":"woocommerce_rest_cannot_'
   . 'view","data":{"status":401},"message":"Sorry, you cannot list '
   . 'resources."}', 'woo: no credentials, 401 cannot_view');
($r) = wc('GET', '/products', undef, auth => 'ck_sim:nope');
is($r->{status} . ' ' . $r->{content}, '401 {"code":"woocommerce_rest_'
   . 'authentication_error","data":{"status":401},"message":"Consumer '
   . 'secret is invalid."}', 'woo: wrong secret');
InvsyncSim::configure($t, 'woocommerce', strict_ssl => 1);
($r, $d) = wc('PUT', '/products/799', { stock_quantity => 1 });
is("$r->{status} $d->{code}", '401 woocommerce_rest_cannot_edit',
   'woo strict_ssl: Basic over HTTP refused');
InvsyncSim::configure($t, 'woocommerce', strict_ssl => 0);

($r, $d) = wc('PUT', '/products/799', { manage_stock => JSON::PP::true,
                                        stock_quantity => 2 });
is(join(' ', $r->{status}, @$d{qw(id sku stock_quantity stock_status)}),
   '200 799 MUG 2 instock', 'woo: PUT product');
like($d->{date_modified_gmt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/,
     'woo: date_modified_gmt');
($r, $d) = wc('PUT', '/products/12345', { stock_quantity => 2 });
is($r->{status} . ' ' . $r->{content}, '404 {"code":"woocommerce_rest_product_'
   . 'invalid_id","data":{"status":404},"message":"Invalid ID."}',
   'woo: PUT unknown product');
($r, $d) = wc('PUT', '/products/850/variations/900', { stock_quantity => 6 });
is("$r->{status} $d->{stock_quantity} " . stock(900), '200 6 6',
   'woo: PUT variation');
($r, $d) = wc('PUT', '/products/850/variations/901', { stock_quantity => 6 });
is("$r->{status} $d->{code}", '404 woocommerce_rest_product_variation_invalid_id',
   'woo: PUT unknown variation');
($r, $d) = wc('PUT', '/products/799', { stock_quantity => 'many' });
is("$r->{status} $d->{code}", '400 rest_invalid_param', 'woo: not an integer');

($r, $d) = wc('POST', '/products/batch',
              { update => [map { { id => 799, stock_quantity => $_ } } 0 .. 100] });
is($r->{status} . ' ' . $r->{content}, '413 {"code":"woocommerce_rest_request_'
   . 'entity_too_large","data":{"status":413},"message":"Unable to accept '
   . 'more than 100 items for this request."}', 'woo: batch of 101, 413');
is(stock(799), 2, 'woo: 413 applies nothing');
($r, $d) = wc('POST', '/products/batch', { update => [
    { id => 799, stock_quantity => 8 }, { id => 4242, stock_quantity => 1 },
    { id => 800, stock_quantity => 1 }] });
is($r->{status}, 200, 'woo: batch with an unknown id, 200');
is($J->encode($d->{update}[1]), '{"error":{"code":"woocommerce_rest_product_'
   . 'invalid_id","data":{"status":400},"message":"Invalid ID."},"id":4242}',
   'woo: the per-item error');
is(join(' ', stock(799), stock(800), $d->{update}[0]{stock_quantity}),
   '8 1 8', 'woo: the other items applied');
($r, $d) = wc('POST', '/products/850/variations/batch',
              { update => [{ id => 900, stock_quantity => 4 }] });
is(join(' ', $r->{status}, $d->{update}[0]{stock_quantity}, stock(900)),
   '200 4 4', 'woo: variations batch');

($r, $d) = wc('GET', '/products?per_page=2&page=1&orderby=id&order=asc');
is(join(' ', $r->{status}, $r->{headers}{'x-wp-total'},
        $r->{headers}{'x-wp-totalpages'}, map { $_->{id} } @$d),
   '200 3 2 799 800', 'woo: products page, X-WP-Total(Pages)');
($r, $d) = wc('GET', '/products?sku=TEE-S');
is(join(' ', map { "$_->{id}:$_->{type}" } @$d), '900:variation',
   'woo: ?sku= finds variations');
($r, $d) = wc('GET', '/products?per_page=101');
is("$r->{status} $d->{code}", '400 rest_invalid_param', 'woo: per_page > 100');

# ---- WooCommerce: webhooks and orders -----------------------------------------------------------

my $wh = wait_received('/hooks/woo', 1);
my $p0 = $wh->[0];
is($p0->{headers}{'x-wc-webhook-signature'},
   encode_base64(hmac_sha256($p0->{body}, 'secret'), ''),
   'woo: X-WC-Webhook-Signature verifies');
is(join(' ', @{$p0->{headers}}{qw(x-wc-webhook-topic x-wc-webhook-resource
    x-wc-webhook-event x-wc-webhook-id x-wc-webhook-source)}),
   'product.updated product updated 11 https://shop.example.com/',
   'woo: the X-WC-Webhook-* headers');
like($p0->{headers}{'x-wc-webhook-delivery-id'}, qr/^[0-9a-f]{32}$/,
     'woo: delivery id');
like($p0->{line}, qr{ HTTP/1\.0$}, 'woo: delivered over HTTP/1.0');
like($p0->{body}, qr{"permalink":"https:\\/\\/}, 'woo: wp_json_encode escapes /');
my $pb = $J->decode($p0->{body});
ok(defined $pb->{stock_quantity} && $pb->{manage_stock}, 'woo: stock in body');

InvsyncSim::settle($t, 'woocommerce');
my $wl = InvsyncSim::webhooks($t, 'woocommerce');
$last = $wl->[-1]{n};
$o = InvsyncSim::order($t, 'woocommerce',
                       line_items => [{ sku => 'MUG', quantity => 3 }]);
is(stock(799), 5, 'woo: an order reduces stock');
$w = InvsyncSim::wait_webhooks($t, 'woocommerce', 2, since => $last);
is(join(' ', map { $_->{topic} } @$w), 'order.created product.updated',
   'woo: order.created, then product.updated');
is($J->decode($w->[1]{body})->{stock_quantity}, 5, 'woo: the new stock');
($r, $d) = wc('GET', '/orders?modified_after=2000-01-01T00:00:00&per_page=100');
is(join(' ', $r->{status}, $r->{headers}{'x-wp-total'}, $d->[0]{id},
        $d->[0]{line_items}[0]{sku}, $d->[0]{line_items}[0]{product_id}),
   "200 1 $o->{id} MUG 799", 'woo: GET /orders modified_after');
($r, $d) = wc('GET', '/orders?modified_after=2100-01-01T00:00:00');
is($r->{content}, '[]', 'woo: modified_after in the future');

InvsyncSim::settle($t, 'woocommerce');
receiver_status(500);
$last = InvsyncSim::webhooks($t, 'woocommerce')->[-1]{n};
for my $i (1 .. 8) {
    wc('PUT', '/products/800', { stock_quantity => 10 + $i });
    InvsyncSim::wait_webhooks($t, 'woocommerce', $i, since => $last)
        if $i <= 7;
}
sleep 0.2;
$w = InvsyncSim::webhooks($t, 'woocommerce', $last);
is(scalar @$w, 7, 'woo: no retries, disabled after the 7th failure');
is(InvsyncSim::state($t, 'woocommerce')->{webhooks}{11}{status}, 'disabled',
   'woo: webhook status disabled');
receiver_status(200);

InvsyncSim::fail($t, 'woocommerce', mode => '5xx', status => 500);
($r, $d) = wc('GET', '/products');
is("$r->{status} $d->{code}", '500 internal_server_error',
   'woo: 500, the WordPress critical error');
InvsyncSim::fail($t, 'woocommerce', mode => '429', retry_after => 7);
($r) = wc('GET', '/products');
is(join(' ', $r->{status}, $r->{headers}{'retry-after'},
        $r->{headers}{'content-type'} =~ /html/ ? 'html' : '-'),
   '429 7 html', 'woo: a WAF 429');

$log = InvsyncSim::requests($t, 'woocommerce');
is($log->[0]{headers}{authorization}, undef, 'woo log: first had no auth');
is($log->[1]{headers}{authorization}, '[redacted]', 'woo log: auth redacted');

InvsyncSim::reset($t, 'woocommerce');
is(stock(800), 0, 'woo: reset restores the start items');
is(scalar @{InvsyncSim::requests($t, 'woocommerce')}, 0, 'woo: reset clears');

$t->done;
