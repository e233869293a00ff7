package InvsyncSim::Shopify;

# The Shopify simulator's refunds: the order's refunds, what each line can
# still be refunded and the refund Shopify suggests (order(id:) with
# suggestedRefund, the look a client makes before refunding), and
# refundCreate with @idempotent (required from 2026-04), its user errors
# and the refunds/create webhook.  One SALE transaction per order, of its
# total, on gateway "bogus" (Shopify's test gateway).  Part of
# InvsyncSim::Shopify (loaded by InvsyncSim/Shopify.pm, whose helpers it
# uses), in a file of its own for its size.

use strict;
use warnings;

use InvsyncSim::Channel qw(:all);
use JSON::PP ();
use Time::HiRes qw(time);

sub _money { sprintf '%.2f', $_[0] }

sub _sale {
    my ($o) = @_;
    return { id => 8_000_000_000 + $o->{id} % 1_000_000_000,
             amount => $o->{total_price} + 0 };
}

# units of the order line refunded so far, and money refunded so far
sub _refunded {
    my ($S, $oid) = @_;
    my (%q, $money);
    for my $rf (@{$S->{refunds}{$oid} || []}) {
        $q{$_->{line_item_id}} += $_->{quantity} for @{$rf->{lines}};
        $money += $rf->{amount};
    }
    return (\%q, $money // 0);
}

# An order's tax when the test gives tax_rate (POST /_sim/orders): a shop
# with taxes_included false, one "VAT" tax line per line item of price x
# quantity x rate, total_tax, and a total_price (the sale) that includes
# it.  Without tax_rate the order has no tax, as before.
sub _order_tax {
    my ($o, $rate) = @_;
    return unless $rate;
    my $tax = 0;
    for my $l (@{$o->{line_items}}) {
        my $t = _money($l->{price} * $l->{quantity} * $rate);
        $l->{tax_lines} = [{ title => 'VAT', rate => $rate + 0, price => $t,
            price_set => { shop_money => { amount => $t,
                                           currency_code => $o->{currency} } } }];
        $tax += $t;
    }
    $o->{taxes_included} = $FALSE;
    $o->{total_tax} = _money($tax);
    $o->{total_price} = _money($o->{subtotal_price} + $tax);
}

# the tax of $n units of line item $l: their share of its tax lines,
# rounded to the cent as Shopify does per line
sub _line_tax {
    my ($l, $n) = @_;
    my $t = 0;
    $t += $_->{price} for @{$l->{tax_lines} || []};
    return 0 unless $t && $l->{quantity};
    return sprintf('%.2f', $t * $n / $l->{quantity}) + 0;
}

# what refunding these {lineItemId, quantity} and shipping comes to: the
# units' price and their share of tax
sub _suggest {
    my ($o, $lines, $shipping) = @_;
    my %li = map { $_->{id} => $_ } @{$o->{line_items}};
    my $sum = 0;
    for my $l (@{ref $lines eq 'ARRAY' ? $lines : []}) {
        my $id = _gid('LineItem', $l->{lineItemId}) // next;
        my $x = $li{$id} or next;
        my $n = $l->{quantity} // 0;
        $sum += $x->{price} * $n + _line_tax($x, $n);
    }
    return $sum + ($shipping // 0);
}

# order(id:) { ... refunds ... suggestedRefund(...) }
sub _gql_refund_look {
    my ($S, $q, $v) = @_;
    my $oid = _gid('Order', $v->{id});
    my $o = defined $oid ? _rest_order($S, $oid) : undef;
    return ({ data => { order => undef } }, 1) unless $o;
    my ($done, $money) = _refunded($S, $oid);
    my $sum = _suggest($o, $v->{lines}, $v->{shipping});
    my $sale = _sale($o);
    my $left = $sale->{amount} - $money;
    $sum = $left if $sum > $left;
    return ({ data => { order => {
        id => "gid://shopify/Order/$oid", currencyCode => $o->{currency},
        lineItems => _conn([map { +{
            id => "gid://shopify/LineItem/$_->{id}", sku => $_->{sku},
            quantity => $_->{quantity} + 0,
            refundableQuantity => $_->{quantity} - ($done->{$_->{id}} // 0),
        } } @{$o->{line_items}}]),
        refunds => [map { my $rf = $_; +{
            id => "gid://shopify/Refund/$rf->{id}", note => $rf->{note},
            refundLineItems => _conn([map { +{ quantity => $_->{quantity},
                lineItem => { id => "gid://shopify/LineItem/"
                                    . $_->{line_item_id} } } }
                @{$rf->{lines}}]) } } @{$S->{refunds}{$oid} || []}],
        suggestedRefund => {
            amountSet => { shopMoney => { amount => _money($sum),
                                          currencyCode => $o->{currency} } },
            suggestedTransactions => $sum > 0 ? [{
                gateway => 'bogus', kind => 'SUGGESTED_REFUND',
                amountSet => { shopMoney => { amount => _money($sum) } },
                parentTransaction => {
                    id => "gid://shopify/OrderTransaction/$sale->{id}" } }]
                : [] } } } }, 20);
}

sub _rerr {
    my ($field, $msg) = @_;
    return { data => { refundCreate => { refund => undef,
             userErrors => [{ field => $field, message => $msg }] } } };
}

# refundCreate(input: $input) @idempotent(key: "...")
sub _gql_refund_create {
    my ($S, $q, $v) = @_;
    my ($key) = $q =~ /\@idempotent\s*\(\s*key\s*:\s*"([^"]*)"\s*\)/;
    return _gerr('The @idempotent directive is required for this mutation.',
                 'BAD_REQUEST') unless defined $key && length $key;
    my $in = $v->{input};
    my $sig = JSON::PP->new->canonical->encode($in // {});
    if (my $seen = $S->{ridem}{$key}) {
        return _gerr('The same idempotency key was used with different '
                     . 'input.', 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH')
            unless $seen->{sig} eq $sig;
        $S->{note} = 'idempotent replay';
        return $seen->{out};
    }
    my $out = _refund_create($S, $in);
    $S->{ridem}{$key} = { sig => $sig, out => $out }
        if $out->{data}{refundCreate}{refund};
    return $out;
}

sub _refund_create {
    my ($S, $in) = @_;
    return _rerr(['orderId'], 'Order does not exist')
        unless ref $in eq 'HASH';
    my $oid = _gid('Order', $in->{orderId});
    my $o = defined $oid ? _rest_order($S, $oid) : undef;
    return _rerr(['orderId'], 'Order does not exist') unless $o;
    return _rerr(undef, $S->{conf}{refund_refuse})
        if $S->{conf}{refund_refuse};
    my ($done, $money) = _refunded($S, $oid);
    my %li = map { $_->{id} => $_ } @{$o->{line_items}};
    my @lines;
    my $rli = ref $in->{refundLineItems} eq 'ARRAY' ? $in->{refundLineItems}
                                                    : [];
    for my $i (0 .. $#$rli) {
        my $id = _gid('LineItem', $rli->[$i]{lineItemId});
        my $l = defined $id ? $li{$id} : undef;
        return _rerr(['refundLineItems', "$i", 'lineItemId'],
                     'Line item does not exist') unless $l;
        my $n = $rli->[$i]{quantity} // 0;
        return _rerr(['refundLineItems', "$i", 'quantity'],
                     'Quantity cannot refund more items than were purchased')
            if $n + ($done->{$id} // 0) > $l->{quantity};
        push @lines, { id => 17_000_000_000 + ++$S->{seq},
            line_item_id => $id, quantity => $n + 0, line => $l,
            tax => _line_tax($l, $n),
            restock_type => lc($rli->[$i]{restockType} // 'no_restock') };
    }
    my $sale = _sale($o);
    my $amount = 0;
    for my $tx (@{ref $in->{transactions} eq 'ARRAY' ? $in->{transactions}
                                                     : []}) {
        $amount += $tx->{amount} // 0;
    }
    return _rerr(['transactions', '0', 'amount'], 'Refund amount must be '
                 . 'less than or equal to the refundable amount')
        if $amount > $sale->{amount} - $money + 0.001;
    my $ship = ref $in->{shipping} eq 'HASH' ? $in->{shipping}{amount} // 0
                                             : 0;
    my $now = time;
    my $rf = { id => 9_000_000_000 + ++$S->{seq}, order_id => $oid,
               note => $in->{note}, lines => \@lines, amount => $amount,
               shipping => $ship + 0, created => $now,
               txn => 10_000_000_000 + ++$S->{seq} };
    push @{$S->{refunds}{$oid}}, $rf;
    _shopify_hook($S, 'refunds/create', _refund_rest($S, $o, $rf, $sale),
                  $now);
    return { data => { refundCreate => { userErrors => [],
        refund => { id => "gid://shopify/Refund/$rf->{id}",
                    note => $rf->{note} } } } };
}

# the refund as REST and the refunds/create webhook have it
sub _refund_rest {
    my ($S, $o, $rf, $sale) = @_;
    my $at = _local_time($S, $rf->{created});
    my $cur = $o->{currency};
    return {
        id => $rf->{id} + 0, order_id => $o->{id} + 0, created_at => $at,
        processed_at => $at, note => $rf->{note}, restock => $FALSE,
        user_id => undef,
        admin_graphql_api_id => "gid://shopify/Refund/$rf->{id}",
        refund_line_items => [map { +{
            id => $_->{id} + 0, line_item_id => $_->{line_item_id} + 0,
            quantity => $_->{quantity}, restock_type => $_->{restock_type},
            location_id => undef,
            subtotal => _money($_->{line}{price} * $_->{quantity}),
            total_tax => _money($_->{tax}),
            total_tax_set => { shop_money => { amount => _money($_->{tax}),
                                               currency_code => $cur } },
            line_item => { id => $_->{line}{id}, sku => $_->{line}{sku},
                           variant_id => $_->{line}{variant_id},
                           product_id => $_->{line}{product_id},
                           quantity => $_->{line}{quantity},
                           price => $_->{line}{price} } } }
            @{$rf->{lines}}],
        transactions => $rf->{amount} > 0 ? [{
            id => $rf->{txn} + 0, order_id => $o->{id} + 0, kind => 'refund',
            gateway => 'bogus', status => 'success',
            amount => _money($rf->{amount}), currency => $cur,
            parent_id => $sale->{id} + 0, created_at => $at }] : [],
        order_adjustments => $rf->{shipping} > 0 ? [{
            kind => 'shipping_refund', amount => _money(-$rf->{shipping}),
            tax_amount => '0.00', reason => 'Shipping refund' }] : [],
        duties => [],
    };
}

# GET /_sim/state "refunds"
sub _refund_state {
    my ($S) = @_;
    return [map { +{ id => $_->{id} + 0, order_id => $_->{order_id} + 0,
        note => $_->{note}, amount => $_->{amount} + 0,
        shipping => $_->{shipping} + 0,
        lines => [map { +{ line_item_id => $_->{line_item_id} + 0,
                           sku => $_->{line}{sku},
                           quantity => $_->{quantity} + 0,
                           tax => $_->{tax} + 0,
                           restock_type => $_->{restock_type} } }
                  @{$_->{lines}}] } }
            sort { $a->{id} <=> $b->{id} }
            map { @$_ } values %{$S->{refunds} || {}}];
}

1;
