package InvsyncSim::WooCommerce;

# The WooCommerce simulator's refunds (REST API v3): GET and POST
# /wp-json/wc/v3/orders/<id>/refunds.  A refund keeps its line items as
# WooCommerce does (negative quantities and totals, meta
# _refunded_item_id naming the order's line item), the order lists it in
# refunds[] ({id, reason, total}) and becomes "refunded" when all of its
# total is; the order.updated webhook follows.  api_refund goes to the
# order's gateway: refund_refuse makes it decline, with WooCommerce's
# answer (HTTP 500, woocommerce_rest_cannot_create_order_refund and the
# gateway's message); refund_again makes that many refunds answer the
# same code with "please try again"; refund_retry_after adds a
# Retry-After to both.  Part
# of InvsyncSim::WooCommerce (loaded by InvsyncSim/WooCommerce.pm, whose
# helpers it uses), in a file of its own for its size.

use strict;
use warnings;

use InvsyncSim::Channel qw(:all);
use Time::HiRes qw(time);

sub _m { sprintf '%.2f', $_[0] }

# (permission, code) for /orders/<id>/refunds, or ()
sub _refund_route {
    my ($S, $req, $path) = @_;
    return () unless $path =~ m{^/orders/(\d+)/refunds$};
    my $oid = $1;
    my ($o) = grep { $_->{id} == $oid } @{$S->{orders}};
    my $none = sub { _werr(404, 'woocommerce_rest_shop_order_invalid_id',
                           'Invalid ID.') };
    return ('list', sub { $o ? _wjson(200, [reverse
                                  @{$S->{wrefunds}{$oid} || []}])
                             : $none->() })
        if $req->{method} eq 'GET';
    # the refunds controller's create_item_permissions_check: "create"
    return ('create', sub { $o ? _refund_post($S, $req, $o) : $none->() })
        if $req->{method} eq 'POST';
    return ();
}

