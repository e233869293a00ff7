package InvsyncSetup;

# The set-up the integration tests share, beside InvsyncTest (nginx, Redis)
# and InvsyncWorker (worker.json, processes).  Test files used to copy it
# from their neighbours: the webhook locations of nginx.conf, the signed
# deliveries of each channel's scheme, the ShipBob simulator wired to its
# channel and 3pl location, a shipment as ship_open.lua makes it and a few
# readers of Redis.  Here each piece is written once, with the names the
# tests already use (channel shop-eu at /hooks/shopify with shopify.secret,
# and so on), so that a file says only what is particular to it.
#
# Plain functions, the InvsyncTest object first where one is needed, as in
# InvsyncWorker.  Nothing here asserts: a test's checks stay in the test.
# Core Perl only.  docs/simulators.md, "Test helpers", lists them.

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP;
use Digest::SHA qw(hmac_sha256_hex);
use MIME::Base64 qw(encode_base64);
use FindBin;
use InvsyncTest qw(hmac_b64);
use InvsyncSim;
use InvsyncWorker qw(audit_entries);

our @EXPORT_OK = qw(hook_locations hook_channels
                    shopify_req woo_req stripe_req stripe_event_req
                    square_req send_req
                    sb_key sb_secret sb_secrets start_3pl sb_channel
                    tpl_location route_all warehouse_location open_shipment
                    shopify_order
                    on_hand_total refund_record drained caught_up audits
                    woo_fixture accounts);

# ---- nginx: the webhook locations ------------------------------------------

# The webhooks the tests receive, by name: location /hooks/<name>, the
# scheme, the channel it stores for and the secret file in the test
# directory; square also needs the URL its signatures cover.
my %HOOK = (
    shopify => [shopify     => 'shop-eu',     'shopify.secret'],
    woo     => [woocommerce => 'woo-main',    'woo.secret'],
    stripe  => [stripe      => 'stripe-main', 'stripe.secret'],
    square  => [square      => 'sq-main',     'square.secret',
                'invsync_notification_url https://hooks.example.com/square'],
    shipbob => [shipbob     => 'sb-us',       'sb.secret'],
);

# The location blocks for InvsyncTest->setup(locations => ...).  Each
# argument is a name of %HOOK, or, for a hook of its own (a second channel
# of one scheme), [path, scheme, channel, secret file, extra lines...].
sub hook_locations {
    my @out;
    for my $h (@_) {
        my ($path, $scheme, $channel, $secret, @extra) = ref $h ? @$h
            : ("/hooks/$h", @{$HOOK{$h} || die "no hook '$h'\n"});
        push @out, "        location = $path {\n"
                   . "            invsync_webhook $scheme;\n"
                   . "            invsync_channel $channel;\n"
                   . "            invsync_secret_file %%TESTDIR%%/$secret;\n"
                   . join('', map { "            $_;\n" } @extra)
                   . "        }\n";
    }
    return join "\n", @out;
}

# worker.json's channels for hooks of %HOOK: { id, type } each, the type
# named as the worker names it (woocommerce, not woo).
sub hook_channels {
    return map { { id => $HOOK{$_}[1], type => $HOOK{$_}[0] } } @_;
}

# ---- signed deliveries -----------------------------------------------------

# Each *_req builds one delivery as [method, path, body, {headers}], what
# $t->parallel and $t->at_once take; send_req($t, $req) posts one and
# returns HTTP::Tiny's answer.  The headers are those each scheme checks
# (docs/channels.md), signed with the secret the tests write; %o changes
# the path or the key.

