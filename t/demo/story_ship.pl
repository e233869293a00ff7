# The demo's story, steps 5 to 7, loaded by t/demo/story (whose helpers
# and globals they use): an order split over the two warehouses, labelled
# and tracked; a refund restocked where it shipped from, with its journal
# lines; an order the 3PL ships.

use strict;
use warnings;

use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(time);
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);
use POSIX ();
use InvsyncSim;

our ($T, $DIR, %SHIP_TO, %WAREHOUSE);

sub step_split {
    my %was = (TSHIRT => on_hand('TSHIRT', 'wh1'), CAP => on_hand('CAP', 'wh2'));
    my $before = shown();
    my $t0 = time;
    my $o = InvsyncSim::order($T, 'shopify',
        shipping_address => $SHIP_TO{shopify},
        line_items => [{ sku => 'TSHIRT', quantity => 1 },
                       { sku => 'CAP', quantity => 1 }]);
    my $order = "shop-demo:$o->{id}";
    say_("5. an order for two SKUs kept in different warehouses: Shopify "
         . "order $o->{name}, 1 x TSHIRT (in Paris and Lyon) and 1 x CAP "
         . '(in Lyon only), to a customer in Paris');

    my ($why, $ms) = wait_until('the routing',
                                sub { ctl_maybe('route', 'explain', $order) },
                                $t0);
    line("routed after $ms ms, Paris first as the rule says; "
         . "invsyncctl route explain $order:");
    line("  $_") for split /\n/, $why;

    my $labels;
    ($labels, $ms) = wait_until('the labels', sub {
        my $b = labels($order);
        return @$b == 2 ? $b : undef }, $t0);
    line("two labels bought from the carrier after $ms ms:");
    line(sprintf '  %-30s %s %s, tracking %s, %s USD', $_->{reference},
                 $_->{carrier}, $_->{service}, $_->{tracking_code},
                 $_->{cost}) for @$labels;

    my $ful;
    ($ful, $ms) = wait_until('the tracking on Shopify',
                             sub { fulfilments($o->{id}, 2) }, $t0);
    line("the Shopify simulator has both fulfilments after $ms ms "
         . '(fulfillmentCreate, with the tracking):');
    for my $f (@$ful) {
        my $tr = $f->{tracking}[0] || {};
        line(sprintf '  fulfillment %s: %s %s %s', $f->{id},
             join(' + ', map { "$_->{quantity} x " . ($_->{sku} // '?') }
                  @{$f->{lines} || []}),
             $tr->{company} // '', $tr->{number} // '');
    }

    my $now;
    ($now, $ms) = wait_until('on hand at each warehouse', sub {
        my %n = (TSHIRT => on_hand('TSHIRT', 'wh1'),
                 CAP => on_hand('CAP', 'wh2'));
        return $n{TSHIRT} == $was{TSHIRT} - 1 && $n{CAP} == $was{CAP} - 1
               ? \%n : undef }, $t0);
    line("on hand after $ms ms: TSHIRT at wh1 $was{TSHIRT} -> $now->{TSHIRT}, "
         . "CAP at wh2 $was{CAP} -> $now->{CAP}");

    my $want = should_show();
    my %part = map { $_ => $want->{$_} } qw(TSHIRT CAP GIFT-SET);
    my $shown_ms = wait_shown('every channel after the shipments', \%part,
                              $t0);
    line("every channel follows, TSHIRT $before->{TSHIRT}{woocommerce} -> "
         . "$want->{TSHIRT}{woocommerce} and CAP $before->{CAP}{woocommerce} "
         . "-> $want->{CAP}{woocommerce}: ", took($shown_ms));
    return $o;
}


# ---- a refund, its restock and its journal lines ----------------------------

# Shopify's refunds/create for one unit of the order's TSHIRT line, with
# restock_type "return", signed with the shop's secret and sent to nginx,
# as Shopify sends it (the simulator makes no refunds itself).
sub send_refund {
    my ($o) = @_;
    my ($line) = grep { $_->{sku} eq 'TSHIRT' } @{$o->{line_items}};
    my $at = POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime);
    my $body = encode_json({
        id => 8001, order_id => $o->{id}, created_at => $at,
        processed_at => $at, note => 'too small',
        refund_line_items => [ {
            id => 8002, line_item_id => $line->{id}, quantity => 1,
            restock_type => 'return', subtotal => $line->{price},
            total_tax => 0,
            line_item => { id => $line->{id}, sku => 'TSHIRT',
                           quantity => 1 } } ],
        order_adjustments => [],
        transactions => [ { id => 8003, kind => 'refund',
                            status => 'success', amount => $line->{price},
                            currency => 'EUR' } ] });
    open my $fh, '<', "$DIR/shopify.secret" or die "story: secret: $!\n";
    my $secret = <$fh>;
    my $r = HTTP::Tiny->new(timeout => 10)->post(
        "http://127.0.0.1:$ENV{INVSYNC_DEMO_PORT}/hooks/shopify",
        { content => $body, headers => {
            'Content-Type' => 'application/json',
            'X-Shopify-Topic' => 'refunds/create',
            'X-Shopify-Hmac-Sha256' =>
                encode_base64(hmac_sha256($body, $secret), ''),
            'X-Shopify-Shop-Domain' => 'demo.myshopify.com',
            'X-Shopify-Webhook-Id' => 'demo-refund-8001' } });
    fail_step('the refund', "nginx answered $r->{status} $r->{content}")
        unless $r->{status} == 200;
    return "$line->{price} EUR";
}

sub journal_csv {
    my $day = POSIX::strftime('%Y-%m-%d', gmtime);
    my $csv = ctl('journal', 'export', '--from', $day, '--to', $day,
                  '--format', 'csv');
    return [grep { /\S/ } split /\r?\n/, $csv];
}

# The refund is of the T-shirt, shipped from wh1.  (The restock rules
# find where a line shipped from in its stock.ship audit entry, which a
# shipment does not write; they fall back to the channel's first stock
# location, wh1 here, so a refund of the cap, shipped from wh2, would be
# restocked at wh1 today: t/demo.t holds that as a TODO.)
sub step_refund {
    my ($o) = @_;
    my $order = "shop-demo:$o->{id}";
    my ($alloc) = grep { $_->{sku} eq 'TSHIRT' }
        @{decode_json(ctl('route', 'explain', $order, '--json'))->{allocation}};
    my $loc = $alloc->{location};
    my $was = on_hand('TSHIRT', $loc);
    my $before = shown();
    my $t0 = time;
    my $amount = send_refund($o);
    say_("6. a refund: Shopify's refunds/create for the TSHIRT of order "
         . "$o->{name}, $amount, restock_type return, signed and sent to "
         . 'nginx');

    my ($now, $ms) = wait_until('the restock', sub {
        my $n = on_hand('TSHIRT', $loc);
        return $n == $was + 1 ? $n : undef }, $t0);
    line("restocked after $ms ms at $loc, the warehouse it shipped from: "
         . "TSHIRT on hand $was -> $now");
    my $want = should_show();
    my $shown_ms = wait_shown('every channel after the refund',
                              { TSHIRT => $want->{TSHIRT} }, $t0);
    line("every channel back up, TSHIRT $before->{TSHIRT}{shopify} -> "
         . "$want->{TSHIRT}{shopify}: ", took($shown_ms));

    my $rows;
    ($rows, $ms) = wait_until('the journal', sub {
        my $r = journal_csv();
        return (grep { /^restock:/ } @$r) ? $r : undef }, $t0);
    line("its journal lines after $ms ms (invsyncctl journal export "
         . '--format csv, Xero\'s manual journal columns):');
    line("  $_") for @$rows;
    # *Amount is the sixth column; the demo's descriptions have no comma
    my $sum = 0;
    for (@$rows[1 .. $#$rows]) {
        my @f = split /,/;
        $sum += sprintf '%.0f', $f[5] * 100;
    }
    my $day = POSIX::strftime('%Y-%m-%d', gmtime);
    my $tb = ctl_json('journal', 'trial-balance', '--from', $day, '--to',
                      $day);
    my $eur = $tb->{currencies}{EUR} || {};
    fail_step('the journal', 'the lines do not sum to zero')
        if $sum != 0 || ($eur->{balance_minor} // 1) != 0;
    line('  (the refund: revenue reversed, owed to the customer; the '
         . 'restock: the T-shirt back in inventory at its cost)');
    line(sprintf 'they balance: debits %.2f = credits %.2f EUR, balance '
         . '0.00 (invsyncctl journal trial-balance)',
         ($eur->{debit_minor} // 0) / 100, ($eur->{credit_minor} // 0) / 100);
}

# ---- an order the 3PL ships ------------------------------------------------

# The 3PL simulator's order for a shipment (its reference is the shipment
# id), once it has one.
sub threepl_order {
    my ($shipment) = @_;
    my ($o) = grep { ($_->{reference_id} // '') eq $shipment }
              @{InvsyncSim::state($T, '3pl')->{orders} || []};
    return $o;
}

sub step_3pl {
    my $was = on_hand('POSTER', 'wh3');
    my $before = shown();
    my $t0 = time;
    my $o = InvsyncSim::order($T, 'woocommerce',
        shipping => $SHIP_TO{woocommerce},
        line_items => [{ sku => 'POSTER', quantity => 1 }]);
    my $shipment = "woo-demo:$o->{id}\@wh3";
    say_("7. an order the 3PL ships: WooCommerce order $o->{number}, 1 x "
         . "POSTER, kept only at wh3, $WAREHOUSE{wh3}");

    my ($sb, $ms) = wait_until('the order sent to the 3PL',
                               sub { threepl_order($shipment) }, $t0);
    line("routed to wh3 and sent to the 3PL after $ms ms: ShipBob order "
         . "$sb->{id}, reference $shipment, status $sb->{status}");

    # the warehouse packs and hands over the parcel: the simulator ships
    # it and sends its signed order.shipped notice to nginx
    my $t1 = time;
    my $ship = InvsyncSim::call($T, '3pl', 'ship', reference_id => $shipment,
                                carrier => 'USPS');
    my $tracking = $ship->{order}{shipments}[0]{tracking}{tracking_number}
                   // '?';
    line("the 3PL ships it (USPS $tracking) and sends its order.shipped "
         . 'notice, signed, to nginx');
    my $w;
    ($w, $ms) = wait_until('the 3PL\'s tracking on WooCommerce', sub {
        my ($x) = grep { $_->{id} == $o->{id} && @{$_->{trackings} || []} }
                  @{InvsyncSim::state($T, 'woocommerce')->{shipped}};
        return $x && $x->{status} eq 'completed' ? $x : undef }, $t1);
    my $tr = $w->{trackings}[0];
    line("its tracking ($tr->{tracking_provider} $tr->{tracking_number}) on "
         . "the WooCommerce order, status completed, $ms ms after the "
         . 'notice');

    my $now;
    ($now, $ms) = wait_until('on hand at the 3PL', sub {
        my $n = on_hand('POSTER', 'wh3');
        return $n == $was - 1 ? $n : undef }, $t0);
    my $want = should_show();
    my $shown_ms = wait_shown('every channel after the 3PL\'s shipment',
                              { POSTER => $want->{POSTER} }, $t0);
    line("POSTER on hand at wh3 $was -> $now, and every channel follows, "
         . "$before->{POSTER}{woocommerce} -> $want->{POSTER}{woocommerce}: "
         . took($shown_ms));
}

1;
