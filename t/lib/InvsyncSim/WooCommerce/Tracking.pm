package InvsyncSim::WooCommerce;

# The WooCommerce simulator's shipped orders (§3.5): the Shipment Tracking
# extension's REST routes, /wp-json/wc-shipment-tracking/v3/orders/<id>/
# shipment-trackings (list, add, get, delete), kept in the order's
# _wc_shipment_tracking_items meta as the extension keeps them, and
# PUT /wc/v3/orders/<id> {"status": ...} (completed sets date_completed).
# Part of InvsyncSim::WooCommerce (loaded by InvsyncSim/WooCommerce.pm,
# whose helpers it uses), in a file of its own for its size.

use strict;
use warnings;

use InvsyncSim::Channel qw(:all);
use Digest::MD5 qw(md5_hex);
use POSIX qw(floor);
use Time::HiRes qw(time);

# The extension's providers, by the slug it makes of the name sent
# (sanitize_title): the name it shows and its link ("%s": the number).
my %PROVIDERS = (
    'usps'       => ['USPS', 'https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=%s'],
    'ups'        => ['UPS', 'https://www.ups.com/track?loc=en_US&tracknum=%s'],
    'fedex'      => ['Fedex', 'https://www.fedex.com/apps/fedextrack/?action=track&tracknumbers=%s'],
    'dhl-us'     => ['DHL US', 'https://www.logistics.dhl/us-en/home/tracking/tracking-ecommerce.html?tracking-id=%s'],
    'royal-mail' => ['Royal Mail', 'https://www.royalmail.com/track-your-item#/tracking-results/%s'],
    'dpd'        => ['DPD', 'https://tracking.dpd.de/parcelstatus?query=%s'],
    'canada-post' => ['Canada Post', 'https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=%s'],
);

my @STATUSES = qw(pending processing on-hold completed cancelled refunded
                  failed trash);

# The routes under /wp-json/wc-shipment-tracking/v3 ($path without it):
# (permission, code) or ().
sub _track_route {
    my ($S, $req, $path) = @_;
    my $m = $req->{method};
    return () unless $path =~ m{^/orders/(\d+)/shipment-trackings(?:/(\w+))?$};
    my ($oid, $tid) = ($1, $2);
    if (!defined $tid) {
        return ('view', sub { _track_list($S, $oid) }) if $m eq 'GET';
        return ('edit', sub { _track_add($S, $req, $oid) }) if $m eq 'POST';
        return ();
    }
    return ('view', sub { _track_one($S, $oid, $tid, 0) }) if $m eq 'GET';
    return ('edit', sub { _track_one($S, $oid, $tid, 1) }) if $m eq 'DELETE';
    return ();
}

# GET /_sim/state "shipped": each order's status and tracking items, for
# the tests
sub _track_state {
    my ($S) = @_;
    return [map { my $o = $_; +{ id => $o->{id} + 0, status => $o->{status},
        trackings => [map { _track_json($S, $o->{id}, $_) }
                      @{_track_items($o)}] } } @{$S->{orders}}];
}

# POST /_sim/tracked: each order completed with a tracking item, and when
# the later of the two was stored (epoch seconds, sub-second), for
# t/bench/order_tracking
sub _tracked {
    my ($S) = @_;
    return (200, { tracked => [map {
        my ($a, $b) = @{$_->{_t}}{qw(tracking completed)};
        [$_->{id} + 0, $a > $b ? $a : $b] }
        grep { $_->{status} eq 'completed' && $_->{_t}{tracking}
               && $_->{_t}{completed} } @{$S->{orders}}] });
}

