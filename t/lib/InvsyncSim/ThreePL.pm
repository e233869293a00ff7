package InvsyncSim::ThreePL;

# A 3PL modelled on ShipBob's public Orders API: orders created with the
# merchant's reference_id (unique: a second create is refused with 422),
# read by id or by reference, cancelled; Bearer personal access token and
# the shipbob_channel_id header; and shipment notifications (order.shipped)
# sent back as signed webhooks when the test ships an order through the
# control call "ship" (late, twice, or not at all); and a return processed
# at the warehouse (control call "return") sent back as a signed
# return.completed.  docs/simulators.md,
# "3PL simulator", says what is ShipBob's, what was chosen, and why.

use strict;
use warnings;

use parent -norequire, 'InvsyncSim::Channel';
use InvsyncSim::Channel qw(:all);
use Digest::SHA qw(hmac_sha256 hmac_sha256_hex);
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX qw(strftime floor);
use Time::HiRes qw(time);

sub defaults {
    return {
        token           => 'sb_pat_test',
        channel_id      => 100101,
        channel_name    => 'invsync',
        location        => { id => 1, name => 'Cicero (IL)' },
        signing         => 'standard',   # or 'hmac'
        hmac_header     => 'X-Signature',
        webhook_secret  => 'whsec_' . encode_base64('shipbob-sim webhook key'
                                                    . ' 32b', ''),
        webhook_retries => [0.5, 1, 2],
        rate_limit_msg  => 'Rate limit is exceeded. Try again in 60 seconds.',
    };
}


# ---- the hooks of InvsyncSim::Channel ----------------------------------------------

sub reset {
    my ($class, $S) = @_;
    %$S = (%$S, orders => {}, by_ref => {}, seq => 0, products => {},
           cancels => 0, returns => {}, return_seq => 0, ship_due => []);
}

# items: the merchant's products, [{reference_id, name}]; an order line
# naming another reference_id must carry a name (ShipBob creates it)
sub define {
    my ($class, $S, @items) = @_;
    for my $it (@items) {
        return 'an item must be an object with reference_id'
            unless ref $it eq 'HASH' && defined $it->{reference_id};
        _product($S, $it->{reference_id}, $it->{name});
    }
    return undef;
}

sub _product {
    my ($S, $ref, $name) = @_;
    my $n = keys %{$S->{products}};
    # a product's id and its inventory item's id differ, as at ShipBob
    return $S->{products}{$ref} //= { id => 70000 + $n,
        inventory_id => 90000 + $n, reference_id => $ref,
        name => $name // $ref, sku => $ref };
}

sub state {
    my ($class, $S) = @_;
    my @o = sort { $a->{id} <=> $b->{id} } values %{$S->{orders}};
    return { cancels => $S->{cancels},
        orders => [map { +{ id => $_->{id}, reference_id => $_->{reference_id},
            status => $_->{status}, creates => $_->{_creates},
            shipment_status => $_->{shipments}[0]{status},
            products => [map { +{ reference_id => $_->{reference_id},
                                  quantity => $_->{quantity} } }
                         @{$_->{products}}],
            tracking => $_->{shipments}[0]{tracking} } } @o] };
}

# the orders auto_ship ships now, with the ship call's other keys (their
# notice late by delay_ms, times, same_id, gap_ms); one cancelled
# meanwhile is not shipped
sub tick {
    my ($class, $S, $now) = @_;
    my $q = $S->{ship_due} or return;
    while (@$q && $q->[0][0] <= $now) {
        my (undef, $id) = @{shift @$q};
        my %in = %{$S->{conf}{auto_ship}};
        delete $in{after_ms};
        _ship($S, { %in, order_id => $id })
            if $S->{orders}{$id} && $S->{orders}{$id}{status} eq 'Processing';
    }
}

