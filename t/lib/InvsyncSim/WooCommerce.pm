package InvsyncSim::WooCommerce;

# The WooCommerce REST API v3 simulator: products and variations (PUT,
# batch, lists), orders, Basic or query-string keys and their permission
# errors, and the webhooks product.updated and order.created with the
# payload built at delivery time.  docs/simulators.md, "WooCommerce
# simulator", says what follows which section of the channel reference.
# Shipment tracking and order status updates are in
# InvsyncSim/WooCommerce/Tracking.pm, refunds in
# InvsyncSim/WooCommerce/Refunds.pm, the same package.

use strict;
use warnings;

use parent -norequire, 'InvsyncSim::Channel';
use InvsyncSim::Channel qw(:all);
use JSON::PP;
use Digest::SHA qw(hmac_sha256);
use Digest::MD5 qw(md5_hex);
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX qw(strftime floor ceil);
use Time::HiRes qw(time);
use InvsyncSim::WooCommerce::Tracking ();
use InvsyncSim::WooCommerce::Refunds ();

# wp_json_encode(): PHP's json_encode escapes "/" and non-ASCII
my $WPJSON = JSON::PP->new->utf8->ascii->escape_slash->canonical
                       ->allow_nonref;

# the same bytes, three times faster for the usual all-ASCII answer: JSON::PP
# escapes character by character, and a 100-product batch answer (65 KB)
# cost 36 ms of the simulator's CPU, paid by the benchmark's 2 cores
sub _wp_encode {
    my ($data) = @_;
    my $s = $JSON->encode($data);
    return $WPJSON->encode($data) if $s =~ /[^\x00-\x7f]/;
    $s =~ s{/}{\\/}g;          # "/" occurs in JSON text only inside strings
    return $s;
}

sub defaults {
    return {
        consumer_key       => 'ck_test',
        consumer_secret    => 'cs_test',
        strict_ssl         => 0,
        site               => 'https://shop.example.com/',
        product_webhook_id => 11,
        order_webhook_id   => 12,
        coalesce           => 1,
        noop_webhooks      => 1,
        variation_webhooks => 'parent',
        max_failures       => 5,
        batch_limit        => 100,
        webhook_retries    => [],
        wc_version         => '9.4.2',
        wp_version         => '6.7.1',
        webhook_topics     => ['product.updated', 'order.created'],
    };
}


# ---- the hooks of InvsyncSim::Channel ----------------------------------------------

sub reset {
    my ($class, $S) = @_;
    %$S = (%$S, products => {}, orders => [], hooks => {}, seq => 1000,
           wrefunds => {});
}

sub define {
    my ($class, $S, @items) = @_;
    my $now = time;
    for my $it (@items) {
        return 'an item must be an object' unless ref $it eq 'HASH';
        my $id = $it->{id} or return 'id required';
        my $pid = $it->{parent_id} // 0;
        if ($pid && !$S->{products}{$pid}) {
            $S->{products}{$pid} = _woo_new($S, { id => $pid,
                type => 'variable', manage_stock => $FALSE }, $now);
        }
        my $p = _woo_new($S, $it, $now);
        $S->{products}{$id} = $p;
        if ($pid) {
            my $v = $S->{products}{$pid}{variations};
            push @$v, $id + 0 unless grep { $_ == $id } @$v;
            $S->{products}{$pid}{type} = 'variable';
        }
    }
    return undef;
}

sub state {
    my ($class, $S) = @_;
    return { orders => scalar @{$S->{orders}},
        shipped => _track_state($S),
        refunds => _refund_state($S),
        webhooks => $S->{hooks},
        products => [map { my $p = $_; +{ map { $_ => $p->{$_} }
                           qw(id parent_id type sku stock_quantity
                              manage_stock stock_status) } }
                     sort { $a->{id} <=> $b->{id} }
                     values %{$S->{products}}] };
}

# (product or variation id)
sub quantity {
    my ($class, $s, $id) = @_;
    for my $p (@{$s->{products}}) {
        return $p->{stock_quantity} if $p->{id} == $id;
    }
    return undef;
}

sub redact {
    my ($class, $hdr, $target) = @_;
    $target =~ s/(consumer_secret=)[^&]*/$1\[redacted]/g;
    return $class->SUPER::redact($hdr, $target);
}

