package InvsyncSim::Square;

# The Square API simulator (channels.md section 5): BatchChangeInventory
# (PHYSICAL_COUNT, idempotency_key replays), BatchRetrieveInventoryCounts
# with cursors, BatchRetrieveCatalogObjects of item variations, SearchOrders with cursors (in InvsyncSim/Square/Orders.pm,
# the same package), Bearer tokens and the Square-Version header, the
# {"errors":[...]} bodies, 429 RATE_LIMITED, and the webhooks
# inventory.count.updated, order.created and order.updated signed over the
# notification URL and the body.  docs/simulators.md, "Square simulator",
# says what follows which section and every deliberate difference.

use strict;
use warnings;

use parent -norequire, 'InvsyncSim::Channel';
use InvsyncSim::Channel qw(:all);
use Digest::SHA qw(hmac_sha256 sha256_hex);
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX qw(strftime floor);
use Time::HiRes qw(time);
use B ();
use InvsyncSim::Square::Orders ();

# ---- unconfirmed details, chosen here and nowhere else --------------------------
# (channels.md marks them [U] or leaves them open; docs/simulators.md,
# "Square simulator", lists the same choices)

our %CHOICE = (
    # a request without Square-Version gets the application's default
    # version; a malformed one is refused with this code
    bad_version_code   => 'INVALID_SQUARE_VERSION_FORMAT',
    # the same idempotency_key with another body
    key_reused_code    => 'IDEMPOTENCY_KEY_REUSED',
    # a physical count older (occurred_at) than the current one is
    # recorded but does not replace it
    older_count_wins   => 0,
    # a batch with any error applies none of its changes
    atomic             => 1,
    # one inventory.count.updated per request, with every count it changed
    counts_per_webhook => 'request',
    # an itemized sale's notice: each variation's IN_STOCK count, then its
    # SOLD count (Square's guide: a state adjustment is one notice of the
    # count before and the count after); 'in_stock': the IN_STOCK ones only
    sale_counts        => 'both',
    # 429 carries no Retry-After unless the fault gives one
    retry_after        => undef,
    # retries carry square-retry-number and square-retry-reason
    retry_headers      => 1,
);

sub defaults {
    return {
        token            => 'EAAAEtest_token',
        merchant_id      => '5S9MXCS9Y99KK',
        default_version  => '2025-10-16',
        notification_url => undef,     # the signed URL; else webhook_url
        webhook_types    => ['inventory.count.updated', 'order.created',
                             'order.updated'],
        webhook_retries  => [0.5, 1, 2],
        max_changes      => 100,
        counts_page      => 1000,     # the most counts one page holds
        orders_page      => 1000,     # the most orders one page holds
        max_rps          => 0,        # requests a second before 429; 0: no limit
        idempotency_ttl  => 86400,
        currency         => 'USD',
    };
}


# ---- the hooks of InvsyncSim::Channel ----------------------------------------------

sub reset {
    my ($class, $S) = @_;
    %$S = (%$S, counts => {}, sold => {}, variations => {}, locations => {},
           orders => [], idem => {}, changes => 0,
           second => [0, 0]);
}

# {catalog_object_id, location_id, quantity (a number or decimal string;
# undef: no count there yet), sku, name, price (minor units),
# track_inventory (default 1)}: the variation is present at each location
# it is defined at
sub define {
    my ($class, $S, @items) = @_;
    my $now = time;
    for my $it (@items) {
        return 'an item must be an object' unless ref $it eq 'HASH';
        my $id = $it->{catalog_object_id}
            or return 'catalog_object_id required';
        my $loc = $it->{location_id} // 'L1SIMLOCATION';
        # one variation at several locations: defined once, kept after
        my $v = $S->{variations}{$id} //= { sku => "SKU-$id",
                                            name => "Item $id", price => 1500 };
        $v->{$_} = $it->{$_} for grep { defined $it->{$_} }
                                 qw(sku name price track_inventory);
        $v->{price} += 0;
        $v->{at}{$loc} = 1;
        $S->{locations}{$loc} = 1;
        delete $S->{counts}{"$id/$loc"};
        next unless defined $it->{quantity};
        _set_count($S, $id, $loc, "$it->{quantity}", _rfc3339($now), $now);
    }
    return undef;
}