sub fault_answer {
    my ($class, $S, $f) = @_;
    my @ra = ('Retry-After' => $f->{retry_after} // 60);
    if ($f->{mode} eq '429') {
        return _json(429, { statusCode => 429,
                            message => $S->{conf}{rate_limit_msg} }, @ra);
    }
    my $st = $f->{status} // 503;
    @ra = defined $f->{retry_after} ? ('Retry-After' => $f->{retry_after}) : ();
    if (($f->{body} // 'json') eq 'html') {
        my $t = "$st " . ($REASON{$st} // 'Error');
        return _html($st, "<html><head><title>$t</title></head><body><h1>$t"
                     . "</h1></body></html>\n", @ra);
    }
    return _problem($st, $REASON{$st} // 'Error', undef, @ra);
}

# POST /_sim/ship {order_id | reference_id, tracking_number, carrier,
# carrier_service, tracking_url, notify=true, times=1, same_id=true,
# delay_ms=0, gap_ms=0}
sub control {
    my ($class, $S, $name, $in) = @_;
    return _return($S, $in) if $name eq 'return';
    return $class->SUPER::control($S, $name) unless $name eq 'ship';
    return _ship($S, $in);
}

# the control call ship, and an order shipped by itself (auto_ship)
sub _ship {
    my ($S, $in) = @_;
    my $o = _find($S, $in) or return (404, { error => 'no such order' });
    return (409, { error => "order is $o->{status}" })
        if $o->{status} eq 'Cancelled';
    my $now = time;
    my $sh = $o->{shipments}[0];
    my $carrier = $in->{carrier} // 'USPS';
    my $num = $in->{tracking_number}
              // '9400' . join '', map { int rand 10 } 1 .. 18;
    $sh->{tracking} = { carrier => $carrier, tracking_number => $num,
        carrier_service => $in->{carrier_service} // 'Ground',
        tracking_url => $in->{tracking_url}
                        // "https://tracking.shipbob.com/$num",
        shipping_date => _ts($now), bol => undef, pro_number => undef,
        scac => undef };
    $sh->{status} = 'Completed';
    $sh->{last_update_at} = $sh->{last_tracking_update_at} =
        $sh->{actual_fulfillment_date} = _ts($now);
    $sh->{is_tracking_uploaded} = $TRUE;
    $o->{status} = 'Fulfilled';
    my $n = 0;
    if (_bool($in->{notify} // 1) && $S->{conf}{webhook_url}) {
        my $times = $in->{times} // 1;
        my $id = 'msg_' . _hex(12);
        for my $i (1 .. $times) {
            $id = 'msg_' . _hex(12) unless _bool($in->{same_id} // 1);
            _notify($S, $sh, $id, $now, (($in->{delay_ms} // 0)
                    + ($i - 1) * ($in->{gap_ms} // 0)) / 1000);
            $n++;
        }
    }
    return (200, { order => _public($o), deliveries => $n });
}


# ---- the API ---------------------------------------------------------------------

sub _ts { strftime('%Y-%m-%dT%H:%M:%S', gmtime(floor($_[0])))
          . sprintf('.%03d', ($_[0] - floor($_[0])) * 1000) . '+00:00' }

sub _hex { join '', map { sprintf '%04x', int rand 65536 } 1 .. $_[0] / 2 }

# ASP.NET Core's ProblemDetails, the shape of ShipBob's validation errors
sub _problem {
    my ($status, $title, $errors, @h) = @_;
    return _json($status, { type => 'https://tools.ietf.org/html/rfc9110',
        title => $title, status => $status + 0,
        traceId => '00-' . _hex(32) . '-' . _hex(16) . '-00',
        ($errors ? (errors => $errors) : ()) }, @h);
}

sub api {
    my ($class, $S, $req) = @_;
    my $c = $S->{conf};
    my $auth = $req->{headers}{authorization} // '';
    my ($tok) = $auth =~ /^Bearer\s+(\S+)$/i;
    if (!defined $tok || $tok ne $c->{token}) {
        return _json(401, { message => 'Authorization has been denied for '
                                       . 'this request.' },
                     'WWW-Authenticate' => 'Bearer');
    }
    my ($m, $p) = ($req->{method}, $req->{path});
    my ($rest) = $p =~ m{^/(?:\d\.\d|\d{4}-\d\d)(/.*)$};
    return _problem(404, 'Not Found') unless defined $rest;
    $rest =~ s{/$}{};
    my $ch = $req->{headers}{shipbob_channel_id};
    if (defined $ch && $ch ne $c->{channel_id}) {
        return _problem(403, 'Forbidden', { shipbob_channel_id =>
            ["The channel $ch does not belong to this token or has no "
             . 'write scope.'] });
    }
    if ($rest eq '/order' && $m eq 'POST') {
        return _problem(400, 'One or more validation errors occurred.',
            { shipbob_channel_id => ['The shipbob_channel_id header is '
                                     . 'required.'] }) unless defined $ch;
        return _create($S, $req);
    }
    return _list($S, $req) if $rest eq '/order' && $m eq 'GET';
    if ($rest =~ m{^/order/(\d+)(/cancel|/shipment)?$}) {
        my ($id, $act) = ($1, $2 // '');
        my $o = $S->{orders}{$id}
            or return _problem(404, 'Not Found', { orderId =>
                              ["Order $id was not found."] });
        return _json(200, _public($o)) if !$act && $m eq 'GET';
        return _json(200, [map { +{ %$_ } } @{$o->{shipments}}])
            if $act eq '/shipment' && $m eq 'GET';
        return _cancel($S, $o) if $act eq '/cancel' && $m eq 'POST';
    }
    return _problem(404, 'Not Found');
}

sub _find {
    my ($S, $in) = @_;
    return $S->{orders}{$in->{order_id}} if defined $in->{order_id};
    my $id = $S->{by_ref}{$in->{reference_id} // ''};
    return defined $id ? $S->{orders}{$id} : undef;
}

sub _public {
    my ($o) = @_;
    my %x = %$o;
    delete @x{grep { /^_/ } keys %x};
    return \%x;
}

# The required fields of ShipBob's CreateOrderModel; a ProblemDetails
# "errors" map or undef.
sub _check {
    my ($S, $in) = @_;
    my %e;
    my $need = sub { my ($k, $v) = @_;
        $e{$k} = ["The $k field is required."]
            unless defined $v && !ref $v && length $v };
    $need->('reference_id', $in->{reference_id});
    $e{reference_id} = ['The field reference_id must be a string with a '
                        . 'maximum length of 300.']
        if defined $in->{reference_id} && length $in->{reference_id} > 300;
    $need->('shipping_method', $in->{shipping_method});
    my $r = $in->{recipient};
    if (ref $r ne 'HASH') {
        $e{recipient} = ['The recipient field is required.'];
    } else {
        $need->('recipient.name', $r->{name});
        my $a = ref $r->{address} eq 'HASH' ? $r->{address} : {};
        $need->("recipient.address.$_", $a->{$_}) for qw(address1 city country);
    }
    my $ps = $in->{products};
    if (ref $ps ne 'ARRAY' || !@$ps) {
        $e{products} = ['The products field is required.'];
    } else {
        for my $i (0 .. $#$ps) {
            my $x = $ps->[$i];
            my $k = "products[$i]";
            if (ref $x ne 'HASH' || !defined($x->{reference_id} // $x->{id})) {
                $e{$k} = ['A product needs reference_id or id.'];
                next;
            }
            $e{"$k.quantity"} = ['The field quantity must be greater than 0.']
                unless defined $x->{quantity} && $x->{quantity} =~ /^\d+$/
                       && $x->{quantity} > 0;
            $e{"$k.name"} = ['The name field is required when no product '
                             . 'matches reference_id.']
                if defined $x->{reference_id} && !defined $x->{name}
                   && !$S->{products}{$x->{reference_id}};
        }
    }
    return %e ? \%e : undef;
}

# POST /{v}/order: 201 with the order and its one shipment
sub _create {
    my ($S, $req) = @_;
    my $c = $S->{conf};
    my $in = length $req->{body} ? _decode($req->{body}) : undef;
    return _problem(400, 'One or more validation errors occurred.',
        { '$' => ['The request body is not valid JSON.'] })
        unless ref $in eq 'HASH';
    my $e = _check($S, $in);
    return _problem(400, 'One or more validation errors occurred.', $e) if $e;
    if (defined(my $old = $S->{by_ref}{$in->{reference_id}})) {
        $S->{orders}{$old}{_creates}++;
        $S->{note} = 'duplicate reference_id';
        return _problem(422, 'Duplicate reference ID', { reference_id =>
            ["An order with reference_id '$in->{reference_id}' already "
             . 'exists.'] });
    }
    my $now = time;
    my $id = 100_000_000 + ++$S->{seq};
    my @products = map {
        my $p = _product($S, $_->{reference_id} // "id-$_->{id}", $_->{name});
        +{ id => $p->{id}, reference_id => $p->{reference_id},
           quantity => $_->{quantity} + 0, sku => $p->{sku},
           external_line_id => $_->{external_line_id},
           unit_price => $_->{unit_price}, gtin => undef, upc => undef,
           quantity_unit_of_measure_code => undef }
    } @{$in->{products}};
    my $sh = {
        id => 200_000_000 + $S->{seq}, order_id => $id,
        reference_id => $in->{reference_id}, recipient => $in->{recipient},
        created_date => _ts($now), last_update_at => _ts($now),
        last_tracking_update_at => undef, status => 'Processing',
        status_details => [], location => { %{$c->{location}} },
        tracking => undef, is_tracking_uploaded => $FALSE,
        ship_option => $in->{shipping_method}, invoice_amount => undef,
        insurance_value => undef, require_signature => $FALSE,
        estimated_fulfillment_date => undef,
        estimated_fulfillment_date_status => 'AwaitingInventoryAllocation',
        actual_fulfillment_date => undef, gift_message => undef,
        package_material_type => 'Unknown',
        products => [map { +{ id => $_->{id},
            reference_id => $_->{reference_id}, name =>
            $S->{products}{$_->{reference_id}}{name}, sku => $_->{sku},
            inventory_items => [{ id =>
            $S->{products}{$_->{reference_id}}{inventory_id}, name =>
            $S->{products}{$_->{reference_id}}{name},
            quantity => $_->{quantity} }] } } @products],
    };
    my $o = {
        id => $id, created_date => _ts($now),
        purchase_date => $in->{purchase_date},
        reference_id => $in->{reference_id},
        order_number => $in->{order_number}, status => 'Processing',
        type => $in->{type} // 'DTC',
        channel => { id => $c->{channel_id} + 0, name => $c->{channel_name} },
        shipping_method => $in->{shipping_method},
        recipient => $in->{recipient}, products => \@products,
        tags => $in->{tags} // [], shipments => [$sh],
        gift_message => $in->{gift_message}, shipping_terms => undef,
        financials => $in->{financials}, _creates => 1,
    };
    $S->{orders}{$id} = $o;
    $S->{by_ref}{$in->{reference_id}} = $id;
    # auto_ship: the warehouse ships every order after_ms after it came
    push @{$S->{ship_due}}, [$now + ($c->{auto_ship}{after_ms} // 0) / 1000,
                             $id] if ref $c->{auto_ship} eq 'HASH';
    return _json(201, _public($o));
}

# GET /{v}/order?ReferenceIds=a,b&Page=1&Limit=50
sub _list {
    my ($S, $req) = @_;
    my %q = map { lc($_) => $req->{query}{$_} } keys %{$req->{query}};
    my $page = $q{page} // 1;
    my $limit = $q{limit} // 50;
    return _problem(400, 'One or more validation errors occurred.',
        { Limit => ['The field Limit must be between 1 and 250.'] })
        unless $limit =~ /^\d+$/ && $limit >= 1 && $limit <= 250;
    return _problem(400, 'One or more validation errors occurred.',
        { Page => ['The field Page must be at least 1.'] })
        unless $page =~ /^\d+$/ && $page >= 1;
    # by reference through the index (references are unique): a sort of
    # every order for each look-up made the fault run's thousands of
    # finds quadratic, the simulator its bottleneck
    my @o = defined $q{referenceids}
        ? (map { $S->{orders}{$_} } grep { defined }
           map { $S->{by_ref}{$_} } keys %{{ map { $_ => 1 }
                                            split /,/, $q{referenceids} }})
        : values %{$S->{orders}};
    @o = sort { $b->{id} <=> $a->{id} } @o;
    my $total = @o;
    my $pages = $total ? int(($total + $limit - 1) / $limit) : 0;
    my @slice = grep { defined } @o[($page - 1) * $limit .. $page * $limit - 1];
    return _json(200, [map { _public($_) } @slice],
                 'total-count' => $total, 'page-number' => $page,
                 'total-pages' => $pages);
}

# POST /{v}/order/{id}/cancel: Success, or Failure once shipped
sub _cancel {
    my ($S, $o) = @_;
    my $sh = $o->{shipments}[0];
    my $ok = $sh->{status} ne 'Completed';
    if ($ok && $o->{status} ne 'Cancelled') {
        $o->{status} = 'Cancelled';
        $sh->{status} = 'Cancelled';
        $sh->{last_update_at} = _ts(time);
        $S->{cancels}++;
    }
    return _json(200, { order_id => $o->{id}, order => _public($o),
        status => $ok ? 'Success' : 'Failure',
        canceled_shipment_results => [{ action => 'Cancel',
            shipment_id => $sh->{id}, is_success => $ok ? $TRUE : $FALSE,
            reason => $ok ? undef : 'The shipment has already shipped.' }] });
}

# POST /_sim/return {reference_id (the merchant's RMA id),
# original_shipment_id, store_order_id, items: [{sku, quantity, actions:
# [{action: Restock|Quarantine|Dispose|Default, quantity}]}], times=1,
# same_id=true, notify=true}: a return order, processed and Completed as
# ShipBob's warehouse would, and return.completed sent with it as payload
# (the shape of GET /return/{id}, docs/channels/shipbob.md "Returns")
sub _return {
    my ($S, $in) = @_;
    return (400, { error => 'reference_id and items are required' })
        unless defined $in->{reference_id} && ref $in->{items} eq 'ARRAY';
    my $now = time;
    my $r = $S->{returns}{$in->{reference_id}} //= {
        id => 300000 + ++$S->{return_seq},
        reference_id => "$in->{reference_id}",
        insert_date => _ts($now), return_type => 'Regular',
        channel => { id => $S->{conf}{channel_id},
                     name => $S->{conf}{channel_name} },
        fulfillment_center => $S->{conf}{location},
        original_shipment_id => $in->{original_shipment_id},
        store_order_id => $in->{store_order_id},
        tracking_number => $in->{tracking_number}, transactions => [],
        invoice_amount => undef, customer_name => 'John Doe' };
    $r->{status} = 'Completed';
    $r->{completed_date} = _ts($now);
    $r->{inventory} = [map {
        my $it = $_;
        # named by its inventory id and the product's name only, as
        # ShipBob's return order is: no reference_id, no sku
        my $p = _product($S, $it->{sku}, $it->{sku});
        +{ id => $p->{inventory_id}, name => $p->{name},
           quantity => $it->{quantity},
           action_requested => { action => 'Default',
                                 action_type => 'InventoryDefault',
                                 instructions => undef },
           action_taken => [map { +{ action => $_->{action},
                                     action_reason => $_->{reason},
                                     lot_information => [],
                                     quantity_processed => $_->{quantity} } }
                            @{$it->{actions} // []}] } } @{$in->{items}}];
    my $n = 0;
    if (_bool($in->{notify} // 1) && $S->{conf}{webhook_url}) {
        my $id = 'msg_' . _hex(12);
        for (1 .. $in->{times} // 1) {
            $id = 'msg_' . _hex(12) unless _bool($in->{same_id} // 1);
            _notify_topic($S, 'return.completed', $r, $id, $now, 0);
            $n++;
        }
    }
    return (200, { return => $r, deliveries => $n });
}

# order.shipped, the shipment as payload, signed when each attempt leaves
# (Standard Webhooks, as ShipBob's webhook docs describe: the timestamp
# is signed, so a retry is signed anew)
sub _notify {
    my ($S, $sh, $id, $now, $delay) = @_;
    _notify_topic($S, 'order.shipped', $sh, $id, $now, $delay);
}

sub _notify_topic {
    my ($S, $topic, $obj, $id, $now, $delay) = @_;
    my $body = $JSON->encode({ %$obj });
    _wh_enqueue($S, { topic => $topic, http => '1.1',
                      prepare => sub { _sign($S, $_[0], $id, $body, $topic) } },
                $now);
    $S->{whq}[-1]{next_at} += $delay;
}

sub _sign {
    my ($S, $d, $id, $body, $topic) = @_;
    my $c = $S->{conf};
    my $secret = $c->{webhook_secret} // '';
    my @h = ('Content-Type' => 'application/json', 'webhook-id' => $id,
             'x-webhook-topic' => $topic // 'order.shipped');
    if ($c->{signing} eq 'hmac') {
        push @h, $c->{hmac_header} => 'sha256='
                                      . hmac_sha256_hex($body, $secret);
    } else {
        my $ts = int time;
        (my $k = $secret) =~ s/^whsec_//;
        push @h, 'webhook-timestamp' => $ts, 'webhook-signature' => 'v1,'
            . encode_base64(hmac_sha256("$id.$ts.$body", decode_base64($k)),
                            '');
    }
    $d->{body} = $body;
    $d->{headers} = \@h;
}

1;