# No rate limit in core WooCommerce (§3.6): a 429 is a WAF's or a plugin's,
# nginx HTML or rest_too_many_requests JSON.  500 is WordPress's fatal
# error JSON; 502 and 503 the nginx page of the proxy in front of PHP.
sub fault_answer {
    my ($class, $S, $f) = @_;
    my @ra = defined $f->{retry_after}
             ? ('Retry-After' => $f->{retry_after}) : ();
    if ($f->{mode} eq '429') {
        return ($f->{body} // 'html') eq 'json'
            ? _json(429, { code => 'rest_too_many_requests',
                           message => 'Too many requests.',
                           data => { status => 429 } }, @ra)
            : _html(429, "<html>\r\n<head><title>429 Too Many Requests</title>"
                . "</head>\r\n<body>\r\n<center><h1>429 Too Many Requests"
                . "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>"
                . "\r\n</html>\r\n", @ra);
    }
    my $st = $f->{status} // 503;
    my $kind = $f->{body} // ($st == 500 ? 'json' : 'html');
    if ($kind eq 'json') {
        return _json($st, { code => 'internal_server_error',
            message => '<p>There has been a critical error on this website.'
                . '</p><p><a href="https://wordpress.org/documentation/article/'
                . 'faq-troubleshooting/">Learn more about troubleshooting '
                . 'WordPress.</a></p>',
            data => { status => $st }, additional_errors => [] }, @ra);
    }
    my $t = "$st " . ($REASON{$st} // 'Error');
    return _html($st, "<html>\r\n<head><title>$t</title></head>\r\n<body>\r\n"
        . "<center><h1>$t</h1></center>\r\n<hr><center>nginx</center>\r\n"
        . "</body>\r\n</html>\r\n", @ra);
}

# WooCommerce counts 200 to 302 as delivered
sub webhook_ok {
    my ($class, $status) = @_;
    return $status >= 200 && $status <= 302;
}

# No retries: failure_count per webhook, checked before it is incremented,
# so the 7th consecutive failure disables the webhook
sub webhook_done {
    my ($class, $S, $d, $ok) = @_;
    my $h = $S->{hooks}{$d->{hook_id}};
    if ($ok) {
        $h->{failure_count} = 0;
    } elsif ($h->{failure_count} > $S->{conf}{max_failures}) {
        $h->{status} = 'disabled';
    } else {
        $h->{failure_count}++;
    }
}


# ---- the API ---------------------------------------------------------------------

sub _woo_new {
    my ($S, $it, $now) = @_;
    my $id = $it->{id} + 0;
    my $pid = ($it->{parent_id} // 0) + 0;
    my $manage = exists $it->{manage_stock} ? _bool($it->{manage_stock}) : 1;
    my $p = {
        id => $id, parent_id => $pid,
        type => $it->{type} // ($pid ? 'variation' : 'simple'),
        sku => $it->{sku} // "SKU-$id",
        name => $it->{name} // "Product $id",
        price => $it->{price} // '9.99',
        manage_stock => $manage ? $TRUE : $FALSE,
        stock_quantity => $manage ? ($it->{stock_quantity} // 0) + 0 : undef,
        variations => [],
        created => $now, modified => $now,
    };
    _woo_status($p);
    return $p;
}

# WooCommerce: site local and GMT, no offset
sub _wc_local { strftime('%Y-%m-%dT%H:%M:%S', gmtime(floor($_[1]) + $_[0]{conf}{utc_offset} * 60)) }
sub _wc_gmt   { strftime('%Y-%m-%dT%H:%M:%S', gmtime(floor($_[0]))) }

sub _wjson {
    my ($status, $data, @h) = @_;
    return { status => $status, body => _wp_encode($data),
             ctype => 'application/json; charset=UTF-8', headers => \@h };
}

sub _werr {
    my ($status, $code, $msg, %x) = @_;
    return _wjson($status, { code => $code, message => $msg,
                             data => { status => $status + 0, %x } });
}

my %DENY = (
    list  => ['woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.'],
    view  => ['woocommerce_rest_cannot_view', 'Sorry, you cannot view this resource.'],
    edit  => ['woocommerce_rest_cannot_edit', 'Sorry, you are not allowed to edit this resource.'],
    create => ['woocommerce_rest_cannot_create', 'Sorry, you are not allowed to create resources.'],
    batch => ['woocommerce_rest_cannot_batch', 'Sorry, you are not allowed to batch manipulate this resource.'],
);

sub api {
    my ($class, $S, $req) = @_;
    my $c = $S->{conf};
    my $path = $req->{path};
    my $nr = _werr(404, 'rest_no_route',
                   'No route was found matching the URL and request method.');
    my ($perm, $run);
    if ($path =~ s{^/wp-json/wc-shipment-tracking/v3}{}) {
        $path =~ s{/$}{};
        ($perm, $run) = _track_route($S, $req, $path);
    } elsif ($path =~ s{^/wp-json/wc/v3}{}) {
        $path =~ s{/$}{};
        ($perm, $run) = $path =~ m{/refunds$}
                        ? _refund_route($S, $req, $path)
                        : _woo_route($S, $req, $path);
    }
    return $nr unless $run;

    # Basic or query-string credentials count only over HTTPS (is_ssl());
    # over plain HTTP only OAuth 1.0a would, which is not simulated.
    my ($ck, $cs);
    if (!$c->{strict_ssl}) {
        if (($req->{headers}{authorization} // '') =~ /^Basic\s+(\S+)/i) {
            ($ck, $cs) = split /:/, decode_base64($1), 2;
        } elsif (defined $req->{query}{consumer_key}) {
            ($ck, $cs) = @{$req->{query}}{qw(consumer_key consumer_secret)};
        }
    }
    if (defined $ck && $ck eq $c->{consumer_key}) {
        return _werr(401, 'woocommerce_rest_authentication_error',
                     'Consumer secret is invalid.')
            unless defined $cs && $cs eq $c->{consumer_secret};
        return $run->();
    }
    return _werr(401, @{$DENY{$perm}});
}

# The routes under /wp-json/wc/v3 ($path without it): (permission, code)
# or ().
sub _woo_route {
    my ($S, $req, $path) = @_;
    my $m = $req->{method};
    my $edit = $m eq 'PUT' || $m eq 'POST' || $m eq 'PATCH';
    my ($perm, $run);
    if ($path eq '/products' && $m eq 'GET') {
        ($perm, $run) = ('list', sub { _woo_list($S, $req, undef) });
    } elsif ($path eq '/products/batch' && $m eq 'POST') {
        ($perm, $run) = ('batch', sub { _woo_batch($S, $req, undef) });
    } elsif ($path =~ m{^/products/(\d+)$}) {
        my $id = $1;
        ($perm, $run) = $m eq 'GET' ? ('view', sub { _woo_get($S, $id, undef) })
                      : $edit ? ('edit', sub { _woo_put($S, $req, $id, undef) })
                      : ();
    } elsif ($path =~ m{^/products/(\d+)/variations$} && $m eq 'GET') {
        my $pid = $1;
        ($perm, $run) = ('list', sub { _woo_list($S, $req, $pid) });
    } elsif ($path =~ m{^/products/(\d+)/variations/batch$} && $m eq 'POST') {
        my $pid = $1;
        ($perm, $run) = ('batch', sub { _woo_batch($S, $req, $pid) });
    } elsif ($path =~ m{^/products/(\d+)/variations/(\d+)$}) {
        my ($pid, $id) = ($1, $2);
        ($perm, $run) = $m eq 'GET' ? ('view', sub { _woo_get($S, $id, $pid) })
                      : $edit ? ('edit', sub { _woo_put($S, $req, $id, $pid) })
                      : ();
    } elsif ($path eq '/orders' && $m eq 'GET') {
        ($perm, $run) = ('list', sub { _woo_orders($S, $req) });
    } elsif ($path =~ m{^/orders/(\d+)$} && $m eq 'GET') {
        my $id = $1;
        ($perm, $run) = ('view', sub {
            my ($o) = grep { $_->{id} == $id } @{$S->{orders}};
            my %pub = %{$o || {}};
            delete $pub{_t};
            return $o ? _wjson(200, \%pub)
                      : _werr(404, 'woocommerce_rest_shop_order_invalid_id',
                              'Invalid ID.');
        });
    } elsif ($path =~ m{^/orders/(\d+)$} && $edit) {
        my $id = $1;
        ($perm, $run) = ('edit', sub { _woo_order_put($S, $req, $id) });
    }
    return $run ? ($perm, $run) : ();
}

sub _woo_status {
    my ($p) = @_;
    return unless $p->{manage_stock};
    $p->{stock_status} = $p->{stock_quantity} > 0 ? 'instock' : 'outofstock';
}

sub _woo_json {
    my ($S, $p) = @_;
    my $base = $S->{conf}{site} . 'wp-json/wc/v3/products';
    my $self = $p->{parent_id} ? "$base/$p->{parent_id}/variations/$p->{id}"
                               : "$base/$p->{id}";
    my $slug = lc($p->{name}) =~ s/[^a-z0-9]+/-/gr;
    my $j = {
        id => $p->{id} + 0, name => $p->{name}, slug => $slug,
        permalink => $S->{conf}{site} . "product/$slug/",
        date_created => _wc_local($S, $p->{created}),
        date_created_gmt => _wc_gmt($p->{created}),
        date_modified => _wc_local($S, $p->{modified}),
        date_modified_gmt => _wc_gmt($p->{modified}),
        type => $p->{type}, status => 'publish', sku => $p->{sku},
        price => $p->{price}, regular_price => $p->{price}, sale_price => '',
        manage_stock => $p->{manage_stock},
        stock_quantity => $p->{manage_stock} ? $p->{stock_quantity} + 0 : undef,
        stock_status => $p->{stock_status} // 'instock',
        backorders => 'no', backorders_allowed => $FALSE,
        parent_id => $p->{parent_id} + 0, meta_data => [],
        _links => { self => [{ href => $self }],
                    collection => [{ href => $self =~ s{/\d+$}{}r }] },
    };
    $j->{variations} = [@{$p->{variations}}] unless $p->{parent_id};
    return $j;
}

sub _woo_find {
    my ($S, $id, $pid) = @_;
    my $p = $S->{products}{$id};
    return undef unless $p;
    if (defined $pid) {
        return undef unless $p->{parent_id} == $pid;
    } else {
        return undef if $p->{parent_id};
    }
    return $p;
}

sub _woo_invalid {
    my ($pid, $status) = @_;
    return (defined $pid ? 'woocommerce_rest_product_variation_invalid_id'
                         : 'woocommerce_rest_product_invalid_id',
            'Invalid ID.', $status);
}

sub _woo_get {
    my ($S, $id, $pid) = @_;
    my $p = _woo_find($S, $id, $pid);
    return $p ? _wjson(200, _woo_json($S, $p))
              : _werr(404, (_woo_invalid($pid))[0, 1]);
}

# Applies stock fields to a product; returns an error [code, message,
# params] or undef.  Other fields are accepted and ignored.
sub _woo_update {
    my ($S, $p, $in, $now) = @_;
    if (exists $in->{stock_quantity} && defined $in->{stock_quantity}
        && (ref $in->{stock_quantity}
            || $in->{stock_quantity} !~ /^-?\d+$/)) {
        return ['rest_invalid_param', 'Invalid parameter(s): stock_quantity',
                { stock_quantity => 'stock_quantity is not of type integer.' }];
    }
    my $old = join ',', $p->{manage_stock} ? 1 : 0,
                        $p->{stock_quantity} // '';
    if (exists $in->{manage_stock}) {
        my $m = _bool($in->{manage_stock});
        $p->{manage_stock} = $m ? $TRUE : $FALSE;
        $p->{stock_quantity} //= 0 if $m;
    }
    # WooCommerce sets the quantity only on products that manage stock
    if ($p->{manage_stock} && defined $in->{stock_quantity}) {
        $p->{stock_quantity} = $in->{stock_quantity} + 0;
    }
    $p->{stock_quantity} = undef unless $p->{manage_stock};
    _woo_status($p);
    $p->{modified} = $now;
    my $new = join ',', $p->{manage_stock} ? 1 : 0,
                        $p->{stock_quantity} // '';
    _woo_product_hook($S, $p, $now) if $old ne $new || $S->{conf}{noop_webhooks};
    return undef;
}

sub _woo_put {
    my ($S, $req, $id, $pid) = @_;
    my ($in, $err) = _woo_body($req);
    return $err if $err;
    my $p = _woo_find($S, $id, $pid)
        or return _werr(404, (_woo_invalid($pid))[0, 1]);
    my $e = _woo_update($S, $p, $in, time);
    return _werr(400, $e->[0], $e->[1], params => $e->[2]) if $e;
    return _wjson(200, _woo_json($S, $p));
}

sub _woo_body {
    my ($req) = @_;
    my $in = length $req->{body} ? _decode($req->{body}) : {};
    return (undef, _werr(400, 'rest_invalid_json',
            'Invalid JSON body passed.', json_error_code => 4,
            json_error_message => 'Syntax error'))
        unless ref $in eq 'HASH';
    return ($in);
}

sub _woo_batch {
    my ($S, $req, $pid) = @_;
    my ($in, $err) = _woo_body($req);
    return $err if $err;
    my $n = 0;
    for (qw(create update delete)) {
        $n += @{$in->{$_}} if ref $in->{$_} eq 'ARRAY';
    }
    my $limit = $S->{conf}{batch_limit};
    return _werr(413, 'woocommerce_rest_request_entity_too_large',
                 "Unable to accept more than $limit items for this request.")
        if $n > $limit;
    my $now = time;
    my %out;
    for my $act (qw(create update delete)) {
        next unless ref $in->{$act} eq 'ARRAY';
        $out{$act} = [];
        for my $it (@{$in->{$act}}) {
            my $id = ref $it eq 'HASH' ? $it->{id} : $it;
            $id = 0 unless defined $id && !ref $id && $id =~ /^\d+$/;
            if ($act ne 'update') {
                push @{$out{$act}}, { id => $id + 0, error => {
                    code => 'woocommerce_rest_simulator_unsupported',
                    message => "The simulator does not $act products.",
                    data => { status => 400 } } };
                next;
            }
            my $p = $id ? _woo_find($S, $id, $pid) : undef;
            if (!$p) {
                my ($code, $msg) = _woo_invalid($pid);
                push @{$out{$act}}, { id => $id + 0, error => { code => $code,
                    message => $msg, data => { status => 400 } } };
                next;
            }
            my $e = _woo_update($S, $p, $it, $now);
            push @{$out{$act}}, $e
                ? { id => $id + 0, error => { code => $e->[0],
                    message => $e->[1],
                    data => { status => 400, params => $e->[2] } } }
                : _woo_json($S, $p);
        }
    }
    return _wjson(200, \%out);
}

sub _woo_page {
    my ($req, $items) = @_;
    my $q = $req->{query};
    my $per = $q->{per_page} // 10;
    my $page = $q->{page} // 1;
    if ($per !~ /^\d+$/ || $per < 1 || $per > 100) {
        return (undef, _werr(400, 'rest_invalid_param',
            'Invalid parameter(s): per_page', params => { per_page =>
            'per_page must be between 1 (inclusive) and 100 (inclusive)' }));
    }
    if ($page !~ /^\d+$/ || $page < 1) {
        return (undef, _werr(400, 'rest_invalid_param',
            'Invalid parameter(s): page',
            params => { page => 'page must be greater than or equal to 1' }));
    }
    my $total = @$items;
    my $pages = ceil($total / $per);
    my @slice = grep { defined } @$items[($page - 1) * $per .. $page * $per - 1];
    return (\@slice, undef, 'X-WP-Total' => $total,
            'X-WP-TotalPages' => $pages);
}

sub _woo_sort {
    my ($req, @items) = @_;
    my $by = $req->{query}{orderby} // 'date';
    my $desc = lc($req->{query}{order} // 'desc') eq 'desc';
    @items = $by eq 'id'
        ? sort { $a->{id} <=> $b->{id} } @items
        : sort { $a->{created} <=> $b->{created} || $a->{id} <=> $b->{id} }
          @items;
    return $desc ? reverse @items : @items;
}

sub _woo_list {
    my ($S, $req, $pid) = @_;
    my @p = values %{$S->{products}};
    if (defined $pid) {
        return _werr(404, 'woocommerce_rest_product_invalid_id', 'Invalid ID.')
            unless _woo_find($S, $pid, undef);
        @p = grep { $_->{parent_id} == $pid } @p;
    } elsif (defined(my $sku = $req->{query}{sku})) {
        # with sku, WooCommerce searches variations too
        my %want = map { $_ => 1 } $sku, split /,/, $sku;
        @p = grep { $want{$_->{sku}} } @p;
    } else {
        @p = grep { !$_->{parent_id} } @p;
    }
    # include=1,2,3 (an id list, as wp_parse_id_list reads it; empty: no
    # limit): only those; ids that are not there (or are variations, on
    # /products) are left out without an error
    my %inc = map { $_ + 0 => 1 } grep { /^\d+$/ && $_ > 0 }
              split /[,\s]+/, $req->{query}{include} // '';
    @p = grep { $inc{$_->{id}} } @p if %inc;
    my ($page, $err, @h) = _woo_page($req, [_woo_sort($req, @p)]);
    return $err if $err;
    my $r = _wjson(200, [map { _woo_json($S, $_) } @$page], @h);
    return $r;
}

sub _woo_orders {
    my ($S, $req) = @_;
    my $q = $req->{query};
    my $gmt = _bool($q->{dates_are_gmt});
    my $off = $gmt ? 0 : $S->{conf}{utc_offset};
    my @o = @{$S->{orders}};
    for (['modified_after', 'modified', 1], ['modified_before', 'modified', -1],
         ['after', 'created', 1], ['before', 'created', -1]) {
        my ($param, $field, $dir) = @$_;
        next unless defined $q->{$param};
        my $t = _iso($q->{$param}, $off);
        return _werr(400, 'rest_invalid_param', "Invalid parameter(s): $param",
                     params => { $param => 'Invalid date.' })
            unless defined $t;
        @o = grep { $dir > 0 ? $_->{_t}{$field} > $t
                             : $_->{_t}{$field} < $t } @o;
    }
    if (defined $q->{status} && $q->{status} ne 'any') {
        my %st = map { $_ => 1 } split /,/, $q->{status};
        @o = grep { $st{$_->{status}} } @o;
    }
    @o = map { +{ %$_, created => $_->{_t}{created} } } @o;
    my ($page, $err, @h) = _woo_page($req, [_woo_sort($req, @o)]);
    return $err if $err;
    return _wjson(200, [map { my %x = %$_; delete @x{qw(_t created)}; \%x }
                        @$page], @h);
}

sub _woo_product_hook {
    my ($S, $p, $now) = @_;
    my $c = $S->{conf};
    if ($p->{parent_id}) {
        my $mode = $c->{variation_webhooks};
        return if $mode eq 'none';
        $p = $S->{products}{$p->{parent_id}} if $mode eq 'parent';
    }
    my $id = $p->{id};
    _woo_hook($S, 'product.updated', $c->{product_webhook_id}, $id,
              sub { _woo_json($S, $S->{products}{$id}) }, $now);
}

sub _woo_hook {
    my ($S, $topic, $hook_id, $rid, $build, $now) = @_;
    my $c = $S->{conf};
    return unless $c->{webhook_url};
    return unless grep { $_ eq $topic } @{$c->{webhook_topics}};
    my $h = $S->{hooks}{$hook_id} //= { topic => $topic, status => 'active',
                                        failure_count => 0 };
    return if $h->{status} ne 'active';
    # one pending delivery per webhook and resource: later changes coalesce
    return if $c->{coalesce}
        && grep { $_->{hook_id} == $hook_id && $_->{rid} == $rid }
           @{$S->{whq}};
    my ($res, $ev) = split /\./, $topic;
    _wh_enqueue($S, { topic => $topic, hook_id => $hook_id, rid => $rid,
                      build => $build, http => '1.0', resource => $res,
                      prepare => sub { _woo_prepare($S, $_[0]) },
                      event => $ev }, $now);
}

# Woo headers are made when the delivery runs, with the payload.
sub _woo_prepare {
    my ($S, $d) = @_;
    my $c = $S->{conf};
    my $body = _wp_encode($d->{build}->());
    my $secret = $c->{webhook_secret} // '';
    $d->{body} = $body;
    $d->{headers} = [
        'User-Agent' => "WooCommerce/$c->{wc_version} Hookshot "
                        . "(WordPress/$c->{wp_version})",
        'Content-Type' => 'application/json',
        'X-WC-Webhook-Source' => $c->{site},
        'X-WC-Webhook-Topic' => $d->{topic},
        'X-WC-Webhook-Resource' => $d->{resource},
        'X-WC-Webhook-Event' => $d->{event},
        'X-WC-Webhook-Signature' =>
            encode_base64(hmac_sha256($body, $secret), ''),
        'X-WC-Webhook-ID' => $d->{hook_id},
        'X-WC-Webhook-Delivery-ID' => md5_hex('invsync-sim-salt'
                                              . $d->{hook_id} . int time),
    ];
}

sub _woo_find_product {
    my ($S, $in) = @_;
    my @p = values %{$S->{products}};
    my $id = $in->{variation_id} || $in->{product_id} || $in->{id};
    return $S->{products}{$id} if $id;
    return (grep { defined $in->{sku} && $_->{sku} eq $in->{sku} } @p)[0];
}

sub admin_set {
    my ($class, $S, $in) = @_;
    my $p = _woo_find_product($S, $in)
        or return (404, { error => 'no such product' });
    my $e = _woo_update($S, $p, { %$in, manage_stock =>
                        $in->{manage_stock} // $p->{manage_stock} }, time);
    return (400, { error => $e->[1] }) if $e;
    return (200, _woo_json($S, $p));
}

sub order {
    my ($class, $S, $in) = @_;
    my $now = time;
    my $id = $in->{id} // 5000 + @{$S->{orders}} + 1;
    my $created = defined $in->{date_created_gmt}
        ? _iso($in->{date_created_gmt}, 0) // $now : $now;
    my (@li, @touched, $total);
    for my $x (@{$in->{line_items} || []}) {
        my $p = _woo_find_product($S, $x)
            or return (400, { error => 'line item matches no product' });
        my $qty = $x->{quantity} // 1;
        my $price = $x->{price} // $p->{price};
        my $sum = sprintf '%.2f', $price * $qty;
        $total += $sum;
        push @li, { id => ++$S->{seq}, name => $p->{name},
            product_id => ($p->{parent_id} || $p->{id}) + 0,
            variation_id => ($p->{parent_id} ? $p->{id} : 0) + 0,
            quantity => $qty + 0, tax_class => '', subtotal => $sum,
            subtotal_tax => '0.00', total => $sum, total_tax => '0.00',
            taxes => [], meta_data => [], sku => $p->{sku},
            price => $price + 0 };
        push @touched, [$p, $qty];
    }
    my $order = {
        id => $id + 0, parent_id => 0, number => "$id",
        order_key => 'wc_order_' . substr(md5_hex($id . $now), 0, 13),
        created_via => 'checkout', version => $S->{conf}{wc_version},
        status => $in->{status} // 'processing',
        currency => $in->{currency} // 'EUR',
        date_created => _wc_local($S, $created),
        date_created_gmt => _wc_gmt($created),
        date_modified => _wc_local($S, $now), date_modified_gmt => _wc_gmt($now),
        date_paid => _wc_local($S, $now), date_paid_gmt => _wc_gmt($now),
        date_completed => undef, date_completed_gmt => undef,
        discount_total => '0.00', shipping_total => '0.00',
        total => sprintf('%.2f', $total // 0), total_tax => '0.00',
        prices_include_tax => $FALSE, customer_id => 0,
        billing => { first_name => 'Jon', last_name => 'Doe',
                     email => $in->{email} // 'jon@example.com' },
        shipping => $in->{shipping} // {}, payment_method => 'bacs',
        line_items => \@li, refunds => [], meta_data => [],
        _t => { created => $created, modified => $now },
    };
    _woo_order_tax($S, $order, $in->{tax_rate});    # WooCommerce/Refunds.pm
    push @{$S->{orders}}, $order;
    my %pub = %$order;
    delete $pub{_t};
    _woo_hook($S, 'order.created', $S->{conf}{order_webhook_id}, $id,
              sub { \%pub }, $now);
    if ($in->{adjust_inventory} // 1) {
        for (@touched) {
            my ($p, $qty) = @$_;
            next unless $p->{manage_stock} && $qty;
            _woo_update($S, $p, { stock_quantity => $p->{stock_quantity}
                                  - $qty }, $now);
        }
    }
    return (200, \%pub);
}

1;
