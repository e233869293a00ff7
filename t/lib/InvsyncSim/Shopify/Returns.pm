package InvsyncSim::Shopify;

# The Shopify simulator's returns (docs/channels/shopify.md, "Returns"):
# a return of an order's fulfilled line items, requested by the customer
# or opened by the merchant, approved (its reverse fulfilment order made),
# declined, cancelled, closed, reopened, its label attached and its units
# disposed, each with
# its signed webhook (returns/request, returns/approve, returns/decline,
# returns/cancel, returns/close, returns/reopen,
# reverse_deliveries/attach_deliverable,
# reverse_fulfillment_orders/dispose) in the payload shapes of Shopify's
# webhook examples; and the GraphQL reverseFulfillmentOrder(id:) read
# (what a dispose webhook does not say).  Control calls POST /_sim/return
# and POST /_sim/return_step; part of InvsyncSim::Shopify (loaded by
# InvsyncSim/Shopify.pm, whose helpers it uses), in a file of its own.

use strict;
use warnings;

use InvsyncSim::Channel qw(:all);
use Time::HiRes qw(time);

my %STEP = (
    # step => [statuses it may follow, status after, topic]
    approve => [['requested'], 'open', 'returns/approve'],
    decline => [['requested'], 'declined', 'returns/decline'],
    cancel  => [['requested', 'open'], 'canceled', 'returns/cancel'],
    close   => [['open'], 'closed', 'returns/close'],
    reopen  => [['closed'], 'open', 'returns/reopen'],
);


sub _rgid { "gid://shopify/$_[0]/$_[1]" }

# units of each fulfilled line item (by line item id) and those returned
sub _returnable {
    my ($S, $oid) = @_;
    my (%ful, %fli, %ret);
    for my $f (@{$S->{order_ful}{$oid} || []}) {
        for my $l (@{$f->{lines}}) {
            $ful{$l->{line_item_id}} += $l->{quantity};
            $fli{$l->{line_item_id}} //= $l->{id};
        }
    }
    for my $r (values %{$S->{returns} || {}}) {
        next unless $r->{order_id} == $oid;
        next if $r->{status} eq 'declined' || $r->{status} eq 'canceled';
        $ret{$_->{line_item_id}} += $_->{quantity} for @{$r->{lines}};
    }
    return (\%ful, \%fli, \%ret);
}

