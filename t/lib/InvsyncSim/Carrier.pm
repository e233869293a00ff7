package InvsyncSim::Carrier;

# An EasyPost-shaped carrier label API (channel reference §13.1): shipments
# with addresses and a parcel answered with rates, a rate bought for a
# label, tracking code and cost, a label refunded (voided), shipments listed
# so a client that lost a buy's answer can find its label by the reference
# it sent; HTTP Basic with the API key as user; EasyPost's error bodies.
# docs/simulators.md, "Carrier simulator", says what is confirmed, what
# was chosen, and every difference from the real service.

use strict;
use warnings;

use parent -norequire, 'InvsyncSim::Channel';
use InvsyncSim::Channel qw(:all);
use MIME::Base64 qw(decode_base64);
use POSIX qw(strftime floor);
use Time::HiRes qw(time);

sub defaults {
    return {
        api_key       => 'EZTK_test',
        # what each rate costs: base + per_oz * parcel weight (ounces)
        rates         => [
            { carrier => 'USPS', service => 'GroundAdvantage', base => 4.20,
              per_oz => 0.05, delivery_days => 5 },
            { carrier => 'USPS', service => 'Priority', base => 7.52,
              per_oz => 0.08, delivery_days => 2 },
            { carrier => 'UPS', service => 'Ground', base => 9.80,
              per_oz => 0.06, delivery_days => 3 },
            { carrier => 'FedEx', service => 'FEDEX_2_DAY', base => 18.40,
              per_oz => 0.10, delivery_days => 2 },
        ],
        currency      => 'USD',
        refund_status => 'submitted',
        label_base    => 'https://easypost-files.s3.us-west-2.amazonaws.com'
                         . '/files/postage_label',
        mode          => 'test',
        # every buy answers this tracking code when set (bad input tests)
        tracking_code => undef,
    };
}


# ---- the hooks of InvsyncSim::Channel ----------------------------------------------

sub reset {
    my ($class, $S) = @_;
    %$S = (%$S, shipments => {}, order => [], by_ref => {}, seq => 0,
           bought => [], refunded => []);
}

sub define { return undef }

# what a test asserts: every shipment, and the buys and refunds in order
sub state {
    my ($class, $S) = @_;
    return {
        shipments => [map { _summary($S->{shipments}{$_}) } @{$S->{order}}],
        bought    => [@{$S->{bought}}],
        refunded  => [@{$S->{refunded}}],
    };
}

sub _summary {
    my ($s) = @_;
    my $r = $s->{selected_rate};
    return { id => $s->{id}, reference => $s->{reference},
             purchased => $r ? $TRUE : $FALSE,
             tracking_code => $s->{tracking_code},
             carrier => $r ? $r->{carrier} : undef,
             service => $r ? $r->{service} : undef,
             cost => $r ? $r->{rate} : undef,
             label_url => $s->{postage_label}
                          ? $s->{postage_label}{label_url} : undef,
             refund_status => $s->{refund_status} };
}

