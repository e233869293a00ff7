package InvsyncSim::Shopify;

# The Shopify simulator's fulfillment orders (§2.6): one per assigned
# location when an order is placed, read through order(id:) with the
# order's fulfillments (what a client looks at before creating one),
# fulfillmentOrderMove to another location, and fulfillmentCreate with
# trackingInfo and its user errors.  Part of InvsyncSim::Shopify (loaded by
# InvsyncSim/Shopify.pm, whose helpers it uses), in a file of its own for
# its size.

use strict;
use warnings;

use InvsyncSim::Channel qw(:all);
use Time::HiRes qw(time);

# the carriers Shopify links tracking numbers for, spelled as it wants
# them (§2.6: exactly, capitals included); others need "url"
my %TRACK_URL = (
    'UPS'         => 'https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=%s',
    'USPS'        => 'https://tools.usps.com/go/TrackConfirmAction?tLabels=%s',
    'FedEx'       => 'https://www.fedex.com/fedextrack/?trknbr=%s',
    'DHL Express' => 'https://www.dhl.com/en/express/tracking.html?AWB=%s',
    'Canada Post' => 'https://www.canadapost-postescanada.ca/track-reperage/en#/details/%s',
    'Royal Mail'  => 'https://www.royalmail.com/track-your-item#/tracking-results/%s',
    'DPD'         => 'https://tracking.dpd.de/parcelstatus?query=%s',
);

# Called by order(): one fulfillment order per location the lines were
# assigned to ($in->{assigned_location_id}, else each line's level).
sub _fo_create {
    my ($S, $order, $touched, $in, $now) = @_;
    my (%by_loc, @locs);
    for my $i (0 .. $#{$order->{line_items}}) {
        my $li = $order->{line_items}[$i];
        my $l = $touched->[$i][0];
        my $loc = ($in->{assigned_location_id} // $l->{location_id}) + 0;
        push @locs, $loc unless $by_loc{$loc};
        push @{$by_loc{$loc}}, {
            id => 15_000_000_000 + ++$S->{seq}, line_item_id => $li->{id},
            sku => $li->{sku}, inventory_item_id => $l->{inventory_item_id},
            total => $li->{quantity}, remaining => $li->{quantity} };
    }
    for my $loc (@locs) {
        my $id = 6_000_000_000 + ++$S->{seq};
        $S->{fos}{$id} = { id => $id, order_id => $order->{id},
            status => 'OPEN', location_id => $loc, lines => $by_loc{$loc},
            created => $now };
        push @{$S->{order_fo}{$order->{id}}}, $id;
    }
    $S->{order_ful}{$order->{id}} = [];
}

# GET /_sim/state "fulfillments": what the tests assert
sub _ful_state {
    my ($S) = @_;
    return [map { my $f = $_; +{ id => $f->{id} + 0,
        order_id => $f->{order_id} + 0, location_id => $f->{location_id} + 0,
        tracking => $f->{tracking},
        lines => [map { +{ sku => $_->{sku}, quantity => $_->{quantity} + 0 } }
                  @{$f->{lines}}] } }
            sort { $a->{id} <=> $b->{id} }
            map { @$_ } values %{$S->{order_ful}}];
}

# GET /_sim/state "fulfillment_orders"
sub _fo_state {
    my ($S) = @_;
    return [map { my $fo = $_; +{ id => $fo->{id} + 0,
        order_id => $fo->{order_id} + 0, location_id => $fo->{location_id} + 0,
        status => $fo->{status},
        lines => [map { +{ id => $_->{id} + 0, sku => $_->{sku},
                           total => $_->{total} + 0,
                           remaining => $_->{remaining} + 0 } }
                  @{$fo->{lines}}] } }
            sort { $a->{id} <=> $b->{id} } values %{$S->{fos}}];
}

# POST /_sim/tracked: each fulfillment's order and the time it was stored
# (epoch seconds, sub-second), for t/bench/order_tracking: smaller than
# the state and exact where created_at has whole seconds
sub _control_tracked {
    my ($S) = @_;
    return (200, { tracked => [map { [$_->{order_id} + 0, $_->{at}] }
                               map { @$_ } values %{$S->{order_ful}}] });
}

sub _fo_node {
    my ($fo) = @_;
    my $open = $fo->{status} eq 'OPEN' || $fo->{status} eq 'IN_PROGRESS';
    my @lines = map { +{
        id => "gid://shopify/FulfillmentOrderLineItem/$_->{id}",
        totalQuantity => $_->{total} + 0,
        remainingQuantity => $_->{remaining} + 0, sku => $_->{sku},
        inventoryItemId => "gid://shopify/InventoryItem/$_->{inventory_item_id}",
        lineItem => { id => "gid://shopify/LineItem/$_->{line_item_id}",
                      sku => $_->{sku} } } } @{$fo->{lines}};
    my $loc = "gid://shopify/Location/$fo->{location_id}";
    return { id => "gid://shopify/FulfillmentOrder/$fo->{id}",
        status => $fo->{status}, requestStatus => 'UNSUBMITTED',
        orderId => "gid://shopify/Order/$fo->{order_id}",
        assignedLocation => { name => "Location $fo->{location_id}",
            location => { id => $loc, name => "Location $fo->{location_id}" } },
        supportedActions => $open
            ? [{ action => 'CREATE_FULFILLMENT' }, { action => 'MOVE' }] : [],
        lineItems => _conn(\@lines) };
}

sub _conn {
    my ($nodes) = @_;
    return { nodes => $nodes, edges => [map { +{ node => $_ } } @$nodes],
             pageInfo => { hasNextPage => $FALSE, hasPreviousPage => $FALSE } };
}

sub _ful_node {
    my ($f) = @_;
    return { id => "gid://shopify/Fulfillment/$f->{id}", status => 'SUCCESS',
        createdAt => $f->{created_at}, name => $f->{name},
        location => { id => "gid://shopify/Location/$f->{location_id}" },
        trackingInfo => $f->{tracking},
        fulfillmentOrders => _conn([map { +{ id =>
            "gid://shopify/FulfillmentOrder/$_" } } @{$f->{fo_ids}}]),
        fulfillmentLineItems => _conn([map { +{
            id => "gid://shopify/FulfillmentLineItem/$_->{id}",
            quantity => $_->{quantity} + 0,
            lineItem => { id => "gid://shopify/LineItem/$_->{line_item_id}",
                          sku => $_->{sku} } } } @{$f->{lines}}]) };
}

sub _q_arg {
    my ($q, $v, $re) = @_;
    return undef unless $q =~ /$re\s*:\s*(?:\$(\w+)|"([^"]*)")/;
    return defined $1 ? $v->{$1} : $2;
}