sub state {
    my ($class, $S) = @_;
    return { orders => scalar @{$S->{orders}}, changes => $S->{changes},
        idempotency_keys => scalar keys %{$S->{idem}},
        locations => [sort keys %{$S->{locations}}],
        counts => [map { _count_json($S->{counts}{$_}) }
                   sort keys %{$S->{counts}}] };
}

# (catalog object id, location id): the quantity as a number, undef when
# there is no count
sub quantity {
    my ($class, $s, $id, $loc) = @_;
    for my $c (@{$s->{counts}}) {
        return $c->{quantity} + 0
            if $c->{catalog_object_id} eq $id
               && (!defined $loc || $c->{location_id} eq $loc);
    }
    return undef;
}

# 429 RATE_LIMITED (section 5.5); 5xx as Square's API_ERROR bodies
sub fault_answer {
    my ($class, $S, $f) = @_;
    my $ra = $f->{retry_after} // $CHOICE{retry_after};
    my @ra = defined $ra ? ('Retry-After' => $ra) : ();
    return _err(429, 'RATE_LIMIT_ERROR', 'RATE_LIMITED',
                'Rate limit exceeded, please try again later.', undef, @ra)
        if $f->{mode} eq '429';
    my $st = $f->{status} // 503;
    return _html($st, "<html><body><h1>$st " . ($REASON{$st} // 'Error')
                 . "</h1></body></html>\n", @ra)
        if ($f->{body} // 'json') eq 'html';
    return _err($st, 'API_ERROR', $st == 503 ? 'SERVICE_UNAVAILABLE'
                : $st == 504 ? 'GATEWAY_TIMEOUT' : 'INTERNAL_SERVER_ERROR',
                'An internal error has occurred, and the API was unable to '
                . 'service your request.', undef, @ra);
}


# ---- answers -------------------------------------------------------------------------

# {"errors":[{category, code, detail, field}]}, field left out when undef
sub _err {
    my ($status, $category, $code, $detail, $field, @h) = @_;
    return _json($status, { errors => [_error($category, $code, $detail,
                                              $field)] }, @h);
}

sub _error {
    my ($category, $code, $detail, $field) = @_;
    return { category => $category, code => $code, detail => $detail,
             defined $field ? (field => $field) : () };
}

sub _invalid {
    my ($code, $detail, $field) = @_;
    return _error('INVALID_REQUEST_ERROR', $code, $detail, $field);
}

# "2026-11-26T10:05:30.123Z": Square's times, UTC with milliseconds
sub _rfc3339 {
    my ($t) = @_;
    return strftime('%Y-%m-%dT%H:%M:%S', gmtime(floor($t)))
        . sprintf('.%03dZ', ($t - floor($t)) * 1000);
}

# a Square object id: upper-case letters and digits
sub _sq_id {
    my ($n) = @_;
    my @c = ('A' .. 'Z', 0 .. 9);
    return join '', map { $c[int rand @c] } 1 .. $n;
}

# an opaque cursor: the offset and a digest of the query it pages
sub _cursor {
    my ($off, $q) = @_;
    return encode_base64($JSON->encode({ o => $off + 0,
        q => substr(sha256_hex($JSON->encode($q)), 0, 16) }), '')
        =~ tr/+\/=/-_/dr;
}

# the offset a cursor holds, 0 for none, undef when it is not ours or
# pages another query
sub _uncursor {
    my ($c, $q) = @_;
    return 0 unless defined $c;
    my $d = _decode(decode_base64($c =~ tr/-_/+\//r));
    return undef unless ref $d eq 'HASH' && defined $d->{o}
        && $d->{q} eq substr(sha256_hex($JSON->encode($q)), 0, 16);
    return $d->{o};
}


# ---- the API -------------------------------------------------------------------------

my %ROUTES = (
    '/v2/inventory/changes/batch-create' => \&_batch_change,
    '/v2/inventory/counts/batch-retrieve' => \&_batch_retrieve,
    '/v2/orders/search' => \&InvsyncSim::Square::Orders::search,
    '/v2/catalog/batch-retrieve' => \&_catalog_retrieve,
);

sub api {
    my ($class, $S, $req) = @_;
    my $c = $S->{conf};
    my $run = $ROUTES{$req->{path}};
    my $ver = $req->{headers}{'square-version'};
    my @h = ('Square-Version' => $ver // $c->{default_version});

    return _err(404, 'INVALID_REQUEST_ERROR', 'NOT_FOUND',
                "API endpoint for URL path `$req->{path}` and HTTP method "
                . "`$req->{method}` is not found.", undef, @h)
        unless $run && $req->{method} eq 'POST';
    if (($req->{headers}{authorization} // '') ne "Bearer $c->{token}") {
        return _err(401, 'AUTHENTICATION_ERROR', 'UNAUTHORIZED',
                    'This request could not be authorized.', undef, @h);
    }
    if (defined $ver && $ver !~ /^\d{4}-\d\d-\d\d$/) {
        return _err(400, 'INVALID_REQUEST_ERROR', $CHOICE{bad_version_code},
                    "Invalid Square-Version format: $ver", undef, @h);
    }
    if (_over_rate($S)) {
        $S->{note} = 'rate limited';
        return _err(429, 'RATE_LIMIT_ERROR', 'RATE_LIMITED',
                    'Rate limit exceeded, please try again later.', undef, @h);
    }
    my $in = _decode($req->{body});
    return _err(400, 'INVALID_REQUEST_ERROR', 'BAD_REQUEST',
                'The request body is not a JSON object.', undef, @h)
        unless ref $in eq 'HASH';
    my $r = $run->($S, $in, $req);
    push @{$r->{headers}}, @h;
    return $r;
}

# max_rps requests in one wall-clock second, then 429 until the next
sub _over_rate {
    my ($S) = @_;
    my $max = $S->{conf}{max_rps} or return 0;
    my $sec = floor(time);
    $S->{second} = [$sec, 0] if $S->{second}[0] != $sec;
    return ++$S->{second}[1] > $max;
}

# POST /v2/inventory/changes/batch-create (section 5.3)
sub _batch_change {
    my ($S, $in, $req) = @_;
    my $key = $in->{idempotency_key};
    return _err(400, 'INVALID_REQUEST_ERROR', 'MISSING_REQUIRED_PARAMETER',
                'Missing required parameter.', 'idempotency_key')
        unless defined $key && !ref $key && length $key;
    _idem_expire($S);
    my $digest = sha256_hex($JSON->encode($in));
    if (my $seen = $S->{idem}{$key}) {
        $S->{note} = 'idempotent replay';
        return $seen->{answer} if $seen->{digest} eq $digest;
        return _err(400, 'INVALID_REQUEST_ERROR', $CHOICE{key_reused_code},
                    'The idempotency key has already been used with a '
                    . 'different request.', 'idempotency_key');
    }
    my $answer = _apply_changes($S, $in);
    # an answer that refused the request is not kept: a retry may succeed
    $S->{idem}{$key} = { digest => $digest, answer => $answer, at => time }
        if $answer->{status} == 200;
    return $answer;
}

sub _idem_expire {
    my ($S) = @_;
    my $old = time - $S->{conf}{idempotency_ttl};
    delete $S->{idem}{$_}
        for grep { $S->{idem}{$_}{at} < $old } keys %{$S->{idem}};
}

sub _apply_changes {
    my ($S, $in) = @_;
    my $ch = $in->{changes};
    return _err(400, 'INVALID_REQUEST_ERROR', 'MISSING_REQUIRED_PARAMETER',
                'Missing required parameter.', 'changes')
        unless ref $ch eq 'ARRAY' && @$ch;
    return _err(400, 'INVALID_REQUEST_ERROR', 'ARRAY_LENGTH_TOO_LONG',
                "Array length must be at most $S->{conf}{max_changes}.",
                'changes')
        if @$ch > $S->{conf}{max_changes};

    my @errors = map { _check_change($S, $ch->[$_], $_) } 0 .. $#$ch;
    return _json(400, { errors => \@errors }) if @errors && $CHOICE{atomic};

    my $ignore = _bool($in->{ignore_unchanged_counts} // 1);
    my $now = time;
    my (@counts, @changes, @moved);
    for my $c (@$ch) {
        my $p = $c->{physical_count};
        my $id = $p->{catalog_object_id};
        my $k = "$id/$p->{location_id}";
        my $cur = $S->{counts}{$k};
        my $q = _canon_qty($p->{quantity});
        my $same = $cur && $cur->{quantity} eq $q;
        if (!($same && $ignore)) {
            push @changes, { type => 'PHYSICAL_COUNT', physical_count => {
                %$p, quantity => $q, id => _sq_id(26),
                created_at => _rfc3339($now), source => { product => 'EXTERNAL_API' } } };
            $S->{changes}++;
            my $newer = !$cur || $CHOICE{older_count_wins}
                || (_iso($p->{occurred_at}) // 0) >= $cur->{occurred_t};
            if ($newer && !$same) {
                _set_count($S, $id, $p->{location_id}, $q, $p->{occurred_at},
                           $now);
                push @moved, $S->{counts}{$k};
            }
        }
        push @counts, _count_json($S->{counts}{$k});
    }
    _count_hooks($S, \@moved, $now);
    return _json(200, { counts => \@counts, changes => \@changes });
}

# the errors of one change, Square's field paths
sub _check_change {
    my ($S, $c, $i) = @_;
    my $f = "changes[$i]";
    return _invalid('EXPECTED_OBJECT', 'Expected an object.', $f)
        unless ref $c eq 'HASH';
    return _invalid('INVALID_VALUE', 'simulator: only PHYSICAL_COUNT changes '
                    . 'are simulated.', "$f.type")
        unless ($c->{type} // '') eq 'PHYSICAL_COUNT';
    my $p = $c->{physical_count};
    return _invalid('MISSING_REQUIRED_PARAMETER', 'Missing required '
                    . 'parameter.', "$f.physical_count")
        unless ref $p eq 'HASH';
    $f .= '.physical_count';
    my @e;
    for my $name (qw(catalog_object_id location_id quantity state
                     occurred_at)) {
        next if defined $p->{$name};
        push @e, _invalid('MISSING_REQUIRED_PARAMETER',
                          'Missing required parameter.', "$f.$name");
    }
    return @e if @e;
    my $id = $p->{catalog_object_id};
    push @e, _invalid('NOT_FOUND', "Item variation with catalog object ID "
                      . "`$id` not found.", "$f.catalog_object_id")
        unless $S->{variations}{$id};
    push @e, _invalid('NOT_FOUND', "Location with ID `$p->{location_id}` "
                      . 'not found.', "$f.location_id")
        unless $S->{locations}{$p->{location_id}};
    # before any regular expression reads it (which makes it a string too)
    if (_is_number($p->{quantity})) {
        push @e, _invalid('EXPECTED_STRING', 'Expected a string value.',
                          "$f.quantity");
    } elsif (ref $p->{quantity} || $p->{quantity} !~ /^\d+(?:\.\d{1,5})?$/) {
        push @e, _invalid('INVALID_VALUE', 'Invalid quantity.',
                          "$f.quantity");
    }
    push @e, _invalid('INVALID_VALUE', 'simulator: only the IN_STOCK state '
                      . 'is simulated.', "$f.state")
        unless $p->{state} eq 'IN_STOCK';
    push @e, _invalid('INVALID_VALUE', 'Invalid timestamp.', "$f.occurred_at")
        unless defined _iso($p->{occurred_at});
    return @e;
}

# a JSON number as the decoder gave it (Square wants decimal strings)
sub _is_number {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $fl = B::svref_2object(\$v)->FLAGS;
    return ($fl & (B::SVf_IOK() | B::SVf_NOK())) && !($fl & B::SVf_POK())
           ? 1 : 0;
}

# "53.00" is kept as Square keeps it: trailing zeros dropped
sub _canon_qty {
    my ($q) = @_;
    $q =~ s/(\.\d*?)0+$/$1/;
    $q =~ s/\.$//;
    return $q;
}

sub _set_count {
    my ($S, $id, $loc, $q, $occurred, $now) = @_;
    $S->{counts}{"$id/$loc"} = { catalog_object_id => $id, location_id => $loc,
        quantity => _canon_qty("$q"), occurred_t => _iso($occurred) // $now,
        calculated_at => _rfc3339($now) };
}

sub _count_json {
    my ($c) = @_;
    return { catalog_object_id => $c->{catalog_object_id},
             catalog_object_type => 'ITEM_VARIATION', state => 'IN_STOCK',
             location_id => $c->{location_id}, quantity => $c->{quantity},
             calculated_at => $c->{calculated_at} };
}

# POST /v2/inventory/counts/batch-retrieve (section 5.6)
sub _batch_retrieve {
    my ($S, $in) = @_;
    my $limit = $in->{limit} // 1000;
    return _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE',
                'Limit must be between 1 and 1000.', 'limit')
        unless !ref $limit && $limit =~ /^\d+$/ && $limit >= 1
               && $limit <= 1000;
    for my $name (qw(catalog_object_ids location_ids states)) {
        return _err(400, 'INVALID_REQUEST_ERROR', 'EXPECTED_ARRAY',
                    'Expected an array.', $name)
            if defined $in->{$name} && ref $in->{$name} ne 'ARRAY';
    }
    my %ids = map { $_ => 1 } @{$in->{catalog_object_ids} || []};
    my %locs = map { $_ => 1 } @{$in->{location_ids} || []};
    my %states = map { $_ => 1 } @{$in->{states} || []};
    my $after = _iso($in->{updated_after});
    my @c = grep { (!%ids || $ids{$_->{catalog_object_id}})
                   && (!%locs || $locs{$_->{location_id}})
                   && (!%states || $states{IN_STOCK})
                   && (!defined $after || _iso($_->{calculated_at}) > $after) }
            map { $S->{counts}{$_} } sort keys %{$S->{counts}};
    my %q = %$in;
    delete @q{qw(cursor limit)};
    my $off = _uncursor($in->{cursor}, \%q);
    return _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_CURSOR',
                'The cursor is not valid.', 'cursor')
        unless defined $off;
    $limit = $S->{conf}{counts_page} if $S->{conf}{counts_page} < $limit;
    my @page = grep { defined } @c[$off .. $off + $limit - 1];
    my $out = @page ? { counts => [map { _count_json($_) } @page] } : {};
    $out->{cursor} = _cursor($off + $limit, \%q) if $off + $limit < @c;
    return _json(200, $out);
}


# POST /v2/catalog/batch-retrieve: the variations of object_ids that exist,
# each as an ITEM_VARIATION present at the locations it was defined at; an
# unknown id is left out (docs/simulators.md)
sub _catalog_retrieve {
    my ($S, $in) = @_;
    my $ids = $in->{object_ids};
    return _err(400, 'INVALID_REQUEST_ERROR', 'EXPECTED_ARRAY',
                'Expected an array.', 'object_ids')
        unless ref $ids eq 'ARRAY';
    return _err(400, 'INVALID_REQUEST_ERROR', 'INVALID_VALUE',
                'object_ids: must not be empty', 'object_ids')
        unless @$ids;
    my (@objects, %seen);
    for my $id (grep { !ref && !$seen{$_}++ } @$ids) {
        my $v = $S->{variations}{$id} or next;
        push @objects, { type => 'ITEM_VARIATION', id => $id,
            version => 1643151296405, is_deleted => $FALSE,
            present_at_all_locations => $FALSE,
            present_at_location_ids => [sort keys %{$v->{at} || {}}],
            item_variation_data => { item_id => "ITEM$id", name => $v->{name},
                sku => $v->{sku}, pricing_type => 'FIXED_PRICING',
                price_money => { amount => $v->{price},
                                 currency => $S->{conf}{currency} },
                track_inventory => ($v->{track_inventory} // 1)
                                   ? $TRUE : $FALSE } };
    }
    return _json(200, @objects ? { objects => \@objects } : {});
}


# ---- the seller's dashboard: counts changed by hand -------------------------------

sub _find_variation {
    my ($S, $in) = @_;
    return $in->{catalog_object_id} if defined $in->{catalog_object_id};
    return undef unless defined $in->{sku};
    my ($id) = grep { $S->{variations}{$_}{sku} eq $in->{sku} }
               sort keys %{$S->{variations}};
    return $id;
}

# {catalog_object_id or sku, location_id, quantity}: a physical count
# taken in the dashboard, with its webhook when it changed the count.
# {counts: [{catalog_object_id or sku, location_id, quantity, state}]}:
# several counts changed by one action (a batch edit, a sale moving units
# from IN_STOCK to SOLD), all in one notice, in the order given: an
# IN_STOCK count (the default) changes the count and is in the notice
# when it changed it; a count in another state is not kept (only IN_STOCK
# is simulated) and is in the notice as given
sub admin_set {
    my ($class, $S, $in) = @_;
    return _admin_counts($S, $in->{counts}) if ref $in->{counts} eq 'ARRAY';
    my $id = _find_variation($S, $in);
    return (404, { error => 'no such variation' })
        unless defined $id && $S->{variations}{$id};
    my $loc = $in->{location_id} // (sort keys %{$S->{locations}})[0];
    return (400, { error => 'quantity required' })
        unless defined $in->{quantity};
    my $now = time;
    my $cur = $S->{counts}{"$id/$loc"};
    my $q = _canon_qty("$in->{quantity}");
    if (!$cur || $cur->{quantity} ne $q) {
        _set_count($S, $id, $loc, $q, _rfc3339($now), $now);
        $S->{changes}++;
        _count_hooks($S, [$S->{counts}{"$id/$loc"}], $now);
    }
    return (200, _count_json($S->{counts}{"$id/$loc"}));
}

sub _admin_counts {
    my ($S, $list) = @_;
    my $now = time;
    my (@notice, @checked);
    for my $c (@$list) {
        my $id = ref $c eq 'HASH' ? _find_variation($S, $c) : undef;
        return (404, { error => 'no such variation' })
            unless defined $id && $S->{variations}{$id};
        return (400, { error => 'quantity required' })
            unless defined $c->{quantity};
        push @checked, [$id, $c->{location_id}
                             // (sort keys %{$S->{locations}})[0], $c];
    }
    for my $k (@checked) {
        my ($id, $loc, $c) = @$k;
        my $state = $c->{state} // 'IN_STOCK';
        my $q = _canon_qty("$c->{quantity}");
        if ($state ne 'IN_STOCK') {
            push @notice, { %{_count_json({ catalog_object_id => $id,
                location_id => $loc, quantity => $q,
                calculated_at => _rfc3339($now) })}, state => $state };
            next;
        }
        my $cur = $S->{counts}{"$id/$loc"};
        next if $cur && $cur->{quantity} eq $q;
        _set_count($S, $id, $loc, $q, _rfc3339($now), $now);
        $S->{changes}++;
        push @notice, _count_json($S->{counts}{"$id/$loc"});
    }
    _hook($S, 'inventory.count.updated', 'inventory', _uuid(),
          { inventory_counts => \@notice }, $now) if @notice;
    return (200, { counts => \@notice });
}

sub order { return InvsyncSim::Square::Orders::order(@_) }


# ---- webhooks (sections 5.1 and 5.2) ------------------------------------------------

sub _count_hooks {
    my ($S, $moved, $now) = @_;
    return unless @$moved;
    my @groups = $CHOICE{counts_per_webhook} eq 'request'
                 ? ($moved) : map { [$_] } @$moved;
    for my $g (@groups) {
        _hook($S, 'inventory.count.updated', 'inventory', _uuid(),
              { inventory_counts => [map { $_->{state}
                                           ? $_ : _count_json($_) } @$g] },
              $now);
    }
}

# the SOLD count a sale leaves of a variation at a location (only sent in
# notices: counts other than IN_STOCK are not read back)
sub sold_count {
    my ($S, $id, $loc, $qty, $now) = @_;
    my $q = ($S->{sold}{"$id/$loc"} // 0) + $qty;
    $S->{sold}{"$id/$loc"} = $q;
    return { %{_count_json({ catalog_object_id => $id, location_id => $loc,
                             quantity => _canon_qty("$q"),
                             calculated_at => _rfc3339($now) })},
             state => 'SOLD' };
}

# One event to webhook_url, signed over notification_url (or webhook_url)
# and the body with webhook_secret used as it is.
sub _hook {
    my ($S, $type, $dtype, $did, $object, $now) = @_;
    my $c = $S->{conf};
    return unless $c->{webhook_url};
    return unless grep { $_ eq $type } @{$c->{webhook_types}};
    my $body = $JSON->encode({ merchant_id => $c->{merchant_id},
        type => $type, event_id => _uuid(),
        created_at => _utc_micro($now),
        data => { type => $dtype, id => $did, object => $object } });
    my $url = $c->{notification_url} // $c->{webhook_url};
    my $sig = encode_base64(hmac_sha256($url . $body,
                                        $c->{webhook_secret} // ''), '');
    _wh_enqueue($S, { topic => $type, body => $body, http => '1.1',
        headers => [
            'Content-Type' => 'application/json',
            'User-Agent' => 'Square Connect v2',
            'Square-Version' => $c->{default_version},
            'Square-Environment' => 'Production',
            'X-Square-HmacSha256-Signature' => $sig,
        ] }, $now);
}

# a retry says which one it is (section 5.2 marks the headers [U])
sub webhook_done {
    my ($class, $S, $d, $ok) = @_;
    return if $ok || !$CHOICE{retry_headers};
    my %h = @{$d->{headers}};
    delete @h{qw(square-retry-number square-retry-reason)};
    $d->{headers} = [%h, 'square-retry-number' => $d->{attempt},
                     'square-retry-reason' => 'http_error'];
}

1;