sub fault_answer {
    my ($class, $S, $f) = @_;
    my @ra = defined $f->{retry_after}
             ? ('Retry-After' => $f->{retry_after}) : ();
    if ($f->{mode} eq '429') {
        return _eperr(429, 'RATE_LIMITED', 'You have exceeded the rate limit. '
                      . 'Please reduce your request rate.', [], @ra);
    }
    my $st = $f->{status} // 503;
    if (($f->{body} // 'json') eq 'html') {
        my $t = "$st " . ($REASON{$st} // 'Error');
        return _html($st, "<html><head><title>$t</title></head><body><h1>$t"
                     . "</h1></body></html>\n", @ra);
    }
    return _eperr($st, $st == 503 ? 'SERVICE.UNAVAILABLE'
                                  : 'INTERNAL_SERVER_ERROR',
                  'We are experiencing technical difficulties. Please try '
                  . 'again later.', [], @ra);
}

# POST /_sim/refund_status {shipment_id, status}: the carrier's later
# answer to a refund request (submitted -> refunded or rejected)
sub control {
    my ($class, $S, $name, $in) = @_;
    return $class->SUPER::control($S, $name) unless $name eq 'refund_status';
    my $s = $S->{shipments}{$in->{shipment_id} // ''}
        or return (404, { error => 'no such shipment' });
    $s->{refund_status} = $in->{status};
    $s->{updated_at} = _ts(time);
    return (200, _summary($s));
}


# ---- the API ---------------------------------------------------------------------

sub _eperr {
    my ($status, $code, $msg, $errors, @h) = @_;
    return _json($status, { error => { code => $code, message => $msg,
                                       errors => $errors || [] } }, @h);
}

sub _ts { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(floor($_[0]))) }

sub _id {
    my ($prefix) = @_;
    return $prefix . '_' . join '', map { sprintf '%04x', int rand 65536 } 1 .. 8;
}

sub api {
    my ($class, $S, $req) = @_;
    my $c = $S->{conf};
    my ($user) = ($req->{headers}{authorization} // '') =~ /^Basic\s+(\S+)/i;
    $user = (split /:/, decode_base64($user), 2)[0] if defined $user;
    if (!defined $user || $user ne $c->{api_key}) {
        return _eperr(401, 'APIKEY.REQUIRED', 'Missing or invalid API key, '
            . 'please add it as the username in your HTTP basic auth.');
    }
    my ($m, $p) = ($req->{method}, $req->{path});
    $p =~ s{/$}{};
    return _create($S, $req) if $p eq '/v2/shipments' && $m eq 'POST';
    return _list($S, $req) if $p eq '/v2/shipments' && $m eq 'GET';
    if ($p =~ m{^/v2/shipments/([^/]+)(?:/(buy|refund))?$}) {
        my ($id, $act) = ($1, $2 // '');
        $id =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
        my $s = _find($S, $id)
            or return _eperr(404, 'NOT_FOUND',
                             'The requested resource could not be found.');
        return _json(200, $s) if !$act && $m eq 'GET';
        return _buy($S, $req, $s) if $act eq 'buy' && $m eq 'POST';
        return _refund($S, $s) if $act eq 'refund' && $m eq 'POST';
    }
    return _eperr(404, 'NOT_FOUND', 'The requested resource could not be found.');
}

# An id, or a reference in its place (EasyPost: "reference values ... may
# be used in place of id values"); references are not unique, so a
# purchased shipment wins over one not bought, then the newest.  The ids
# by reference are indexed (by_ref, oldest first): a scan of every
# shipment would make the look-up grow with the run (t/bench/order_tracking
# makes thousands).
sub _find {
    my ($S, $key) = @_;
    return $S->{shipments}{$key} if $S->{shipments}{$key};
    my @s = map { $S->{shipments}{$_} } reverse @{$S->{by_ref}{$key} || []};
    my ($bought) = grep { $_->{selected_rate} } @s;
    return $bought // $s[0];
}

sub _body {
    my ($req) = @_;
    my $in = length $req->{body} ? _decode($req->{body}) : {};
    return ref $in eq 'HASH' ? $in : undef;
}

# the fields an address and a parcel need; a list of FieldErrors
sub _check {
    my ($sh) = @_;
    my @e;
    for my $a (qw(to_address from_address)) {
        my $x = $sh->{$a};
        if (ref $x ne 'HASH') {
            push @e, { field => "shipment.$a", message => 'cannot be blank',
                       suggestion => undef };
            next;
        }
        for my $f (qw(street1 city zip country)) {
            push @e, { field => "shipment.$a.$f", message => 'cannot be blank',
                       suggestion => undef }
                unless defined $x->{$f} && !ref $x->{$f} && length $x->{$f};
        }
    }
    my $pc = $sh->{parcel};
    if (ref $pc ne 'HASH') {
        push @e, { field => 'shipment.parcel', message => 'cannot be blank',
                   suggestion => undef };
    } else {
        push @e, { field => 'shipment.parcel.weight',
                   message => 'must be greater than 0', suggestion => undef }
            unless defined $pc->{weight} && !ref $pc->{weight}
                   && $pc->{weight} =~ /^\d+(?:\.\d+)?$/ && $pc->{weight} > 0;
        for my $f (qw(length width height)) {
            push @e, { field => "shipment.parcel.$f",
                       message => 'must be a positive number',
                       suggestion => undef }
                if defined $pc->{$f} && (ref $pc->{$f}
                   || $pc->{$f} !~ /^\d+(?:\.\d+)?$/ || $pc->{$f} <= 0);
        }
    }
    return \@e;
}

sub _address {
    my ($S, $x, $now) = @_;
    return { %$x, id => _id('adr'), object => 'Address',
             mode => $S->{conf}{mode}, created_at => _ts($now),
             updated_at => _ts($now) };
}

# POST /v2/shipments {"shipment": {to_address, from_address, parcel,
# reference?, options?}}: 201 with the rates
sub _create {
    my ($S, $req) = @_;
    my $c = $S->{conf};
    my $in = _body($req);
    return _eperr(422, 'PARAMETER.INVALID', 'The request body is not valid '
                  . 'JSON.') unless $in;
    my $sh = $in->{shipment};
    return _eperr(422, 'PARAMETER.REQUIRED', 'Missing required parameter.',
                  [{ field => 'shipment', message => 'cannot be blank',
                     suggestion => undef }]) unless ref $sh eq 'HASH';
    my $errs = _check($sh);
    return _eperr(422, 'SHIPMENT.INVALID_PARAMS', 'Unable to create '
                  . 'shipment, one or more parameters were invalid.', $errs)
        if @$errs;
    my $now = time;
    my $id = _id('shp');
    my $pc = $sh->{parcel};
    my @rates = map {
        my $r = $_;
        # a rate's "text", when given, is answered as it is ("NaN", "-5")
        my $cost = $r->{text}
                   // sprintf '%.2f', $r->{base} + $r->{per_oz} * $pc->{weight};
        +{ id => _id('rate'), object => 'Rate', mode => $c->{mode},
           shipment_id => $id, carrier => $r->{carrier},
           service => $r->{service}, rate => $cost, currency => $c->{currency},
           retail_rate => $cost, retail_currency => $c->{currency},
           list_rate => $cost, list_currency => $c->{currency},
           delivery_days => $r->{delivery_days} + 0,
           est_delivery_days => $r->{delivery_days} + 0,
           delivery_date_guaranteed => $FALSE,
           carrier_account_id => 'ca_' . lc($r->{carrier}) . '_sim',
           created_at => _ts($now), updated_at => _ts($now) }
    } @{$c->{rates}};
    my $s = {
        id => $id, object => 'Shipment', mode => $c->{mode},
        reference => $sh->{reference}, status => 'unknown',
        created_at => _ts($now), updated_at => _ts($now), _t => $now,
        to_address => _address($S, $sh->{to_address}, $now),
        from_address => _address($S, $sh->{from_address}, $now),
        return_address => _address($S, $sh->{from_address}, $now),
        parcel => { %$pc, id => _id('prcl'), object => 'Parcel',
                    mode => $c->{mode}, created_at => _ts($now),
                    updated_at => _ts($now) },
        options => { currency => $c->{currency},
                     %{ref $sh->{options} eq 'HASH' ? $sh->{options} : {}} },
        rates => \@rates, selected_rate => undef, postage_label => undef,
        tracking_code => undef, tracker => undef, refund_status => undef,
        insurance => undef, messages => [], fees => [], is_return => $FALSE,
        batch_id => undef, scan_form => undef,
    };
    $S->{shipments}{$id} = $s;
    push @{$S->{order}}, $id;
    push @{$S->{by_ref}{$sh->{reference}}}, $id if defined $sh->{reference};
    return _json(201, _public($s));
}

sub _public {
    my ($s) = @_;
    my %x = %$s;
    delete $x{_t};
    return \%x;
}

sub _tracking_code {
    my ($carrier) = @_;
    my $d = sub { join '', map { int rand 10 } 1 .. $_[0] };
    return '1Z' . uc(join '', map { (0 .. 9, 'A' .. 'Z')[rand 36] } 1 .. 16)
        if $carrier eq 'UPS';
    return $d->(12) if $carrier eq 'FedEx';
    return '9400' . $d->(18);
}

# POST /v2/shipments/{id}/buy {"rate": {"id": ...}}: the charge
sub _buy {
    my ($S, $req, $s) = @_;
    my $in = _body($req)
        or return _eperr(422, 'PARAMETER.INVALID', 'The request body is not '
                         . 'valid JSON.');
    return _eperr(422, 'SHIPMENT.POSTAGE.EXISTS', 'Shipment already has '
                  . 'postage.') if $s->{selected_rate};
    my $rid = ref $in->{rate} eq 'HASH' ? $in->{rate}{id} : undef;
    return _eperr(422, 'PARAMETER.REQUIRED', 'Missing required parameter.',
                  [{ field => 'rate', message => 'cannot be blank',
                     suggestion => undef }])
        unless defined $rid && !ref $rid;
    my ($rate) = grep { $_->{id} eq $rid } @{$s->{rates}};
    return _eperr(422, 'SHIPMENT.RATE.INVALID', 'The rate does not belong to '
                  . 'this shipment.', [{ field => 'rate.id',
                  message => 'is invalid', suggestion => undef }])
        unless $rate;
    my $now = time;
    my $c = $S->{conf};
    my $code = $c->{tracking_code} // _tracking_code($rate->{carrier});
    my $pl = _id('pl');
    $s->{selected_rate} = $rate;
    $s->{tracking_code} = $code;
    $s->{status} = 'unknown';
    $s->{insurance} = $in->{insurance};
    $s->{updated_at} = _ts($now);
    $s->{postage_label} = {
        id => $pl, object => 'PostageLabel', label_date => _ts($now),
        label_file_type => 'image/png', label_resolution => 300,
        label_size => '4x6', label_type => 'default',
        label_url => "$c->{label_base}/" . strftime('%Y%m%d', gmtime $now)
                     . "/$pl.png",
        created_at => _ts($now), updated_at => _ts($now),
    };
    my $trk = _id('trk');
    $s->{tracker} = {
        id => $trk, object => 'Tracker', mode => $c->{mode},
        tracking_code => $code, status => 'pre_transit',
        carrier => $rate->{carrier}, shipment_id => $s->{id},
        public_url => "https://track.easypost.com/$trk",
        created_at => _ts($now), updated_at => _ts($now),
    };
    $s->{fees} = [
        { object => 'Fee', type => 'LabelFee', amount => '0.00000',
          charged => $TRUE, refunded => $FALSE },
        { object => 'Fee', type => 'PostageFee', amount => $rate->{rate},
          charged => $TRUE, refunded => $FALSE },
    ];
    push @{$S->{bought}}, { shipment_id => $s->{id},
        reference => $s->{reference}, rate_id => $rid,
        carrier => $rate->{carrier}, service => $rate->{service},
        cost => $rate->{rate}, tracking_code => $code, time => $now };
    $S->{note} = 'bought';
    return _json(200, _public($s));
}

# POST /v2/shipments/{id}/refund: the label voided
sub _refund {
    my ($S, $s) = @_;
    return _eperr(422, 'SHIPMENT.REFUND.UNAVAILABLE', 'Shipment has no '
                  . 'postage to refund.') unless $s->{selected_rate};
    return _eperr(422, 'SHIPMENT.REFUND.ALREADY_REQUESTED', 'A refund was '
                  . "already requested for this shipment "
                  . "($s->{refund_status}).") if $s->{refund_status};
    $s->{refund_status} = $S->{conf}{refund_status};
    $s->{updated_at} = _ts(time);
    push @{$S->{refunded}}, { shipment_id => $s->{id},
        reference => $s->{reference}, tracking_code => $s->{tracking_code},
        time => time };
    return _json(200, _public($s));
}

# GET /v2/shipments?page_size&before_id&after_id&purchased&start_datetime
# &end_datetime: newest first, {"shipments": [...], "has_more": bool}
sub _list {
    my ($S, $req) = @_;
    my $q = $req->{query};
    my $size = $q->{page_size} // 20;
    return _eperr(422, 'PARAMETER.INVALID', 'page_size must be between 1 and '
                  . '100.', [{ field => 'page_size', message => 'is invalid',
                  suggestion => undef }])
        unless $size =~ /^\d+$/ && $size >= 1 && $size <= 100;
    my @s = reverse map { $S->{shipments}{$_} } @{$S->{order}};
    my %pos = map { $S->{order}[$_] => $_ } 0 .. $#{$S->{order}};
    for (['before_id', -1], ['after_id', 1]) {
        my ($k, $dir) = @$_;
        next unless defined $q->{$k};
        my $at = $pos{$q->{$k}};
        return _eperr(404, 'NOT_FOUND', "$k: the requested resource could "
                      . 'not be found.') unless defined $at;
        @s = grep { ($pos{$_->{id}} <=> $at) == $dir } @s;
    }
    for (['start_datetime', 1], ['end_datetime', -1]) {
        my ($k, $dir) = @$_;
        next unless defined $q->{$k};
        my $t = _iso($q->{$k}, 0);
        return _eperr(422, 'PARAMETER.INVALID', "$k is not a valid datetime.",
                      [{ field => $k, message => 'is invalid',
                         suggestion => undef }]) unless defined $t;
        @s = grep { $dir > 0 ? $_->{_t} >= $t : $_->{_t} <= $t } @s;
    }
    if (defined $q->{purchased}) {
        my $want = _bool($q->{purchased});
        @s = grep { !!$_->{selected_rate} == !!$want } @s;
    }
    my $more = @s > $size ? $TRUE : $FALSE;
    splice @s, $size if @s > $size;
    return _json(200, { shipments => [map { _public($_) } @s],
                        has_more => $more });
}

1;
