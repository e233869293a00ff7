package InvsyncSim::Shopify;

# The Shopify Admin API simulator: GraphQL inventory (inventorySetQuantities
# with @idempotent, nodes and inventoryItem reads, cost and throttling), the
# legacy REST orders.json the backfill poller reads, and the webhooks
# inventory_levels/update and orders/create.  docs/simulators.md, "Shopify
# simulator", says what follows which section of the channel reference.
# The inventorySetQuantities mutation is in InvsyncSim/Shopify/SetQuantities.pm,
# fulfillment orders and fulfillments in InvsyncSim/Shopify/Fulfillment.pm,
# refunds in InvsyncSim/Shopify/Refunds.pm, returns in
# InvsyncSim/Shopify/Returns.pm, the same package.

use strict;
use warnings;

use parent -norequire, 'InvsyncSim::Channel';
use InvsyncSim::Channel qw(:all);
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX qw(floor ceil);
use Time::HiRes qw(time);
use InvsyncSim::Shopify::SetQuantities ();
use InvsyncSim::Shopify::Fulfillment ();
use InvsyncSim::Shopify::Refunds ();
use InvsyncSim::Shopify::Returns ();

# POST /_sim/<name>: the control calls of the files above, one table so
# that no file's call hides another's (they share this package)
sub control {
    my ($class, $S, $name, $in) = @_;
    return _control_tracked($S) if $name eq 'tracked';
    return _return_create($S, $in // {}) if $name eq 'return';
    return _return_step($S, $in // {}) if $name eq 'return_step';
    return $class->SUPER::control($S, $name);
}

sub defaults {
    return {
        token            => 'shpat_test',
        shop             => 'invsync-test.myshopify.com',
        api_version      => '2026-04',  # of the webhooks sent
        bucket_max       => 1000,
        restore_rate     => 100,
        set_cost         => 10,
        max_quantities   => 250,
        rest_bucket      => 40,
        rest_leak        => 2,
        idempotency_ttl  => 86400,
        atomic           => 1,
        webhook_retries  => [0.5, 1, 2],
        webhook_topics   => ['inventory_levels/update', 'orders/create'],
    };
}

# ---- the hooks of InvsyncSim::Channel ----------------------------------------------

sub reset {
    my ($class, $S) = @_;
    %$S = (%$S, levels => {}, by_item => {}, locations => {}, orders => [],
           idem => {}, groups => 0, seq => 1000, fos => {}, order_fo => {},
           order_ful => {}, refunds => {}, ridem => {},
           bucket => { avail => $S->{conf}{bucket_max}, at => time },
           rest => { used => 0, at => time });
}

sub define {
    my ($class, $S, @items) = @_;
    my $now = time;
    for my $it (@items) {
        return 'an item must be an object' unless ref $it eq 'HASH';
        my $id = $it->{inventory_item_id}
            or return 'inventory_item_id required';
        my $loc = $it->{location_id} // 1;
        my $av = $it->{available} // 0;
        # by_item and locations index the levels: a mutation of 250
        # quantities must not scan every level 250 times
        $S->{by_item}{$id + 0}{$loc + 0} =
        $S->{levels}{"$id/$loc"} = {
            inventory_item_id => $id + 0, location_id => $loc + 0,
            available => $av + 0, on_hand => ($it->{on_hand} // $av) + 0,
            sku => $it->{sku} // "SKU-$id",
            variant_id => ($it->{variant_id} // $id + 100000000) + 0,
            product_id => ($it->{product_id} // $id + 200000000) + 0,
            title => $it->{title} // "Item $id",
            price => $it->{price} // '9.99',
            updated_at => _local_time($S, $now),
        };
        $S->{locations}{$loc + 0} = 1;
    }
    return undef;
}

sub state {
    my ($class, $S) = @_;
    my $bk = _bucket($S);
    return { orders => scalar @{$S->{orders}},
        fulfillments => _ful_state($S),
        fulfillment_orders => _fo_state($S),
        refunds => _refund_state($S),
        bucket => { maximumAvailable => $S->{conf}{bucket_max} + 0,
                    currentlyAvailable => floor($bk->{avail}),
                    restoreRate => $S->{conf}{restore_rate} + 0 },
        levels => [map { _level_state($_) }
                   sort { $a->{inventory_item_id} <=> $b->{inventory_item_id}
                          || $a->{location_id} <=> $b->{location_id} }
                   values %{$S->{levels}}] };
}

sub _level_state {
    my ($l) = @_;
    return { map { $_ => $l->{$_} } qw(inventory_item_id location_id
             available on_hand sku variant_id product_id updated_at) };
}

# (item id, location id, name), name 'available' by default
sub quantity {
    my ($class, $s, $item, $loc, $q) = @_;
    for my $l (@{$s->{levels}}) {
        return $l->{$q // 'available'}
            if $l->{inventory_item_id} == $item
               && (!defined $loc || $l->{location_id} == $loc);
    }
    return undef;
}

# bucket_max refills the bucket; bucket_available is what other clients
# of the token left in it
sub configured {
    my ($class, $S, $in) = @_;
    my $avail = delete $S->{conf}{bucket_available};
    if (exists $in->{bucket_max}) {
        $S->{bucket} = { avail => $in->{bucket_max}, at => time };
    }
    if (defined $avail) {
        _bucket($S)->{avail} = $avail + 0;
    }
}

sub redact {
    my ($class, $hdr, $target) = @_;
    $hdr->{'x-shopify-access-token'} = '[redacted]'
        if exists $hdr->{'x-shopify-access-token'};
    return $class->SUPER::redact($hdr, $target);
}

# REST-style 429 (§2.7); 500 as JSON, 502 and 503 as Shopify's HTML page
sub fault_answer {
    my ($class, $S, $f) = @_;
    my @ra = defined $f->{retry_after}
             ? ('Retry-After' => $f->{retry_after}) : ();
    if ($f->{mode} eq '429') {
        @ra = ('Retry-After' => '2.0') unless @ra;
        return _json(429, { errors => 'Exceeded 2 calls per second for '
            . 'api client. Reduce request rates to resume uninterrupted '
            . 'service.' }, @ra, 'X-Shopify-Shop-Api-Call-Limit' => '40/40');
    }
    my $st = $f->{status} // 503;
    my $kind = $f->{body} // ($st == 500 ? 'json' : 'html');
    return _json($st, { errors => $REASON{$st} // 'Error' }, @ra)
        if $kind eq 'json';
    my $t = "$st " . ($REASON{$st} // 'Error');
    return _html($st, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta "
        . "charset=\"utf-8\"><title>Shopify &middot; $t</title></head>\n<body>"
        . "<h1>There was a problem loading this website</h1><p>Try refreshing "
        . "the page.</p></body>\n</html>\n", @ra);
}


# ---- the API ---------------------------------------------------------------------

sub api {
    my ($class, $S, $req) = @_;
    my $c = $S->{conf};
    my ($ver, $rest) =
        $req->{path} =~ m{^/admin/api/(\d{4}-\d\d|unstable)/(.+)$};
    return _json(404, { errors => 'Not Found' }) unless $ver;
    my @h = ('X-Shopify-API-Version' => $ver, 'X-Request-Id' => _uuid());
    my $tok = $req->{headers}{'x-shopify-access-token'};
    if (!defined $tok || $tok ne $c->{token}) {
        return _json(401, { errors => '[API] Invalid API key or access token '
            . '(unrecognized login or wrong password)' }, @h);
    }
    if ($rest eq 'graphql.json') {
        return _json(405, { errors => 'Method Not Allowed' }, @h)
            unless $req->{method} eq 'POST';
        return _gql($S, $req, @h);
    }
    if ($rest eq 'orders.json' && $req->{method} eq 'GET') {
        return _rest_orders($S, $req, $ver, @h);
    }
    return _json(404, { errors => 'Not Found' }, @h);
}

sub _bucket {
    my ($S) = @_;
    my $b = $S->{bucket};
    my $now = time;
    my $max = $S->{conf}{bucket_max};
    $b->{avail} += ($now - $b->{at}) * $S->{conf}{restore_rate};
    $b->{avail} = $max if $b->{avail} > $max;
    $b->{at} = $now;
    return $b;
}

sub _cost {
    my ($S, $req, $act) = @_;
    my $b = _bucket($S);
    return { requestedQueryCost => $req + 0,
             actualQueryCost => defined $act ? $act + 0 : undef,
             throttleStatus => {
                 maximumAvailable => $S->{conf}{bucket_max} + 0,
                 currentlyAvailable => floor($b->{avail}),
                 restoreRate => $S->{conf}{restore_rate} + 0 } };
}

sub _gerr {
    my ($msg, $code, %x) = @_;
    return { errors => [{ message => $msg,
                          extensions => { code => $code, %x } }] };
}

sub _gql {
    my ($S, $req, @h) = @_;
    my $c = $S->{conf};
    my $in = _decode($req->{body});
    if (ref $in ne 'HASH' || !defined $in->{query} || ref $in->{query}) {
        return _json(400, { errors => { query =>
                          'Required parameter missing or invalid' } }, @h);
    }
    my $q = $in->{query};
    my $v = ref $in->{variables} eq 'HASH' ? $in->{variables} : {};

    my ($op, $cost, $ids);
    if ($q =~ /\binventorySetQuantities\b/) {
        ($op, $cost) = ('set', $c->{set_cost});
    } elsif ($q =~ /\bfulfillmentCreate\b/) {
        ($op, $cost) = ('fcreate', 10);
    } elsif ($q =~ /\bfulfillmentOrderMove\b/) {
        ($op, $cost) = ('fmove', 10);
    } elsif ($q =~ /\brefundCreate\b/) {
        ($op, $cost) = ('rcreate', 10);
    } elsif ($q =~ /\bsuggestedRefund\b/) {
        ($op, $cost) = ('rlook', 20);
    } elsif ($q =~ /\breverseFulfillmentOrder\s*\(/) {
        # in Shopify/Returns.pm; requested: the connection's page of
        # first: lines, about 3 a line (node, fulfillmentLineItem, lineItem)
        my ($first) = $q =~ /lineItems\s*\(\s*first\s*:\s*(\d+)/;
        ($op, $cost) = ('rfo', 5 + 3 * ($first // 10));
    } elsif ($q =~ /\border\s*\(\s*id\s*:/) {
        ($op, $cost) = ('order', 12);
    } elsif ($q =~ /\bnodes\s*\(\s*ids\s*:\s*(?:\$(\w+)|\[([^\]]*)\])/) {
        $ids = defined $1 ? $v->{$1} : [$2 =~ /"([^"]*)"/g];
        $ids = [] unless ref $ids eq 'ARRAY';
        my ($first) = $q =~ /inventoryLevels\s*\(\s*first\s*:\s*(\d+)/;
        ($op, $cost) = ('nodes', 1 + @$ids * (2 + ($first // 10)));
    } elsif ($q =~ /\binventoryItem\s*\(/) {
        ($op, $cost) = ('item', 3);
    } else {
        my $out = _gerr('simulator: unsupported operation (supported: '
            . 'inventorySetQuantities, nodes(ids:), inventoryItem(id:), '
            . 'order(id:), fulfillmentCreate, fulfillmentOrderMove, '
            . 'refundCreate, order(id:) with suggestedRefund, '
            . 'reverseFulfillmentOrder(id:))',
            'SIMULATOR_UNSUPPORTED');
        $out->{extensions}{cost} = _cost($S, 1, 1);
        return _json(200, $out, @h);
    }

    if ($cost > $c->{bucket_max}) {
        my $out = _gerr("Query cost is $cost, which exceeds the single query "
            . "max cost limit ($c->{bucket_max}).", 'MAX_COST_EXCEEDED',
            cost => $cost + 0, maxCost => $c->{bucket_max} + 0);
        $out->{extensions}{cost} = _cost($S, $cost, undef);
        return _json(200, $out, @h);
    }
    my $b = _bucket($S);
    if ($cost > $b->{avail}) {
        $S->{note} = 'throttled';
        my $out = _gerr('Throttled', 'THROTTLED',
            documentation => 'https://shopify.dev/api/usage/limits#rate-limits');
        $out->{extensions}{cost} = _cost($S, $cost, undef);
        return _json(200, $out, @h);
    }
    $b->{avail} -= $cost;

    my ($out, $actual);
    if ($op eq 'set' || $op eq 'fcreate' || $op eq 'fmove'
        || $op eq 'rcreate') {
        $out = $op eq 'set' ? _gql_set($S, $q, $v)
             : $op eq 'fcreate' ? _gql_fcreate($S, $q, $v)
             : $op eq 'rcreate' ? _gql_refund_create($S, $q, $v)
             : _gql_fmove($S, $q, $v);
        $actual = $cost;
    } elsif ($op eq 'rlook') {
        ($out, $actual) = _gql_refund_look($S, $q, $v);
    } elsif ($op eq 'rfo') {
        ($out, $actual) = _gql_rfo($S, $q, $v);
    } elsif ($op eq 'order') {
        ($out, $actual) = _gql_order($S, $q, $v);
    } elsif ($op eq 'nodes') {
        ($out, $actual) = _gql_nodes($S, $q, $v, $ids);
    } else {
        ($out, $actual) = _gql_item($S, $q, $v);
    }
    $b->{avail} += $cost - $actual;
    $out->{extensions}{cost} = _cost($S, $cost, $actual);
    return _json(200, $out, @h);
}

sub _gid {
    my ($type, $s) = @_;
    return undef unless defined $s && !ref $s;
    return $s =~ m{^gid://shopify/\Q$type\E/(\d+)$} ? $1 : undef;
}

sub _quantities {
    my ($l, $names) = @_;
    my %q = (available => $l->{available}, on_hand => $l->{on_hand},
             committed => $l->{on_hand} - $l->{available}, incoming => 0,
             reserved => 0, damaged => 0, safety_stock => 0,
             quality_control => 0);
    return [map { +{ name => $_, quantity => ($q{$_} // 0) + 0 } } @$names];
}

sub _names {
    my ($q, $v) = @_;
    if ($q =~ /quantities\s*\(\s*names\s*:\s*\[([^\]]*)\]/) {
        my @n = $1 =~ /"([^"]*)"/g;
        return \@n if @n;
    }
    if ($q =~ /quantities\s*\(\s*names\s*:\s*\$(\w+)/
        && ref $v->{$1} eq 'ARRAY') {
        return $v->{$1};
    }
    return ['available'];
}

sub _level_gid {
    my ($l) = @_;
    return "gid://shopify/InventoryLevel/$l->{location_id}"
         . "?inventory_item_id=$l->{inventory_item_id}";
}

sub _level_node {
    my ($l, $names) = @_;
    return { id => _level_gid($l),
             location => { id => "gid://shopify/Location/$l->{location_id}" },
             quantities => _quantities($l, $names),
             updatedAt => $l->{updated_at} };
}

# nodes(ids: [...]) { ... on InventoryItem { id inventoryLevels(first: N)
# { edges { node { location { id } quantities(names: [...]) { ... } } } } } }
sub _gql_nodes {
    my ($S, $q, $v, $ids) = @_;
    my $names = _names($q, $v);
    my ($first) = $q =~ /inventoryLevels\s*\(\s*first\s*:\s*(\d+)/;
    $first //= 10;
    my ($actual, @nodes) = (1);
    for my $gid (@$ids) {
        my $item = _gid('InventoryItem', $gid);
        my @l = defined $item
            ? sort { $a->{location_id} <=> $b->{location_id} }
              values %{$S->{by_item}{$item} // {}}
            : ();
        if (!@l) {
            push @nodes, undef;
            next;
        }
        my @page = @l > $first ? @l[0 .. $first - 1] : @l;
        $actual += 2 + @page;
        push @nodes, { id => $gid, sku => $l[0]{sku}, tracked => $TRUE,
            inventoryLevels => {
                edges => [map { +{ node => _level_node($_, $names) } } @page],
                pageInfo => { hasNextPage => @l > $first ? $TRUE : $FALSE } } };
    }
    return ({ data => { nodes => \@nodes } }, $actual);
}

# inventoryItem(id: ...) { id inventoryLevel(locationId: ...) { quantities } }
sub _gql_item {
    my ($S, $q, $v) = @_;
    my $arg = sub {
        my ($re) = @_;
        return undef unless $q =~ /$re\s*:\s*(?:\$(\w+)|"([^"]*)")/;
        return defined $1 ? $v->{$1} : $2;
    };
    my $item = _gid('InventoryItem', $arg->(qr/inventoryItem\s*\(\s*id/));
    my $loc = _gid('Location', $arg->(qr/inventoryLevel\s*\(\s*locationId/));
    my @l = defined $item
        ? values %{$S->{by_item}{$item} // {}} : ();
    return ({ data => { inventoryItem => undef } }, 1) unless @l;
    my $level;
    if (defined $loc) {
        my $l = $S->{levels}{"$item/$loc"};
        $level = $l ? _level_node($l, _names($q, $v)) : undef;
    }
    return ({ data => { inventoryItem => {
        id => "gid://shopify/InventoryItem/$item", sku => $l[0]{sku},
        tracked => $TRUE, inventoryLevel => $level } } }, 3);
}

# inventory_levels/update, the payload of the Addendum
sub _shopify_level_hook {
    my ($S, $l, $now) = @_;
    _shopify_hook($S, 'inventory_levels/update', {
        inventory_item_id => $l->{inventory_item_id} + 0,
        location_id => $l->{location_id} + 0,
        available => $l->{available} + 0,
        updated_at => $l->{updated_at},
        admin_graphql_api_id => _level_gid($l),
    }, $now);
}

sub _shopify_hook {
    my ($S, $topic, $payload, $now) = @_;
    my $c = $S->{conf};
    return unless $c->{webhook_url};
    return unless grep { $_ eq $topic } @{$c->{webhook_topics}};
    my $body = $JSON->encode($payload);
    my $sig = encode_base64(hmac_sha256($body, $c->{webhook_secret} // ''), '');
    _wh_enqueue($S, { topic => $topic, body => $body, http => '1.1',
        headers => [
            'Content-Type' => 'application/json',
            'User-Agent' => 'Shopify-Captain-Hook',
            'X-Shopify-Topic' => $topic,
            'X-Shopify-Hmac-Sha256' => $sig,
            'X-Shopify-Shop-Domain' => $c->{shop},
            'X-Shopify-API-Version' => $c->{api_version},
            'X-Shopify-Webhook-Id' => _uuid(),
            'X-Shopify-Event-Id' => _uuid(),
            'X-Shopify-Triggered-At' => _utc_micro($now),
        ] }, $now);
}

sub _find_level {
    my ($S, $in) = @_;
    my @l = values %{$S->{levels}};
    @l = grep { $_->{inventory_item_id} == $in->{inventory_item_id} } @l
        if defined $in->{inventory_item_id};
    @l = grep { $_->{variant_id} == $in->{variant_id} } @l
        if defined $in->{variant_id};
    @l = grep { $_->{sku} eq $in->{sku} } @l if defined $in->{sku};
    @l = grep { $_->{location_id} == $in->{location_id} } @l
        if defined $in->{location_id};
    return (sort { $a->{location_id} <=> $b->{location_id} } @l)[0];
}

# An operator changes "available" in Shopify's admin.
sub admin_set {
    my ($class, $S, $in) = @_;
    my $l = _find_level($S, $in) or return (404, { error => 'no such level' });
    return (400, { error => 'available required' })
        unless defined $in->{available};
    my $now = time;
    my $delta = $in->{available} - $l->{available};
    $l->{available} = $in->{available} + 0;
    $l->{on_hand} += $delta;
    if ($delta) {
        $l->{updated_at} = _local_time($S, $now);
        _shopify_level_hook($S, $l, $now);
    }
    return (200, _level_state($l));
}

sub order {
    my ($class, $S, $in) = @_;
    my $now = time;
    my $n = @{$S->{orders}} + 1;
    my $id = $in->{id} // 5_000_000_000 + $n;
    my $ts = defined $in->{created_at} ? $in->{created_at}
                                       : _local_time($S, $now);
    my (@li, @touched, $total);
    for my $x (@{$in->{line_items} || []}) {
        my $l = _find_level($S, { %$x, location_id => $x->{location_id}
                                       // $in->{location_id} })
            or return (400, { error => 'line item matches no item' });
        my $qty = $x->{quantity} // 1;
        my $price = $x->{price} // $l->{price};
        $total += $price * $qty;
        my $lid = 13_000_000_000 + ++$S->{seq};
        push @li, {
            id => $lid, admin_graphql_api_id => "gid://shopify/LineItem/$lid",
            variant_id => $l->{variant_id}, product_id => $l->{product_id},
            sku => $l->{sku}, title => $l->{title}, name => $l->{title},
            variant_title => undef, vendor => 'invsync',
            quantity => $qty + 0, current_quantity => $qty + 0,
            fulfillable_quantity => $qty + 0, price => sprintf('%.2f', $price),
            requires_shipping => ($x->{requires_shipping} // 1) ? $TRUE
                                                                : $FALSE,
            taxable => $TRUE, grams => 0,
            fulfillment_status => undef, fulfillment_service => 'manual',
        };
        push @touched, [$l, $qty];
    }
    my $order = {
        id => $id + 0, admin_graphql_api_id => "gid://shopify/Order/$id",
        name => '#' . (1000 + $n), order_number => 1000 + $n, number => $n,
        email => $in->{email} // 'jon@example.com', contact_email => undef,
        created_at => $ts, updated_at => $in->{updated_at} // $ts,
        processed_at => $ts, closed_at => undef, cancelled_at => undef,
        cancel_reason => undef, confirmed => $TRUE, test => $FALSE,
        currency => $in->{currency} // 'EUR',
        presentment_currency => $in->{currency} // 'EUR',
        financial_status => $in->{financial_status} // 'paid',
        fulfillment_status => $in->{fulfillment_status}, tags => '',
        subtotal_price => sprintf('%.2f', $total // 0),
        total_price => sprintf('%.2f', $total // 0), total_tax => '0.00',
        line_items => \@li, location_id => $in->{order_location_id},
        source_name => $in->{source_name} // 'web',
        shipping_lines => $in->{shipping_lines} // [],
        customer => { id => 7000000001, email => $in->{email}
                      // 'jon@example.com', first_name => 'Jon',
                      last_name => 'Doe' },
    };
    $order->{contact_email} = $order->{email};
    _order_tax($order, $in->{tax_rate});        # Shopify/Refunds.pm
    # an address to ship to, when the test gives one (labels need it)
    $order->{shipping_address} = $in->{shipping_address}
        if $in->{shipping_address};
    push @{$S->{orders}}, $order;
    _fo_create($S, $order, \@touched, $in, $now);
    _shopify_hook($S, 'orders/create', $order, $now);
    if ($in->{adjust_inventory} // 1) {
        for (@touched) {
            my ($l, $qty) = @$_;
            next unless $qty;
            $l->{available} -= $qty;       # committed: on_hand stays
            $l->{updated_at} = _local_time($S, $now);
            _shopify_level_hook($S, $l, $now);
        }
    }
    return (200, $order);
}

# GET /admin/api/{v}/orders.json (legacy REST, for the backfill poller)
sub _rest_orders {
    my ($S, $req, $ver, @h) = @_;
    my $c = $S->{conf};
    my $r = $S->{rest};
    my $now = time;
    $r->{used} -= ($now - $r->{at}) * $c->{rest_leak};
    $r->{used} = 0 if $r->{used} < 0;
    $r->{at} = $now;
    if ($r->{used} + 1 > $c->{rest_bucket}) {
        $S->{note} = 'rest throttled';
        return _json(429, { errors => 'Exceeded 2 calls per second for api '
            . 'client. Reduce request rates to resume uninterrupted service.' },
            @h, 'Retry-After' => '2.0',
            'X-Shopify-Shop-Api-Call-Limit' => "$c->{rest_bucket}/$c->{rest_bucket}");
    }
    $r->{used}++;
    push @h, 'X-Shopify-Shop-Api-Call-Limit' => ceil($r->{used})
                                                . "/$c->{rest_bucket}";

    my %p = %{$req->{query}};
    my $off = 0;
    if (defined $p{page_info}) {
        my $pi = _decode(decode_base64($p{page_info} =~ tr/-_/+\//r));
        return _json(400, { errors => { page_info => 'Invalid value.' } }, @h)
            unless ref $pi eq 'HASH';
        $off = $pi->{o};
        %p = (%{$pi->{q}}, limit => $p{limit} // $pi->{q}{limit});
    }
    my $limit = $p{limit} // 50;
    $limit = 250 if $limit > 250;
    $limit = 1 if $limit < 1;
    my $loff = $c->{utc_offset};
    my @o = @{$S->{orders}};
    for (['updated_at_min', 'updated_at', 1], ['updated_at_max', 'updated_at', -1],
         ['created_at_min', 'created_at', 1], ['created_at_max', 'created_at', -1]) {
        my ($param, $field, $dir) = @$_;
        next unless defined $p{$param};
        my $t = _iso($p{$param}, $loff);
        return _json(400, { errors => { $param => 'Invalid date.' } }, @h)
            unless defined $t;
        @o = grep { my $x = _iso($_->{$field}, $loff);
                    $dir > 0 ? $x >= $t : $x <= $t } @o;
    }
    my $status = $p{status} // 'open';
    @o = grep { !defined $_->{cancelled_at} && !defined $_->{closed_at} } @o
        if $status eq 'open';
    @o = grep { defined $_->{closed_at} } @o if $status eq 'closed';
    @o = grep { defined $_->{cancelled_at} } @o if $status eq 'cancelled';
    @o = grep { $_->{id} > $p{since_id} } @o if defined $p{since_id};
    @o = sort { $a->{id} <=> $b->{id} } @o;

    my @page = grep { defined } @o[$off .. $off + $limit - 1];
    my @links;
    my $mk = sub {
        my ($o2, $rel) = @_;
        my %q = %p;
        delete @q{qw(page_info limit)};
        my $pi = encode_base64($JSON->encode({ o => $o2, q => \%q }), '')
                 =~ tr/+\//-_/r;
        $pi =~ s/=+$//;
        return '<http://127.0.0.1:' . $S->{port}
             . "/admin/api/$ver/orders.json?limit=$limit&page_info=$pi>; "
             . "rel=\"$rel\"";
    };
    push @links, $mk->($off - $limit < 0 ? 0 : $off - $limit, 'previous')
        if $off > 0;
    push @links, $mk->($off + $limit, 'next') if $off + $limit < @o;
    push @h, Link => join ', ', @links if @links;
    return _json(200, { orders => \@page }, @h);
}

1;