# the order of that id, its position remembered as Shopify's
# _rest_order does (InvsyncSim/Shopify/Fulfillment.pm)
sub _track_order {
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

# the order's tracking items; the meta entry is made only to add one
sub _track_items {
    my ($o, $create) = @_;
    my ($meta) = grep { $_->{key} eq '_wc_shipment_tracking_items' }
                 @{$o->{meta_data}};
    return [] if !$meta && !$create;
    if (!$meta) {
        $meta = { id => int(rand 90000) + 10000,
                  key => '_wc_shipment_tracking_items', value => [] };
        push @{$o->{meta_data}}, $meta;
    }
    return $meta->{value};
}

sub _track_json {
    my ($S, $oid, $it) = @_;
    my ($name, $link) = ($it->{tracking_provider}, '');
    if (length $it->{custom_tracking_provider}) {
        ($name, $link) = @$it{qw(custom_tracking_provider custom_tracking_link)};
    } elsif (my $p = $PROVIDERS{$it->{tracking_provider}}) {
        ($name, $link) = ($p->[0], sprintf $p->[1], $it->{tracking_number});
    }
    my $self = $S->{conf}{site} . "wp-json/wc-shipment-tracking/v3/orders/"
             . "$oid/shipment-trackings";
    return { tracking_id => $it->{tracking_id}, tracking_provider => $name,
        tracking_link => $link, tracking_number => $it->{tracking_number},
        date_shipped => substr(_wc_local($S, $it->{date_shipped}), 0, 10),
        _links => { self => [{ href => "$self/$it->{tracking_id}" }],
                    collection => [{ href => $self }],
                    up => [{ href => $S->{conf}{site}
                                     . "wp-json/wc/v3/orders/$oid" }] } };
}

sub _track_noorder {
    return _werr(404, 'woocommerce_rest_order_invalid_id', 'Invalid order ID.');
}

sub _track_list {
    my ($S, $oid) = @_;
    my $o = _track_order($S, $oid) or return _track_noorder();
    return _wjson(200, [map { _track_json($S, $oid, $_) } @{_track_items($o)}]);
}

sub _track_one {
    my ($S, $oid, $tid, $delete) = @_;
    my $o = _track_order($S, $oid) or return _track_noorder();
    my $items = _track_items($o);
    my ($i) = grep { $items->[$_]{tracking_id} eq $tid } 0 .. $#$items;
    return _werr(404, 'woocommerce_rest_shipment_tracking_invalid_id',
                 'Invalid tracking ID.') unless defined $i;
    my $j = _track_json($S, $oid, $items->[$i]);
    splice @$items, $i, 1 if $delete;
    return _wjson(200, $j);
}

# POST {tracking_provider | custom_tracking_provider + custom_tracking_link,
# tracking_number, date_shipped}: 201, added beside any earlier ones
sub _track_add {
    my ($S, $req, $oid) = @_;
    my ($in, $err) = _woo_body($req);
    return $err if $err;
    my $o = _track_order($S, $oid) or return _track_noorder();
    my $num = $in->{tracking_number};
    return _werr(400, 'rest_missing_callback_param',
                 'Missing parameter(s): tracking_number',
                 params => ['tracking_number'])
        unless defined $num && !ref $num && length $num;
    my $shipped = time;
    if (defined $in->{date_shipped} && length $in->{date_shipped}) {
        $shipped = $in->{date_shipped} =~ /^\d+$/ ? $in->{date_shipped}
                 : _iso($in->{date_shipped}, $S->{conf}{utc_offset});
        return _werr(400, 'rest_invalid_param',
                     'Invalid parameter(s): date_shipped',
                     params => { date_shipped => 'Invalid date.' })
            unless defined $shipped;
    }
    my $prov = lc($in->{tracking_provider} // '') =~ s/[^a-z0-9]+/-/gr;
    $prov =~ s/^-+|-+$//g;
    my $it = { tracking_provider => $prov,
        custom_tracking_provider => $in->{custom_tracking_provider} // '',
        custom_tracking_link => $in->{custom_tracking_link} // '',
        tracking_number => "$num", date_shipped => floor($shipped),
        tracking_id => md5_hex($oid . $num . time . rand) };
    push @{_track_items($o, 1)}, $it;
    $o->{_t}{tracking} = time;
    _woo_order_touched($S, $o, time);
    return _wjson(201, _track_json($S, $oid, $it));
}

# PUT /wc/v3/orders/<id> {"status": ...}; other fields are ignored
sub _woo_order_put {
    my ($S, $req, $oid) = @_;
    my ($in, $err) = _woo_body($req);
    return $err if $err;
    my $o = _track_order($S, $oid)
        or return _werr(404, 'woocommerce_rest_shop_order_invalid_id',
                        'Invalid ID.');
    my $st = $in->{status};
    if (defined $st) {
        return _werr(400, 'rest_invalid_param', 'Invalid parameter(s): status',
                     params => { status => 'status is not one of '
                                 . join(', ', @STATUSES) . '.' })
            unless !ref $st && grep { $_ eq $st } @STATUSES;
        my $now = time;
        if ($st ne $o->{status}) {
            $o->{status} = $st;
            if ($st eq 'completed') {
                $o->{_t}{completed} = $now;
                $o->{date_completed} = _wc_local($S, $now);
                $o->{date_completed_gmt} = _wc_gmt($now);
            }
        }
        _woo_order_touched($S, $o, $now);
    }
    my %pub = %$o;
    delete $pub{_t};
    return _wjson(200, \%pub);
}

# a saved order: date_modified, and order.updated when subscribed
sub _woo_order_touched {
    my ($S, $o, $now) = @_;
    $o->{date_modified} = _wc_local($S, $now);
    $o->{date_modified_gmt} = _wc_gmt($now);
    $o->{_t}{modified} = $now;
    my $id = $o->{id};
    _woo_hook($S, 'order.updated', $S->{conf}{order_updated_webhook_id} // 13,
              $id, sub { my %p = %{_track_order($S, $id)}; delete $p{_t};
                         \%p }, $now);
}

1;