# Shopify: X-Shopify-Hmac-Sha256 over the body, from shop-eu unless
# $o{shop} names another domain; no Content-Type: the tests' Shopify
# deliveries never had one.
sub shopify_req {
    my ($topic, $id, $body, %o) = @_;
    return ['POST', $o{path} // '/hooks/shopify', $body,
            { 'X-Shopify-Hmac-Sha256' => hmac_b64($body, $o{key} // 'hush'),
              'X-Shopify-Topic' => $topic, 'X-Shopify-Webhook-Id' => $id,
              'X-Shopify-Shop-Domain'
                  => $o{shop} // 'shop-eu.myshopify.com' }];
}

# WooCommerce: X-WC-Webhook-Signature over the body; topic order.updated
# unless $o{topic}, its resource and event the topic's two halves.
sub woo_req {
    my ($id, $body, %o) = @_;
    my $topic = $o{topic} // 'order.updated';
    my ($resource, $event) = split /\./, $topic, 2;
    return ['POST', $o{path} // '/hooks/woo', $body,
            { 'X-WC-Webhook-Signature'
                  => hmac_b64($body, $o{key} // 'wsecret'),
              'X-WC-Webhook-Topic' => $topic,
              'X-WC-Webhook-Resource' => $resource,
              'X-WC-Webhook-Event' => $event,
              'X-WC-Webhook-Source' => 'https://shop.example.com/',
              'X-WC-Webhook-Delivery-ID' => $id,
              'Content-Type' => 'application/json' }];
}

# Stripe: Stripe-Signature t=<now>,v1=HMAC("<t>.<body>"); the key differs
# per file (each its own whsec_), so it is not defaulted.
sub stripe_req {
    my ($body, $key, %o) = @_;
    my $ts = $o{ts} // int(time);
    my $v1 = hmac_sha256_hex("$ts.$body", $key);
    return ['POST', $o{path} // '/hooks/stripe', $body,
            { 'Stripe-Signature' => "t=$ts,v1=$v1",
              'Content-Type' => 'application/json' }];
}

# A Stripe event of $type about $object, created now (or at $o{created}),
# signed as above.
sub stripe_event_req {
    my ($key, $id, $type, $object, %o) = @_;
    my $ts = $o{ts} // int(time);
    my $body = encode_json({ id => $id, object => 'event', type => $type,
                             api_version => '2024-06-20',
                             created => $o{created} // $ts,
                             data => { object => $object } });
    return stripe_req($body, $key, %o, ts => $ts);
}

# Square: X-Square-HmacSha256-Signature over the notification URL (the one
# %HOOK gives nginx) and the body.
sub square_req {
    my ($body, %o) = @_;
    return ['POST', $o{path} // '/hooks/square', $body,
            { 'X-Square-HmacSha256-Signature'
                  => hmac_b64('https://hooks.example.com/square' . $body,
                              $o{key} // 'sq_Sig-Key_123'),
              'Content-Type' => 'application/json' }];
}

sub send_req {
    my ($t, $req) = @_;
    my (undef, $path, $body, $h) = @$req;
    return $t->post($path, $body, %$h);
}

# ---- the 3PL: the ShipBob simulator, its channel and location --------------

# The webhook key the 3PL signs with (Standard Webhooks: whsec_ and the
# base64 of the key), and the secrets setup() writes for it: sb.secret for
# nginx, sb.token the API token the worker sends.
sub sb_key { 'the 3pl webhook key, 32 bytes!!!' }
sub sb_secret { 'whsec_' . encode_base64(sb_key(), '') }
sub sb_secrets {
    return ('sb.secret' => sb_secret(), 'sb.token' => 'sb_pat_sim');
}

# Starts the 3PL simulator with that token, channel 4242 and the product
# MUG ("Mug"), its notices signed and sent to /hooks/shipbob; %o overrides,
# an option given as undef is left out (a file whose nginx has no shipbob
# location sends none).  Returns its base URL.
sub start_3pl {
    my ($t, %o) = @_;
    my %opt = (token => 'sb_pat_sim', channel_id => 4242,
               webhook_secret => sb_secret(),
               webhook_url => $t->url('/hooks/shipbob'),
               items => [{ reference_id => 'MUG', name => 'Mug' }], %o);
    delete $opt{$_} for grep { !defined $opt{$_} } keys %opt;
    return InvsyncSim::start($t, '3pl', %opt);
}

# worker.json's channel sb-us for the simulator at $base; %o overrides.
sub sb_channel {
    my ($t, $base, %o) = @_;
    return { id => 'sb-us', type => 'shipbob', api_base => "$base/2026-07",
             credentials_file => $t->dir . '/sb.token',
             options => { channel_id => 4242 }, %o };
}

# The 3pl location 3pl-us, fulfilled by sb-us, asked after $ask seconds,
# stalled after $deadline; %o adds to the location (channels => [...]).
sub tpl_location {
    my ($ask, $deadline, %o) = @_;
    return { id => '3pl-us', kind => '3pl',
             fulfilment => { channel => 'sb-us', ask_after_s => $ask,
                             deadline_s => $deadline }, %o };
}

# worker.json's routing: one rule, all, requiring $location.
sub route_all {
    my ($location) = @_;
    return { rules => [ { name => 'all', require => [$location] } ] };
}

# ---- the carrier: a warehouse location buying labels -----------------------

# The warehouse wh-a buying labels from the carrier simulator at $carrier
# with the key carrier.key, shipping from Lyon, 500 g a parcel; %o adds to
# the location or replaces its keys (id => 'wh-b', channels => [...]).
sub warehouse_location {
    my ($t, $carrier, %o) = @_;
    return { id => 'wh-a', kind => 'warehouse',
             fulfilment => { api_base => "$carrier/v2",
                             credentials_file => $t->dir . '/carrier.key',
                             from => { name => 'Lyon DC', address1 => '1 Quai',
                                       city => 'Lyon', zip => '69001',
                                       country_code => 'FR' },
                             parcel => { weight_g => 500 } },
             %o };
}

# ---- seeds -----------------------------------------------------------------

my $J = JSON::PP->new->canonical;

# An open shipment of WooCommerce order $oid as ship_open.lua makes it (the
# order, the shipment hash), due now; returns its id.  %o:
#   location, kind     default 3pl-us, 3pl
#   line_id, sku, qty  its one line, default 1, MUG, 1
#   order              more fields of the order's data (currency, lines...)
#   fields             more fields of the shipment hash (rule...)
#   due                its score on fulfil:due (ms), default this second;
#                      undef: not due (the file adds it)
#   indexed            also in K shipments:<order>
#   held               also routed there: the allocation and reserved
#                      stock hold its units
sub open_shipment {
    my ($t, $oid, %o) = @_;
    my $K = 'invsync:{invsync}:';
    my $loc = $o{location} // '3pl-us';
    my ($sku, $qty) = ($o{sku} // 'MUG', $o{qty} // 1);
    my $id = "woo-main:$oid\@$loc";
    $t->redis('HSET', "${K}order:woo-main:$oid", 'version', 1, 'data',
        $J->encode({ order_id => "$oid", order_number => "#$oid",
            customer => { email => 'jd@example.com', name => 'John Doe' },
            shipping_address => { name => 'John Doe',
                address1 => '100 N Racine Ave', city => 'Chicago',
                province => 'IL', zip => '60607', country_code => 'US' },
            %{$o{order} || {}} }));
    $t->redis('HSET', "${K}shipment:$id", 'order', "woo-main:$oid",
        'channel', 'woo-main', 'order_id', $oid, 'location', $loc,
        'kind', $o{kind} // '3pl', 'state', 'open', 'version', 1,
        %{$o{fields} || {}},
        'lines', $J->encode([{ line_id => $o{line_id} // '1', sku => $sku,
                               qty => $qty }]));
    $t->redis('SADD', "${K}shipments:woo-main:$oid", $id) if $o{indexed};
    if ($o{held}) {
        $t->redis('HSET', "${K}alloc:woo-main:$oid", 'held',
                  $J->encode({ $loc => { $sku => $qty } }));
        $t->redis('HSET', "${K}stock:$sku", "reserved:$loc", $qty);
    }
    my $due = exists $o{due} ? $o{due} : int(time * 1000);
    $t->redis('ZADD', "${K}fulfil:due", $due, $id) if defined $due;
    return $id;
}

# A Shopify order as its orders/create body (a hash, to encode or change):
# paid, in EUR, by jon@example.com on 20 November 2026, to ship to Paris.
# %o: id; lines, [line id, SKU, quantity] each, 9.00 a unit, the SKU its
# title, the line id its variant; total, its total_price; any other key a
# field of the order, added or replacing the one here (updated_at,
# cancelled_at, line_items...).
sub shopify_order {
    my (%o) = @_;
    my ($id, $lines, $total) = delete @o{qw(id lines total)};
    return { id => $id, name => "#$id", email => 'jon@example.com',
             created_at => '2026-11-20T10:00:00+01:00',
             updated_at => '2026-11-20T10:00:00+01:00',
             currency => 'EUR', total_price => $total,
             financial_status => 'paid',
             line_items => [ map { { id => $_->[0], sku => $_->[1],
                                     quantity => $_->[2], price => '9.00',
                                     title => $_->[1], product_id => 7,
                                     variant_id => $_->[0] } }
                             @{$lines || []} ],
             shipping_address => { name => 'Jon', address1 => '1 Rue',
                                   city => 'Paris', zip => '75001',
                                   country_code => 'FR' },
             %o };
}

# The WooCommerce fixture order (t/fixtures/woocommerce/
# order_updated_processing), decoded, for files that vary its id.
sub woo_fixture {
    my ($t) = @_;
    return decode_json($t->read_file("$FindBin::Bin/fixtures/woocommerce/"
                                     . 'order_updated_processing/body.json'));
}

# The journal's accounts, one per role (docs/journal.md), as the tests
# configure them.
sub accounts {
    return (sales_returns => '4010', tax_payable => '2200',
            shipping_income => '4020', fees_income => '4030',
            refunds_payable => '2110', refunds_paid => '1210',
            inventory => '1400', cost_of_goods => '5000',
            write_offs => '5100');
}

# ---- readers ---------------------------------------------------------------

# A SKU's on hand over every location.
sub on_hand_total {
    my ($t, $sku) = @_;
    my %h = @{$t->redis('HGETALL', "invsync:{invsync}:stock:$sku")};
    my $n = 0;
    $n += $h{$_} for grep { /^on_hand:/ } keys %h;
    return $n;
}

# A refund's record (K refund:<channel>:<id>), decoded; undef if none.
sub refund_record {
    my ($t, $channel, $id) = @_;
    my $d = $t->redis('HGET', "invsync:{invsync}:refund:$channel:$id", 'data');
    return $d ? decode_json($d) : undef;
}

# True when stream $stream has $n entries or more and group invsync has
# none pending: the worker has acted on all it was given.
sub drained {
    my ($t, $stream, $n) = @_;
    my $p = eval { $t->redis('XPENDING', $stream, 'invsync') };
    return ref $p eq 'ARRAY' && @{$t->stream($stream)} >= $n && $p->[0] == 0;
}

# True when group invsync of each stream has read all of it (lag 0) and
# acknowledged all it read: the worker is done with what it was given.
# A stream without the group yet is not caught up.
sub caught_up {
    my ($t, @streams) = @_;
    for my $s (@streams) {
        my $i = $t->redis('XINFO', 'GROUPS', $s);
        return 0 unless ref $i && @$i;
        my %g = @{$i->[0]};
        return 0 if $g{pending} || !defined $g{lag} || $g{lag};
    }
    return 1;
}

# The audit entries of $action whose fields are those of %match (a value
# given as undef matches any).
sub audits {
    my ($t, $action, %match) = @_;
    my @keys = grep { defined $match{$_} } keys %match;
    return [grep { my $e = $_;
                   ($e->{action} // '') eq $action
                   && !grep { ($e->{$_} // '') ne $match{$_} } @keys }
            @{audit_entries($t)}];
}

1;