# POST /_sim/return {order_id, lines: [{sku | line_item_id, quantity,
# reason, note}], status: requested (the customer asks, returns/request)
# | open (the merchant makes it, returns/approve), times=1}
sub _return_create {
    my ($S, $in) = @_;
    my $o = _rest_order($S, $in->{order_id} // 0)
        or return (404, { error => 'Order does not exist' });
    my ($ful, $fli, $ret) = _returnable($S, $o->{id});
    my @lines;
    for my $x (@{$in->{lines} || []}) {
        my ($li) = grep { defined $x->{line_item_id}
                          ? $_->{id} == $x->{line_item_id}
                          : $_->{sku} eq ($x->{sku} // '') }
                   @{$o->{line_items}};
        return (400, { error => 'Line item does not exist' }) unless $li;
        my $n = $x->{quantity} // 1;
        # Shopify: only fulfilled items can be returned
        return (400, { error => 'Quantity is greater than the returnable '
                                . 'quantity' })
            if $n < 1 || $n + ($ret->{$li->{id}} // 0)
                         > ($ful->{$li->{id}} // 0);
        push @lines, { id => 18_000_000_000 + ++$S->{seq},
            line_item_id => $li->{id}, fli => $fli->{$li->{id}},
            sku => $li->{sku}, quantity => $n + 0,
            reason => $x->{reason} // 'other', note => $x->{note} // '' };
    }
    return (400, { error => 'A return needs at least one line' })
        unless @lines;
    my $status = $in->{status} // 'requested';
    my $n = 1 + grep { $_->{order_id} == $o->{id} }
                values %{$S->{returns} || {}};
    my $r = { id => 19_000_000_000 + ++$S->{seq}, order_id => $o->{id},
              name => "$o->{name}-R$n", status => $status,
              lines => \@lines };
    $S->{returns}{$r->{id}} = $r;
    _rfo_create($S, $r) if $status eq 'open';
    _return_hooks($S, $status eq 'open' ? 'returns/approve'
                                        : 'returns/request', $r, $in);
    return (200, _return_view($r));
}

# POST /_sim/return_step {return_id, step: approve | decline | cancel |
# close | reopen | deliver | dispose, reason, note (decline), carrier,
# tracking_number (deliver: the label's), dispositions
# (dispose): [{sku | line: <n>, type: restocked | not_restocked | missing
# | processing_required, quantity, location_id}], times=1}
sub _return_step {
    my ($S, $in) = @_;
    my $r = $S->{returns}{$in->{return_id} // 0}
        or return (404, { error => 'Return does not exist' });
    my $step = $in->{step} // '';
    return _return_dispose($S, $r, $in) if $step eq 'dispose';
    return _return_deliver($S, $r, $in) if $step eq 'deliver';
    my $rule = $STEP{$step}
        or return (400, { error => "no step $step" });
    return (422, { error => "Return is $r->{status}: cannot $step" })
        unless grep { $_ eq $r->{status} } @{$rule->[0]};
    $r->{status} = $rule->[1];
    $r->{decline} = { reason => $in->{reason} // 'other',
                      note => $in->{note} } if $step eq 'decline';
    _rfo_create($S, $r) if $step eq 'approve';
    _return_hooks($S, $rule->[2], $r, $in);
    return (200, _return_view($r));
}

# approved: one reverse fulfilment order, a line per return line
sub _rfo_create {
    my ($S, $r) = @_;
    $r->{rfo} = { id => 20_000_000_000 + ++$S->{seq},
        lines => [map { +{ id => 21_000_000_000 + ++$S->{seq},
                           return_line => $_ } } @{$r->{lines}}] };
}

sub _return_dispose {
    my ($S, $r, $in) = @_;
    return (422, { error => 'Return is not open' })
        unless $r->{status} eq 'open' && $r->{rfo};
    my @d;
    for my $x (@{$in->{dispositions} || []}) {
        my $rl = defined $x->{line} ? $r->{rfo}{lines}[$x->{line}]
               : (grep { $_->{return_line}{sku} eq ($x->{sku} // '') }
                  @{$r->{rfo}{lines}})[0];
        return (400, { error => 'Reverse fulfillment order line item does '
                                . 'not exist' }) unless $rl;
        my $type = lc($x->{type} // 'restocked');
        return (400, { error => 'The location is required for a restock' })
            if $type eq 'restocked' && !defined $x->{location_id};
        push @d, {
            reverse_fulfillment_order_line_item => {
                id => $rl->{id} + 0,
                admin_graphql_api_id =>
                    _rgid('ReverseFulfillmentOrderLineItem', $rl->{id}) },
            reverse_delivery_line_item => undef,
            type => $type,
            location => defined $x->{location_id}
                ? { id => $x->{location_id} + 0, admin_graphql_api_id =>
                    _rgid('Location', $x->{location_id}) } : undef,
            quantity => ($x->{quantity} // 1) + 0 };
    }
    my $body = { id => $r->{rfo}{id} + 0,
        admin_graphql_api_id =>
            _rgid('ReverseFulfillmentOrder', $r->{rfo}{id}),
        dispositions => \@d, total_dispositions => scalar @d };
    my $now = time;
    _shopify_hook($S, 'reverse_fulfillment_orders/dispose', $body, $now)
        for 1 .. ($in->{times} // 1);
    return (200, { %{_return_view($r)}, dispose => $body });
}

# a reverse delivery with its label's tracking attached
# (reverse_deliveries/attach_deliverable)
sub _return_deliver {
    my ($S, $r, $in) = @_;
    return (422, { error => 'Return is not open' })
        unless $r->{status} eq 'open' && $r->{rfo};
    my $id = 22_000_000_000 + ++$S->{seq};
    my $body = { id => $id + 0,
        admin_graphql_api_id => _rgid('ReverseDelivery', $id),
        return => { id => $r->{id} + 0,
                    admin_graphql_api_id => _rgid('Return', $r->{id}) },
        shipping_deliverable => {
            tracking => { carrier_name => $in->{carrier} // 'USPS',
                          tracking_number => $in->{tracking_number}
                                             // '9400100000000000000000',
                          tracking_url => undef },
            label => { public_file_url => undef, created_at => undef } } };
    my $now = time;
    _shopify_hook($S, 'reverse_deliveries/attach_deliverable', $body, $now)
        for 1 .. ($in->{times} // 1);
    return (200, { %{_return_view($r)}, delivery => $body });
}

# reverseFulfillmentOrder(id:) { id return { id } order { id }
# lineItems(first:, after:) { pageInfo { hasNextPage endCursor } nodes {
# id fulfillmentLineItem { lineItem { id } } } } } (what a dispose webhook
# does not say); null for an id it does not know.  The lines come a page
# of first: at a time (at most 250, as every Shopify connection; more is
# an error), after the cursor after: names
sub _gql_rfo {
    my ($S, $q, $v) = @_;
    my $id = _gid('ReverseFulfillmentOrder', _q_arg($q, $v, 'id'));
    my ($first) = $q =~ /lineItems\s*\(\s*first\s*:\s*(\d+)/;
    $first //= 10;
    return (_gerr('first: must be at most 250 (the most a connection '
                  . 'gives in one page)', 'BAD_REQUEST'), 1)
        if $first > 250;
    my ($after) = $q =~ /lineItems\s*\([^)]*after\s*:\s*"cursor:(\d+)"/;
    my ($r) = grep { $_->{rfo} && defined $id && $_->{rfo}{id} == $id }
              values %{$S->{returns} || {}};
    return ({ data => { reverseFulfillmentOrder => undef } }, 1) unless $r;
    my @all = @{$r->{rfo}{lines}};
    my $from = defined $after ? $after + 1 : 0;
    my $to = $from + $first - 1;
    $to = $#all if $to > $#all;
    my @page = $from <= $#all ? @all[$from .. $to] : ();
    my $conn = _conn([map { +{
            id => _rgid('ReverseFulfillmentOrderLineItem', $_->{id}),
            fulfillmentLineItem => {
                id => _rgid('FulfillmentLineItem', $_->{return_line}{fli}),
                lineItem => { id => _rgid('LineItem',
                                          $_->{return_line}{line_item_id}) } }
        } } @page]);
    $conn->{pageInfo}{hasNextPage} = $to < $#all ? $TRUE : $FALSE;
    $conn->{pageInfo}{hasPreviousPage} = $from > 0 ? $TRUE : $FALSE;
    $conn->{pageInfo}{endCursor} = @page ? "cursor:$to" : undef;
    return ({ data => { reverseFulfillmentOrder => {
        id => _rgid('ReverseFulfillmentOrder', $r->{rfo}{id}),
        return => { id => _rgid('Return', $r->{id}) },
        order => { id => _rgid('Order', $r->{order_id}) },
        lineItems => $conn } } }, 3 + 3 * @page);
}

# the topic's payload, sent times times (each with its own webhook id)
sub _return_hooks {
    my ($S, $topic, $r, $in) = @_;
    my $now = time;
    _shopify_hook($S, $topic, _return_payload($topic, $r), $now)
        for 1 .. ($in->{times} // 1);
}

sub _return_payload {
    my ($topic, $r) = @_;
    my %head = (id => $r->{id} + 0,
                admin_graphql_api_id => _rgid('Return', $r->{id}),
                status => $r->{status});
    my $order = { id => $r->{order_id} + 0,
                  admin_graphql_api_id => _rgid('Order', $r->{order_id}) };
    if ($topic eq 'returns/decline') {
        return { %head, order => $order, decline => $r->{decline} };
    }
    if ($topic ne 'returns/request' && $topic ne 'returns/approve') {
        return { %head, order_id => $r->{order_id} + 0 };
    }
    return { %head, order => $order,
        name => $topic eq 'returns/request' ? undef : $r->{name},
        total_return_line_items => scalar @{$r->{lines}},
        return_line_items => [map { +{
            id => $_->{id} + 0,
            admin_graphql_api_id => _rgid('ReturnLineItem', $_->{id}),
            fulfillment_line_item => {
                id => $_->{fli} + 0,
                admin_graphql_api_id =>
                    _rgid('FulfillmentLineItem', $_->{fli}),
                line_item => { id => $_->{line_item_id} + 0,
                    admin_graphql_api_id =>
                        _rgid('LineItem', $_->{line_item_id}) } },
            quantity => $_->{quantity}, return_reason => $_->{reason},
            return_reason_note => $_->{note}, customer_note => undef } }
            @{$r->{lines}}],
        return_shipping_fees => [], exchange_line_items => [],
        total_exchange_line_items => 0 };
}

# what the control calls answer: the return as the test needs it
sub _return_view {
    my ($r) = @_;
    return { return => { id => $r->{id} + 0, order_id => $r->{order_id} + 0,
        name => $r->{name}, status => $r->{status},
        lines => [map { +{ id => $_->{id} + 0, sku => $_->{sku},
                           line_item_id => $_->{line_item_id} + 0,
                           quantity => $_->{quantity} } } @{$r->{lines}}],
        reverse_fulfillment_order => $r->{rfo} ? {
            id => $r->{rfo}{id} + 0,
            lines => [map { +{ id => $_->{id} + 0,
                               sku => $_->{return_line}{sku} } }
                      @{$r->{rfo}{lines}}] } : undef } };
}

1;