# the order of that id; its position remembered (orders are only ever
# appended; checked by id, so a reset cannot mislead it): a scan of every
# order per call would make the tracking calls grow with the run
sub _rest_order {
    my ($S, $oid) = @_;
    my $o = $S->{orders}[$S->{order_at}{$oid} // scalar @{$S->{orders}}];
    return $o if $o && $o->{id} == $oid;
    for my $i (0 .. $#{$S->{orders}}) {
        next unless $S->{orders}[$i]{id} == $oid;
        $S->{order_at}{$oid} = $i;
        return $S->{orders}[$i];
    }
    return undef;
}

# order(id: ...) { fulfillmentOrders(first: N) { nodes { ... } }
# fulfillments { id trackingInfo { company number url } } }
sub _gql_order {
    my ($S, $q, $v) = @_;
    my $oid = _gid('Order', _q_arg($q, $v, qr/\border\s*\(\s*id/));
    my $o = defined $oid ? _rest_order($S, $oid) : undef;
    return ({ data => { order => undef } }, 1) unless $o;
    my @fo = map { $S->{fos}{$_} } @{$S->{order_fo}{$oid} || []};
    my @ful = @{$S->{order_ful}{$oid} || []};
    my $left = grep { $_->{remaining} } map { @{$_->{lines}} }
               grep { $_->{status} ne 'CANCELLED' } @fo;
    return ({ data => { order => {
        id => "gid://shopify/Order/$oid", name => $o->{name},
        legacyResourceId => "$oid",
        displayFulfillmentStatus => !@ful ? 'UNFULFILLED'
            : $left ? 'PARTIALLY_FULFILLED' : 'FULFILLED',
        fulfillmentOrders => _conn([map { _fo_node($_) } @fo]),
        fulfillments => [map { _ful_node($_) } @ful] } } }, 2 + @fo + @ful);
}

sub _move_result {
    my ($moved, $orig, $rem, @errors) = @_;
    return { data => { fulfillmentOrderMove => {
        movedFulfillmentOrder => $moved ? _fo_node($moved) : undef,
        originalFulfillmentOrder => $orig ? _fo_node($orig) : undef,
        remainingFulfillmentOrder => $rem ? _fo_node($rem) : undef,
        userErrors => \@errors } } };
}

# the commitment follows the lines: available back at the old location,
# taken at the new one (each change an inventory_levels/update)
sub _fo_commit {
    my ($S, $lines, $from, $to, $now) = @_;
    for my $ln (@$lines) {
        next unless $ln->{remaining};
        my $a = $S->{levels}{"$ln->{inventory_item_id}/$from"};
        my $b = $S->{levels}{"$ln->{inventory_item_id}/$to"};
        for ([$a, $ln->{remaining}], [$b, -$ln->{remaining}]) {
            my ($l, $d) = @$_;
            next unless $l;
            $l->{available} += $d;
            $l->{updated_at} = _local_time($S, $now);
            _shopify_level_hook($S, $l, $now);
        }
    }
}

# fulfillmentOrderMove(id: ..., newLocationId: ...)
sub _gql_fmove {
    my ($S, $q, $v) = @_;
    my ($args) = $q =~ /\bfulfillmentOrderMove\s*\(([^()]*)\)/s;
    $args //= '';
    my $id = _gid('FulfillmentOrder', _q_arg($args, $v, qr/\bid/));
    my $loc = _gid('Location', _q_arg($args, $v, qr/\bnewLocationId/));
    my $fo = defined $id ? $S->{fos}{$id} : undef;
    return _move_result(undef, undef, undef, { field => ['id'],
        message => 'Fulfillment order does not exist.' }) unless $fo;
    return _move_result(undef, undef, undef, { field => ['newLocationId'],
        message => 'Location does not exist.' })
        unless defined $loc && $S->{locations}{$loc};
    return _move_result(undef, undef, undef, { field => ['id'],
        message => 'Cannot move a fulfillment order with status '
                   . lc($fo->{status}) . '.' })
        unless $fo->{status} eq 'OPEN' || $fo->{status} eq 'IN_PROGRESS';
    return _move_result($fo, $fo, undef) if $fo->{location_id} == $loc;
    my @miss = grep { $_->{remaining}
                      && !$S->{levels}{"$_->{inventory_item_id}/$loc"} }
               @{$fo->{lines}};
    return _move_result(undef, undef, undef, { field => ['newLocationId'],
        message => 'The location does not stock every item of the '
                   . 'fulfillment order.' }) if @miss;
    my $now = time;
    _fo_commit($S, $fo->{lines}, $fo->{location_id}, $loc, $now);
    if (!grep { $_->{remaining} != $_->{total} } @{$fo->{lines}}) {
        $fo->{location_id} = $loc;       # nothing fulfilled: moved as is
        return _move_result($fo, $fo, undef);
    }
    my $nid = 6_000_000_000 + ++$S->{seq};
    my $new = { id => $nid, order_id => $fo->{order_id}, status => 'OPEN',
        location_id => $loc, created => $now,
        lines => [map { +{ %$_, id => 15_000_000_000 + ++$S->{seq},
                           total => $_->{remaining} } }
                  grep { $_->{remaining} } @{$fo->{lines}}] };
    for my $ln (@{$fo->{lines}}) {
        $ln->{total} -= $ln->{remaining};
        $ln->{remaining} = 0;
    }
    $fo->{status} = 'CLOSED';
    $S->{fos}{$nid} = $new;
    push @{$S->{order_fo}{$fo->{order_id}}}, $nid;
    return _move_result($new, $fo, undef);
}

sub _fcreate_result {
    my ($f, @errors) = @_;
    return { data => { fulfillmentCreate => {
        fulfillment => $f ? _ful_node($f) : undef, userErrors => \@errors } } };
}

sub _ferr { return _fcreate_result(undef, { field => $_[0], message => $_[1] }) }

# trackingInfo {company, number, url, numbers, urls} as Shopify answers it
sub _tracking {
    my ($ti) = @_;
    return [] unless ref $ti eq 'HASH';
    my @n = ref $ti->{numbers} eq 'ARRAY' ? @{$ti->{numbers}} : ();
    unshift @n, $ti->{number} if defined $ti->{number};
    my @u = ref $ti->{urls} eq 'ARRAY' ? @{$ti->{urls}} : ();
    unshift @u, $ti->{url} if defined $ti->{url};
    my $co = $ti->{company};
    return [map {
        my $url = $u[$_] // (defined $co && $TRACK_URL{$co}
                             ? sprintf($TRACK_URL{$co}, $n[$_]) : undef);
        +{ company => $co, number => $n[$_], url => $url }
    } 0 .. $#n] if @n;
    return [{ company => $co, number => undef, url => $u[0] }];
}

# fulfillmentCreate(fulfillment: $fulfillment, message: ...)
sub _gql_fcreate {
    my ($S, $q, $v) = @_;
    my ($var) = $q =~ /\bfulfillmentCreate\s*\([^()]*\bfulfillment\s*:\s*\$(\w+)/s;
    return _gerr('simulator: pass the fulfillment as a variable '
                 . '($fulfillment)', 'SIMULATOR_UNSUPPORTED') unless $var;
    my $in = $v->{$var};
    my $T = 'FulfillmentInput!';
    return _varerr($var, $T, [], 'Expected value to not be null', $in)
        unless ref $in eq 'HASH';
    my $groups = $in->{lineItemsByFulfillmentOrder};
    return _varerr($var, $T, ['lineItemsByFulfillmentOrder'],
                   'Expected value to not be null', $in)
        unless ref $groups eq 'ARRAY' && @$groups;
    my (@plan, %locs, %taken);
    for my $i (0 .. $#$groups) {
        my $g = $groups->[$i];
        my $field = ['fulfillment', 'lineItemsByFulfillmentOrder', "$i",
                     'fulfillmentOrderId'];
        my $id = ref $g eq 'HASH' ? _gid('FulfillmentOrder',
                                         $g->{fulfillmentOrderId}) : undef;
        my $fo = defined $id ? $S->{fos}{$id} : undef;
        return _ferr($field, 'Fulfillment order does not exist.') unless $fo;
        return _ferr($field, "Fulfillment order $id has an unfulfillable "
                     . 'status= ' . lc($fo->{status}) . '.')
            unless $fo->{status} eq 'OPEN' || $fo->{status} eq 'IN_PROGRESS';
        $locs{$fo->{location_id}} = 1;
        my %by = map { $_->{id} => $_ } @{$fo->{lines}};
        my $want = $g->{fulfillmentOrderLineItems};
        my @take = ref $want eq 'ARRAY'
            ? map { [_gid('FulfillmentOrderLineItem', $_->{id}),
                     $_->{quantity}] } @$want
            : map { [$_->{id}, $_->{remaining}] }
              grep { $_->{remaining} } @{$fo->{lines}};
        for my $tk (@take) {
            my ($lid, $n) = @$tk;
            my $ln = defined $lid ? $by{$lid} : undef;
            return _ferr(['fulfillment', 'lineItemsByFulfillmentOrder', "$i",
                          'fulfillmentOrderLineItems'],
                         'Fulfillment order line item does not exist.')
                unless $ln;
            return _ferr(['fulfillment', 'lineItemsByFulfillmentOrder', "$i",
                          'fulfillmentOrderLineItems'],
                         'Invalid fulfillment order line item quantity '
                         . 'requested.')
                unless defined $n && $n =~ /^\d+$/ && $n > 0
                       && $n + ($taken{$lid} // 0) <= $ln->{remaining};
            $taken{$lid} += $n;
            push @plan, [$fo, $ln, $n];
        }
    }
    return _ferr(['fulfillment'], 'All fulfillment orders in a fulfillment '
                 . 'must be assigned to the same location.') if keys %locs > 1;
    return _ferr(['fulfillment'], 'Nothing left to fulfill.') unless @plan;
    return (_fcreate_result(_fapply($S, $in, \@plan)));
}

sub _fapply {
    my ($S, $in, $plan) = @_;
    my $now = time;
    my %fos;
    my $oid = $plan->[0][0]{order_id};
    my $f = { id => 4_000_000_000 + ++$S->{seq}, order_id => $oid,
        location_id => $plan->[0][0]{location_id},
        created_at => _local_time($S, $now), at => $now,
        tracking => _tracking($in->{trackingInfo}),
        notify => _bool($in->{notifyCustomer}) ? $TRUE : $FALSE, lines => [] };
    for my $p (@$plan) {
        my ($fo, $ln, $n) = @$p;
        $ln->{remaining} -= $n;
        $fos{$fo->{id}} = $fo;
        push @{$f->{lines}}, { id => 16_000_000_000 + ++$S->{seq},
            line_item_id => $ln->{line_item_id}, sku => $ln->{sku},
            quantity => $n };
        my $l = $S->{levels}{"$ln->{inventory_item_id}/$fo->{location_id}"};
        $l->{on_hand} -= $n if $l;      # shipped: committed stock leaves
    }
    for my $fo (values %fos) {
        $fo->{status} = (grep { $_->{remaining} } @{$fo->{lines}})
                        ? 'IN_PROGRESS' : 'CLOSED';
    }
    $f->{fo_ids} = [sort keys %fos];
    my $list = $S->{order_ful}{$oid};
    push @$list, $f;
    my $o = _rest_order($S, $oid);
    $f->{name} = "$o->{name}." . @$list;
    my $left = grep { $_->{remaining} } map { @{$S->{fos}{$_}{lines}} }
               @{$S->{order_fo}{$oid}};
    $o->{fulfillment_status} = $left ? 'partial' : 'fulfilled';
    _shopify_hook($S, 'fulfillments/create', { id => $f->{id},
        order_id => $oid, status => 'success', name => $f->{name},
        location_id => $f->{location_id},
        tracking_company => $f->{tracking}[0]{company},
        tracking_number => $f->{tracking}[0]{number},
        tracking_numbers => [map { $_->{number} } @{$f->{tracking}}],
        tracking_url => $f->{tracking}[0]{url},
        tracking_urls => [map { $_->{url} } @{$f->{tracking}}],
        line_items => [map { +{ id => $_->{line_item_id}, sku => $_->{sku},
                                quantity => $_->{quantity} } } @{$f->{lines}}],
        admin_graphql_api_id => "gid://shopify/Fulfillment/$f->{id}" }, $now);
    return $f;
}

1;