sub _refund_post {
    my ($S, $req, $o) = @_;
    my $in = _decode($req->{body});
    return _werr(400, 'rest_invalid_json', 'Invalid JSON body passed.')
        unless ref $in eq 'HASH';
    my $amount = $in->{amount} // 0;
    return _werr(400, 'woocommerce_rest_invalid_order_refund',
                 'Refund amount must be greater than zero.')
        unless $amount =~ /^\d+(?:\.\d+)?$/ && $amount > 0;
    my $done = 0;
    $done -= $_->{total} for @{$o->{refunds}};
    return _werr(500, 'woocommerce_rest_cannot_create_order_refund',
                 'Invalid refund amount.')
        if $amount > $o->{total} - $done + 0.001;
    my %li = map { $_->{id} => $_ } @{$o->{line_items}};
    my (%had, @items);
    for my $rf (@{$S->{wrefunds}{$o->{id}} || []}) {
        for my $x (@{$rf->{line_items}}) {
            $had{$_->{value}} -= $x->{quantity}
                for grep { $_->{key} eq '_refunded_item_id' }
                    @{$x->{meta_data}};
        }
    }
    for my $x (@{ref $in->{line_items} eq 'ARRAY' ? $in->{line_items} : []}) {
        my $l = $li{$x->{id} // ''};
        my $n = $x->{quantity} // 0;
        return _werr(500, 'woocommerce_rest_cannot_create_order_refund',
                     'Invalid refund line item.')
            unless $l && $n + ($had{$l->{id}} // 0) <= $l->{quantity};
        my $tx = 0;
        $tx += $_->{refund_total} // 0
            for @{ref $x->{refund_tax} eq 'ARRAY' ? $x->{refund_tax} : []};
        push @items, { id => ++$S->{seq}, name => $l->{name},
            product_id => $l->{product_id}, variation_id => $l->{variation_id},
            quantity => -$n, tax_class => '', subtotal => _m(-($x->{refund_total} // 0)),
            subtotal_tax => _m(-$tx), total => _m(-($x->{refund_total} // 0)),
            total_tax => _m(-$tx), taxes => [], sku => $l->{sku},
            price => -$l->{price},
            meta_data => [{ id => ++$S->{seq}, key => '_refunded_item_id',
                            value => "$l->{id}" }] };
    }
    # wc_create_refund() returning nothing: the one refusal that asks to
    # be tried again (refund_again: how many times)
    if (($S->{conf}{refund_again} // 0) > 0) {
        $S->{conf}{refund_again}--;
        return _refund_paced($S, _werr(500,
            'woocommerce_rest_cannot_create_order_refund',
            'Cannot create order refund, please try again.'));
    }
    if (($in->{api_refund} // $TRUE) && $S->{conf}{refund_refuse}) {
        return _refund_paced($S, _werr(500,
            'woocommerce_rest_cannot_create_order_refund',
            $S->{conf}{refund_refuse}));
    }
    my $now = time;
    my $rf = { id => ++$S->{seq}, date_created => _wc_local($S, $now),
        date_created_gmt => _wc_gmt($now), amount => _m($amount),
        reason => $in->{reason} // '', refunded_by => 1,
        refunded_payment => ($in->{api_refund} // $TRUE) ? $TRUE : $FALSE,
        meta_data => [], line_items => \@items,
        api_restock => ($in->{api_restock} // $TRUE) ? $TRUE : $FALSE };
    push @{$S->{wrefunds}{$o->{id}}}, $rf;
    unshift @{$o->{refunds}}, { id => $rf->{id}, reason => $rf->{reason},
                                total => _m(-$amount) };
    $o->{status} = 'refunded' if $amount >= $o->{total} - $done - 0.001;
    $o->{date_modified} = _wc_local($S, $now);
    $o->{date_modified_gmt} = _wc_gmt($now);
    $o->{_t}{modified} = $now;
    my %pub = %$o;
    delete $pub{_t};
    _woo_hook($S, 'order.updated', $S->{conf}{order_webhook_id}, $o->{id},
              sub { \%pub }, $now);
    return _wjson(201, $rf);
}

# refund_retry_after: the two refusals above carry that Retry-After, as a
# host or proxy in front of WordPress may add to any 5xx (WooCommerce's
# own error answers carry none)
sub _refund_paced {
    my ($S, $res) = @_;
    push @{$res->{headers}}, 'Retry-After' => $S->{conf}{refund_retry_after}
        if defined $S->{conf}{refund_retry_after};
    return $res;
}

# tax_rate (e.g. 0.2) on a new order: one tax rate (id 1, "VAT") on each
# line item, as WooCommerce keeps it: total_tax and subtotal_tax of the
# line's total x rate, taxes [{id, total, subtotal}], the order's
# tax_lines, total_tax and cart_tax, and a total with the tax (prices
# exclude it)
sub _woo_order_tax {
    my ($S, $o, $rate) = @_;
    return unless $rate;
    my $tax = 0;
    for my $l (@{$o->{line_items}}) {
        my $t = _m($l->{total} * $rate);
        @$l{qw(total_tax subtotal_tax)} = ($t, $t);
        $l->{taxes} = [{ id => 1, total => $t, subtotal => $t }];
        $tax += $t;
    }
    $o->{tax_lines} = [{ id => ++$S->{seq}, rate_code => 'VAT-1',
        rate_id => 1, label => 'VAT', compound => $FALSE,
        tax_total => _m($tax), shipping_tax_total => '0.00',
        rate_percent => $rate * 100, meta_data => [] }];
    $o->{total_tax} = $o->{cart_tax} = _m($tax);
    $o->{total} = _m($o->{total} + $tax);
}

# GET /_sim/state "refunds"
sub _refund_state {
    my ($S) = @_;
    return [map { my $oid = $_; map { +{ id => $_->{id}, order_id => $oid + 0,
        amount => $_->{amount}, reason => $_->{reason},
        api_restock => $_->{api_restock},
        lines => [map { +{ sku => $_->{sku}, quantity => -$_->{quantity},
                           total => -$_->{total}, tax => -$_->{total_tax} } }
                  @{$_->{line_items}}] } }
        @{$S->{wrefunds}{$oid}} } sort keys %{$S->{wrefunds} || {}}];
}


# the control call "refund": one made the way the shop's admin would (order
# refunds[] and status follow), as POST /_sim/refund {order_id, amount,
# reason, line_items: [{id, quantity}], shipping}
sub control {
    my ($class, $S, $name, $in) = @_;
    return $class->SUPER::control($S, $name) unless $name eq 'refund';
    my ($o) = grep { $_->{id} == ($in->{order_id} // 0) } @{$S->{orders}};
    return (404, { error => 'no such order' }) unless $o;
    my $now = time;
    my (@li, $sum);
    for my $x (@{$in->{line_items} || []}) {
        my ($l) = grep { $_->{id} == ($x->{id} // 0) } @{$o->{line_items}};
        return (400, { error => "order $o->{id} has no line $x->{id}" })
            unless $l;
        my $qty = $x->{quantity} // 1;
        my $money = sprintf '%.2f', -$l->{price} * $qty;
        $sum += -$money;
        push @li, { id => ++$S->{seq}, name => $l->{name},
            product_id => $l->{product_id}, variation_id => $l->{variation_id},
            quantity => -$qty, tax_class => '', subtotal => $money,
            subtotal_tax => '0.00', total => $money, total_tax => '0.00',
            taxes => [], sku => $l->{sku}, price => -$l->{price},
            meta_data => [ { id => ++$S->{seq}, key => '_refunded_item_id',
                             value => "$l->{id}" } ] };
    }
    my @ship;
    if ($in->{shipping}) {
        $sum += $in->{shipping};
        push @ship, { id => ++$S->{seq}, method_title => 'Flat rate',
                      method_id => 'flat_rate',
                      total => sprintf('%.2f', -$in->{shipping}),
                      total_tax => '0.00', taxes => [], meta_data => [] };
    }
    my $amount = sprintf '%.2f', $in->{amount} // $sum // 0;
    my $r = { id => ++$S->{seq}, date_created => _wc_local($S, $now),
        date_created_gmt => _wc_gmt($now), amount => $amount,
        reason => $in->{reason} // '', refunded_by => 1,
        refunded_payment => $in->{refunded_payment} ? $TRUE : $FALSE,
        meta_data => [], line_items => \@li, shipping_lines => \@ship,
        tax_lines => [], fee_lines => [] };
    unshift @{$S->{wrefunds}{$o->{id}}}, $r;
    unshift @{$o->{refunds}}, { id => $r->{id}, reason => $r->{reason},
                                total => "-$amount" };
    my $done = 0;
    $done += $_->{amount} for @{$S->{wrefunds}{$o->{id}}};
    $o->{status} = 'refunded' if $done >= $o->{total};
    $o->{date_modified} = _wc_local($S, $now);
    $o->{date_modified_gmt} = _wc_gmt($now);
    $o->{_t}{modified} = $now;
    my %pub = %$o;
    delete $pub{_t};
    return (200, { refund => $r, order => \%pub });
}

1;
