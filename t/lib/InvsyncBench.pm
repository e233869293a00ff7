package InvsyncBench;

# What the channel benchmarks share (t/bench/stock: an order's webhook to
# every channel showing the new quantity; t/bench/refund_sync: a refund's
# webhook to every channel showing the restocked one; t/bench/order_tracking
# uses the senders, CPU readings and percentiles): nginx with the
# module, Redis, one invsync-worker and three simulated channels (two
# Shopify, one WooCommerce; t/lib/InvsyncSim.pm) on loopback with N SKUs
# mapped everywhere; paced senders of signed Shopify webhooks on
# keep-alive connections; what each channel acknowledged, from the
# simulators' request logs; CPU from /proc; percentiles.

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);
use InvsyncSim;
use InvsyncWorker qw(worker_conf run_worker wait_for);

our @EXPORT_OK = qw(stack sku shown all_shown pushes last_request
                    send_paced shopify_request cpu_ms cpu_snapshot pct
                    redis_fill load_average nginx_workers machine_busy_ms);

our @CHANNELS = qw(shop-eu shop-us woo-main);
our %SIM = ('shop-eu' => 'shop1', 'shop-us' => 'shop2', 'woo-main' => 'woo');
my $K = 'invsync:{invsync}:';

sub sku { 'SKU-' . $_[0] }

sub load_average {
    open my $fh, '<', '/proc/loadavg' or return '?';
    return join ' ', (split ' ', <$fh>)[0 .. 2];
}

# Commands pipelined on one connection, 1,000 at a time: $fill gets the
# function that sends one (simple, integer or bulk replies only)
sub redis_fill {
    my ($t, $fill) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                                  . $t->port('redis')) or die "redis: $!";
    my ($req, $n) = ('', 0);
    # every reply read (a bulk one is two lines), so that none of the
    # commands is still unread when the connection closes
    my $flush = sub {
        print $s $req;
        for (1 .. $n) {
            my $l = <$s> // die "redis: connection closed\n";
            <$s> if $l =~ /^\$\d/;
        }
        ($req, $n) = ('', 0);
    };
    $fill->(sub {
        $req .= '*' . @_ . "\r\n" . join('', map { '$' . length($_)
                                                 . "\r\n$_\r\n" } @_);
        $flush->() if ++$n >= 1000;
    });
    $flush->();
    close $s;
}

# The stack (Redis already running): nginx's Shopify hook signed with
# $o{secret}, the three simulators, $o{nsku} SKUs mapped on each with
# $o{on_hand} counted at wh1, the worker with $o{worker} merged into its
# worker.json (BENCH_BIN: the invsync-worker of that directory); waits
# until every channel shows the counted stock.
# Returns {conf, pid, base, avail (what each SKU shows now)}.
sub stack {
    my ($t, %o) = @_;
    my ($nsku, $on_hand) = ($o{nsku}, $o{on_hand});

    $t->write_file('shop.secret', "$o{secret}\n");
    $t->write_file('shop.token', "shpat_test\n");
    $t->write_file('woo.keys', "ck_test:cs_test\n");
    $t->nginx_conf(<<'EOF');
    invsync_redis %%REDIS%%;
    keepalive_requests 1000000;

    server {
        listen 127.0.0.1:%%PORT%%;

        location = /hooks/shopify {
            invsync_webhook shopify;
            invsync_channel shop-eu;
            invsync_secret_file %%TESTDIR%%/shop.secret;
        }
    }
EOF
    # nginx's error log at debug level would cost more than the module
    $t->write_file('conf/nginx.conf', $t->read_file('conf/nginx.conf')
                   =~ s/error.log debug;/error.log warn;/r);
    $t->run;

    # no webhook_url, so no echo traffic; the Shopify cost bucket raised
    # so that it does not throttle
    my %base;
    for my $ch (qw(shop-eu shop-us)) {
        $base{$ch} = InvsyncSim::start($t, 'shopify', name => $SIM{$ch},
            bucket_max => 1_000_000, restore_rate => 1_000_000);
        InvsyncSim::items($t, $SIM{$ch}, map {
            { inventory_item_id => 100000 + $_, location_id => 1,
              available => 0, sku => sku($_) } } 0 .. $nsku - 1);
    }
    $base{'woo-main'} = InvsyncSim::start($t, 'woocommerce', name => 'woo');
    InvsyncSim::items($t, 'woo', map {
        { id => 500000 + $_, sku => sku($_), manage_stock => JSON::PP::true,
          stock_quantity => 0 } } 0 .. $nsku - 1);

    # the mappings, as `invsyncctl sku map` writes them, and the stock
    redis_fill($t, sub {
        my ($cmd) = @_;
        for my $i (0 .. $nsku - 1) {
            my ($sku, $item, $product) = (sku($i), 100000 + $i, 500000 + $i);
            my $shop = encode_json({ inventory_item_id => "$item",
                                     location_id => '1' });
            $cmd->('SADD', "${K}skus", $sku);
            $cmd->('HSET', "${K}skumap:$sku", 'shop-eu', $shop, 'shop-us',
                   $shop, 'woo-main', encode_json({ product_id => "$product",
                                                    variation_id => undef }));
            for my $ch (qw(shop-eu shop-us)) {
                $cmd->('SET', "${K}skuref:$ch:sku:$sku", $sku);
                $cmd->('SET', "${K}skuref:$ch:item:$item", $sku);
            }
            $cmd->('SET', "${K}skuref:woo-main:sku:$sku", $sku);
            $cmd->('SET', "${K}skuref:woo-main:product:$product", $sku);
            $cmd->('HSET', "${K}stock:$sku", 'on_hand:wh1', $on_hand);
            $cmd->('SADD', "${K}dirty:$_", $sku) for @CHANNELS;
        }
    });

    my $conf = worker_conf($t, 'worker.json', log_level => 'warn',
        consumer => { block_ms => 10, claim_idle_ms => 30000 },
        limits => { heartbeat_ms => 1000, reconcile_s => 0,
                    trim_interval_ms => 1000 },
        retry => { attempts => 5, base_ms => 50, max_ms => 1000 },
        locations => [ { id => 'wh1' } ],
        channels => [
            (map { { id => $_, type => 'shopify', api_base => $base{$_},
                     credentials_file => $t->dir . '/shop.token',
                     stock => { locations => ['wh1'] } } }
             qw(shop-eu shop-us)),
            { id => 'woo-main', type => 'woocommerce',
              api_base => $base{'woo-main'},
              credentials_file => $t->dir . '/woo.keys',
              stock => { locations => ['wh1'] } } ],
        %{$o{worker} || {}});
    # BENCH_BIN: another build's invsync-worker (a baseline's)
    my $pid = $ENV{BENCH_BIN}
              ? $t->run_daemon('w', "$ENV{BENCH_BIN}/invsync-worker", '-c',
                               $conf)
              : run_worker($t, 'w', $conf);
    my @avail = ($on_hand) x $nsku;
    wait_for(60, sub { all_shown($t, \@avail) })
        or die "the counted stock did not reach every channel\n";

    return { conf => $conf, pid => $pid, base => \%base, avail => \@avail };
}

