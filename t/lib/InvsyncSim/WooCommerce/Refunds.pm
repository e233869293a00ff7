package InvsyncSim::WooCommerce;

# The WooCommerce simulator's refunds: GET /wc/v3/orders/<id>/refunds as
# WooCommerce's REST refunds controller answers it (newest first; each
# line item with a negative quantity and negative money, and the order
# line it refunds in meta_data _refunded_item_id), and the control call
# POST /_sim/refund {order_id, amount, reason, line_items: [{id, quantity}],
# shipping} that makes one the way the shop's admin would: the order's
# refunds[] gains {id, reason, total: "-<amount>"}, and its status becomes
# refunded once the whole total is.  Part of InvsyncSim::WooCommerce
# (loaded by InvsyncSim/WooCommerce.pm, whose helpers it uses).

use strict;
use warnings;

use InvsyncSim::Channel qw(:all);
use Time::HiRes qw(time);

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
    unshift @{$S->{refunds}{$o->{id}}}, $r;
    unshift @{$o->{refunds}}, { id => $r->{id}, reason => $r->{reason},
                                total => "-$amount" };
    my $done = 0;
    $done += $_->{amount} for @{$S->{refunds}{$o->{id}}};
    $o->{status} = 'refunded' if $done >= $o->{total};
    $o->{date_modified} = _wc_local($S, $now);
    $o->{date_modified_gmt} = _wc_gmt($now);
    $o->{_t}{modified} = $now;
    my %pub = %$o;
    delete $pub{_t};
    return (200, { refund => $r, order => \%pub });
}

# GET /orders/<id>/refunds: (permission, code)
sub _refund_route {
    my ($S, $id) = @_;
    return ('list', sub {
        my ($o) = grep { $_->{id} == $id } @{$S->{orders}};
        return _werr(404, 'woocommerce_rest_order_invalid_id', 'Invalid order ID.')
            unless $o;
        return _wjson(200, $S->{refunds}{$id} // []);
    });
}

1;
