package InvsyncSim::Square::Orders;

# The Square simulator's orders: orders placed (and updated) through the
# control API, with their order.created / order.updated webhooks and the
# inventory they take, and SearchOrders (POST /v2/orders/search, section
# 5.6) with its filters, sort and cursor.  Part of InvsyncSim::Square
# (t/lib/InvsyncSim/Square.pm), whose helpers it uses.

use strict;
use warnings;

use InvsyncSim::Channel qw(:all);
use Time::HiRes qw(time);

*_err = \&InvsyncSim::Square::_err;
*_rfc3339 = \&InvsyncSim::Square::_rfc3339;
*_sq_id = \&InvsyncSim::Square::_sq_id;

my %STATES = map { $_ => 1 } qw(OPEN COMPLETED CANCELED DRAFT);
my %SORT = (CREATED_AT => 'created_at', UPDATED_AT => 'updated_at',
            CLOSED_AT => 'closed_at');

# POST /_sim/orders: {line_items: [{catalog_object_id or sku, quantity,
# item_type}], location_id, state, reference_id, fulfillment (SHIPMENT, the
# default; PICKUP; DELIVERY; or "none": a counter sale at the point of
# sale, no fulfillments), recipient (a FulfillmentRecipient: display_name,
# email_address, phone_number, address {address_line_1, address_line_2,
# locality, administrative_district_level_1, postal_code, country}; put in
# the fulfilment's shipment_details, pickup_details or delivery_details;
# none when not given), shipping_type (a shipment's), webhook (default
# 1), adjust_inventory (default 1)}; or
# {id, state} to update an order (version + 1, order.updated).  Answers
# the Order.
sub order {
    my ($class, $S, $in) = @_;
    return _update($S, $in) if defined $in->{id};
    my $now = time;
    my $loc = $in->{location_id} // (sort keys %{$S->{locations}})[0];
    my $cur = $S->{conf}{currency};
    my $state = $in->{state} // 'OPEN';
    return (400, { error => "unknown state $state" }) unless $STATES{$state};
    my (@li, @take, $total);
    for my $x (@{$in->{line_items} || []}) {
        my $id = InvsyncSim::Square::_find_variation($S, $x);
        my $v = defined $id ? $S->{variations}{$id} : undef
            or return (400, { error => 'line item matches no variation' });
        my $qty = $x->{quantity} // 1;
        $total += $v->{price} * $qty;
        push @li, { uid => _sq_id(22), catalog_object_id => $id,
            catalog_version => 1643151296405, quantity => "$qty",
            name => $v->{name}, variation_name => 'Regular',
            base_price_money => { amount => $v->{price}, currency => $cur },
            total_money => { amount => $v->{price} * $qty,
                             currency => $cur },
            $x->{item_type} ? (item_type => $x->{item_type}) : () };
        push @take, [$id, $qty];
    }
    my $ts = _rfc3339($now);
    my $type = $in->{fulfillment} // 'SHIPMENT';
    my $o = { id => _sq_id(27), location_id => $loc,
        reference_id => $in->{reference_id} // 1000 + @{$S->{orders}} + 1 . '',
        source => { name => $type eq 'none' ? 'Point of Sale'
                                             : 'Online store' },
        line_items => \@li,
        fulfillments => $type eq 'none' ? [] :
            [{ uid => _sq_id(22), type => $type,
               state => $state eq 'COMPLETED' ? 'COMPLETED' : 'PROPOSED',
               _details($type, $in) }],
        state => $state, version => 1, created_at => $ts, updated_at => $ts,
        total_money => { amount => $total // 0, currency => $cur } };
    $o->{closed_at} = $ts if $state ne 'OPEN';
    push @{$S->{orders}}, $o;
    _order_hook($S, $o, 'order.created', $now) if $in->{webhook} // 1;
    _take($S, $loc, \@take, $now) if $in->{adjust_inventory} // 1;
    return (200, $o);
}

# the fulfilment's details member by its type, with the recipient and
# (a shipment's) shipping_type given; nothing when neither is
sub _details {
    my ($type, $in) = @_;
    my %d = ((ref $in->{recipient} eq 'HASH'
              ? (recipient => $in->{recipient}) : ()),
             ($type eq 'SHIPMENT' && defined $in->{shipping_type}
              ? (shipping_type => $in->{shipping_type}) : ()));
    return () unless %d;
    my $key = $type eq 'PICKUP' ? 'pickup_details'
              : $type eq 'DELIVERY' ? 'delivery_details' : 'shipment_details';
    return ($key => \%d);
}

# an itemized sale: Square moves the units out of IN_STOCK into SOLD, one
# count webhook for the order, each variation's IN_STOCK count then its
# SOLD count (sale_counts)
sub _take {
    my ($S, $loc, $take, $now) = @_;
    my @moved;
    for (@$take) {
        my ($id, $qty) = @$_;
        my $c = $S->{counts}{"$id/$loc"} or next;
        InvsyncSim::Square::_set_count($S, $id, $loc, $c->{quantity} - $qty,
                                       _rfc3339($now), $now);
        push @moved, $S->{counts}{"$id/$loc"};
        push @moved, InvsyncSim::Square::sold_count($S, $id, $loc, $qty,
                                                    $now)
            if $InvsyncSim::Square::CHOICE{sale_counts} eq 'both';
    }
    InvsyncSim::Square::_count_hooks($S, \@moved, $now);
}

sub _update {
    my ($S, $in) = @_;
    my ($o) = grep { $_->{id} eq $in->{id} } @{$S->{orders}};
    return (404, { error => 'no such order' }) unless $o;
    my $state = $in->{state} // $o->{state};
    return (400, { error => "unknown state $state" }) unless $STATES{$state};
    my $now = time;
    $o->{state} = $state;
    $o->{version}++;
    $o->{updated_at} = _rfc3339($now);
    $o->{closed_at} //= $o->{updated_at} if $state ne 'OPEN';
    $_->{state} = $state eq 'COMPLETED' ? 'COMPLETED'
                  : $state eq 'CANCELED' ? 'CANCELED' : $_->{state}
        for @{$o->{fulfillments}};
    _order_hook($S, $o, 'order.updated', $now) if $in->{webhook} // 1;
    return (200, $o);
}

# order.created / order.updated: the order's id, state and version, no
# lines (section 5.2; docs/channels/square.md)
sub _order_hook {
    my ($S, $o, $type, $now) = @_;
    my $what = $type eq 'order.created' ? 'order_created' : 'order_updated';
    InvsyncSim::Square::_hook($S, $type, 'order', $o->{id}, { $what => {
        order_id => $o->{id}, location_id => $o->{location_id},
        state => $o->{state}, version => $o->{version},
        created_at => $o->{created_at},
        $type eq 'order.updated' ? (updated_at => $o->{updated_at}) : () } },
        $now);
}

# POST /v2/orders/search
sub search {
    my ($S, $in) = @_;
    my $locs = $in->{location_ids};
    return _err(400, 'INVALID_REQUEST_ERROR', 'MISSING_REQUIRED_PARAMETER',
                'Missing required parameter.', 'location_ids')
        unless ref $locs eq 'ARRAY' && @$locs;
    return _err(400, 'INVALID_REQUEST_ERROR', 'ARRAY_LENGTH_TOO_LONG',
                'Array length must be at most 10.', 'location_ids')
        if @$locs > 10;
    for my $i (0 .. $#$locs) {
        return _err(400, 'INVALID_REQUEST_ERROR', 'NOT_FOUND',
                    "Location `$locs->[$i]` not found.", "location_ids[$i]")
            unless !ref $locs->[$i] && $S->{locations}{$locs->[$i]};
    }
    my $limit = $in->{limit} // 500;
    return _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE',
                'Limit must be between 1 and 1000.', 'limit')
        unless !ref $limit && $limit =~ /^\d+$/ && $limit >= 1
               && $limit <= 1000;
    my $q = ref $in->{query} eq 'HASH' ? $in->{query} : {};
    my ($sel, $err) = _filter($S, $q->{filter} // {}, $locs);
    return $err if $err;
    my ($field, $desc);
    ($field, $desc, $err) = _sort($q->{sort}, $q->{filter});
    return $err if $err;
    # ties in the order the orders were placed
    my @o = map { $sel->[$_] }
            sort { ($desc ? -1 : 1) * (($sel->[$a]{$field} // '')
                                       cmp ($sel->[$b]{$field} // ''))
                   || $a <=> $b } 0 .. $#$sel;

    my %k = %$in;
    delete @k{qw(cursor limit)};
    my $off = InvsyncSim::Square::_uncursor($in->{cursor}, \%k);
    return _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_CURSOR',
                'The cursor is not valid.', 'cursor')
        unless defined $off;
    $limit = $S->{conf}{orders_page} if $S->{conf}{orders_page} < $limit;
    my @page = grep { defined } @o[$off .. $off + $limit - 1];
    my $out = {};
    if (@page && _bool($in->{return_entries})) {
        $out->{order_entries} = [map { +{ order_id => $_->{id},
            version => $_->{version}, location_id => $_->{location_id} } }
            @page];
    } elsif (@page) {
        $out->{orders} = \@page;
    }
    $out->{cursor} = InvsyncSim::Square::_cursor($off + $limit, \%k)
        if $off + $limit < @o;
    return _json(200, $out);
}

# the orders the filter keeps: location, state_filter, date_time_filter
# (start_at inclusive, end_at exclusive)
sub _filter {
    my ($S, $f, $locs) = @_;
    my %loc = map { $_ => 1 } @$locs;
    my @o = grep { $loc{$_->{location_id}} } @{$S->{orders}};
    if (my $sf = $f->{state_filter}) {
        my %st = map { $_ => 1 } @{$sf->{states} || []};
        return (undef, _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_ENUM_VALUE',
                            'Invalid state.', 'query.filter.state_filter'))
            if grep { !$STATES{$_} } keys %st;
        @o = grep { $st{$_->{state}} } @o;
    }
    my $dt = $f->{date_time_filter} // {};
    for my $name (sort keys %$dt) {
        my $key = lc $name;
        return (undef, _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE',
                            "Unknown time filter $name.",
                            "query.filter.date_time_filter.$name"))
            unless grep { $_ eq $key } values %SORT;
        my ($from, $to) = map { _iso($dt->{$name}{$_}) } qw(start_at end_at);
        for my $x ([start_at => $from], [end_at => $to]) {
            return (undef, _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_TIME',
                "Invalid timestamp.",
                "query.filter.date_time_filter.$name.$x->[0]"))
                if defined $dt->{$name}{$x->[0]} && !defined $x->[1];
        }
        @o = grep { my $t = _iso($_->{$key});
                    defined $t && (!defined $from || $t >= $from)
                    && (!defined $to || $t < $to) } @o;
    }
    return (\@o, undef);
}

# sort_field and sort_order, by default CREATED_AT DESC; the sort field
# must be the field a date_time_filter names
sub _sort {
    my ($s, $f) = @_;
    my $field = $s->{sort_field} // 'CREATED_AT';
    my $order = $s->{sort_order} // 'DESC';
    return (undef, undef, _err(400, 'INVALID_REQUEST_ERROR',
                               'INVALID_ENUM_VALUE', 'Invalid sort field.',
                               'query.sort.sort_field'))
        unless $SORT{$field};
    return (undef, undef, _err(400, 'INVALID_REQUEST_ERROR',
                               'INVALID_ENUM_VALUE', 'Invalid sort order.',
                               'query.sort.sort_order'))
        unless $order eq 'ASC' || $order eq 'DESC';
    my @dt = keys %{($f // {})->{date_time_filter} // {}};
    return (undef, undef, _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE',
        'The sort field must match the field of the date time filter.',
        'query.sort.sort_field'))
        if @dt && !grep { lc $_ eq $SORT{$field} } @dt;
    return ($SORT{$field}, $order eq 'DESC', undef);
}

1;