# what each channel acknowledged, from the worker's record of it
sub shown {
    my ($t, $ch) = @_;
    return { @{$t->redis('HGETALL', "${K}shown:$ch") || []} };
}

sub all_shown {
    my ($t, $want) = @_;
    for my $ch (@CHANNELS) {
        my $s = shown($t, $ch);
        for my $i (0 .. $#$want) {
            return 0 unless ($s->{sku($i)} // -1) == $want->[$i];
        }
    }
    return 1;
}

sub last_request {
    my ($t, $ch) = @_;
    return InvsyncSim::control($t, $SIM{$ch}, 'GET',
                               '/_sim/requests?since=' . 2**31)->{last};
}

# One channel's requests since $since: {sku index => [[time, quantity],
# ...]} of the pushes it acknowledged, in time order, and the counts of
# calls, items, throttled and failed ones.
sub pushes {
    my ($t, $ch, $since) = @_;
    my $reqs = InvsyncSim::requests($t, $SIM{$ch}, $since);
    my (%p, %n);
    for my $r (@$reqs) {
        $n{calls}++;
        my $ok = ($r->{status} // 0) == 200
                 && ($r->{note} // '') !~ /throttled|error|mismatch|concurrent/;
        if (!$ok) {
            $n{($r->{note} // '') =~ /throttled/ ? 'throttled' : 'failed'}++;
            next;
        }
        my $b = eval { decode_json($r->{body}) } or next;
        if ($ch =~ /^shop/) {
            for my $q (@{$b->{variables}{input}{quantities} || []}) {
                my ($item) = ($q->{inventoryItemId} // '') =~ /(\d+)$/ or next;
                push @{$p{$item - 100000}}, [$r->{time}, $q->{quantity}];
                $n{items}++;
            }
        } else {
            for my $u (@{$b->{update} || []}) {
                push @{$p{$u->{id} - 500000}}, [$r->{time},
                                                $u->{stock_quantity}];
                $n{items}++;
            }
        }
    }
    return (\%p, \%n);
}

# a signed Shopify webhook as one HTTP/1.1 request
sub shopify_request {
    my ($topic, $id, $body, $secret) = @_;
    return "POST /hooks/shopify HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\n"
        . "Content-Length: " . length($body) . "\r\n"
        . "X-Shopify-Topic: $topic\r\n"
        . "X-Shopify-Shop-Domain: bench.myshopify.com\r\n"
        . "X-Shopify-API-Version: 2026-04\r\n"
        . "X-Shopify-Webhook-Id: bench-$id\r\n"
        . "X-Shopify-Event-Id: bench-ev-$id\r\n"
        . "X-Shopify-Hmac-Sha256: "
        . encode_base64(hmac_sha256($body, $secret), '') . "\r\n"
        . "\r\n$body";
}

sub _connect {
    my ($t) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port('http'),
                                  Timeout => 5) or die "connect: $!\n";
    binmode $s;
    $s->autoflush(1);
    return $s;
}

# one answer on a keep-alive connection: (status, keep)
sub _answer {
    my ($s) = @_;
    my $buf = '';
    while (1) {
        my $i = index($buf, "\r\n\r\n");
        if ($i >= 0) {
            my $head = substr($buf, 0, $i);
            my ($len) = $head =~ /^content-length:\s*(\d+)/mi;
            $len //= 0;
            if (length($buf) >= $i + 4 + $len) {
                my ($st) = $head =~ m{^HTTP/1\.\d (\d{3})};
                return ($st // 0, $head !~ /^connection:\s*close/mi);
            }
        }
        my $n = sysread($s, $buf, 65536, length $buf);
        return (0, 0) unless $n;
    }
}

# $n requests at $rate/s from $senders children, request i (from
# $make->($i)) due at start + i/rate and sent by child i % senders.
# Returns ([[send time, status] by i], the senders' CPU ms, start).
sub send_paced {
    my ($t, $rate, $n, $senders, $make) = @_;
    my $start = time + 0.3;
    my (@pids, @files);
    for my $c (0 .. $senders - 1) {
        my $file = $t->dir . "/tmp/send.$c";
        push @files, $file;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            # never return into the parent's code: its objects would stop
            # nginx and the daemons on the way out
            eval { _sender($t, $c, $rate, $n, $senders, $make, $start,
                           $file) };
            print STDERR "sender $c: $@" if $@;
            POSIX::_exit($@ ? 1 : 0);
        }
        push @pids, $pid;
    }
    waitpid($_, 0) for @pids;
    my (@o, $cpu);
    for my $f (@files) {
        for (split /\n/, $t->read_file($f)) {
            if (/^cpu (\S+)/) { $cpu += $1; next }
            my ($i, $sent, $st) = split ' ';
            $o[$i] = [$sent, $st];
        }
        unlink $f;
    }
    return (\@o, $cpu, $start);
}

sub _sender {
    my ($t, $c, $rate, $n, $senders, $make, $start, $file) = @_;
    my $s = _connect($t);
    my @out;
    for (my $i = $c; $i < $n; $i += $senders) {
        my $req = $make->($i);
        my $wait = $start + $i / $rate - time;
        sleep $wait if $wait > 0;
        my $sent = time;
        my ($st, $keep) = (0, 0);
        if (syswrite($s, $req)) {
            ($st, $keep) = _answer($s);
        }
        push @out, "$i $sent $st";
        $s = _connect($t) unless $keep;
    }
    my ($u, $sy) = times;
    open my $fh, '>', $file or die "$file: $!\n";
    print $fh "cpu ", ($u + $sy) * 1000, "\n", map { "$_\n" } @out;
    close $fh;
}

# ---- CPU from /proc ----------------------------------------------------------

my $tick = 1000 / (POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100);

sub cpu_ms {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my @f = split ' ', (split /\) /, <$fh>)[1];
    return ($f[11] + $f[12]) * $tick;
}

sub nginx_workers {
    my ($t) = @_;
    my $master = $t->nginx_pid;
    my @w;
    for my $d (glob '/proc/[0-9]*') {
        open my $fh, '<', "$d/stat" or next;
        my @f = split ' ', (split /\) /, <$fh> // '')[1] // '';
        push @w, $d =~ s{/proc/}{}r if @f && $f[1] == $master;
    }
    return @w;
}

sub machine_busy_ms {
    open my $fh, '<', '/proc/stat' or return (0, 0);
    my @f = split ' ', <$fh>;
    shift @f;
    my $idle = $f[3] + $f[4];
    my $all = 0;
    $all += $_ for @f[0 .. 7];
    return (($all - $idle) * $tick, $all * $tick);
}

# CPU ms so far of nginx's workers, Redis, the worker ($wpid), the
# simulators, and the machine (busy, all)
sub cpu_snapshot {
    my ($t, $wpid) = @_;
    my %c = (nginx => 0);
    $c{nginx} += cpu_ms($_) for nginx_workers($t);
    $c{redis} = cpu_ms($t->{pids}{redis});
    $c{worker} = cpu_ms($wpid);
    $c{$_} = cpu_ms($t->{pids}{"sim_$_"}) for qw(shop1 shop2 woo);
    @c{qw(busy all)} = machine_busy_ms();
    return \%c;
}

sub pct {
    my ($sorted, $p) = @_;
    return undef unless @$sorted;
    my $i = int($p / 100 * @$sorted + 0.999999) - 1;
    $i = 0 if $i < 0;
    return $sorted->[$i];
}

1;
