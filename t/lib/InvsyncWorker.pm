package InvsyncWorker;

# Worker helpers for the harness: write a worker.json, run invsync-worker
# processes (the ASan build under INVSYNC_ASAN), signal them, read the
# audit and the dead letters.  Used with an InvsyncTest object.

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(worker_conf run_worker stop_worker kill_worker
                    wait_for audit_entries worker_bin ctl map_sku);

sub worker_bin {
    my ($t, $name) = @_;
    return $t->program($name // 'invsync-worker');
}

# worker.json from a hash merged over test defaults; returns its path.
sub worker_conf {
    my ($t, $file, %over) = @_;
    my $conf = {
        redis => { address => '127.0.0.1:' . $t->port('redis') },
        prefix => 'invsync',
        consumer => { block_ms => 100, claim_idle_ms => 2000 },
        retry => { attempts => 3, base_ms => 50, max_ms => 200 },
        limits => { heartbeat_ms => 200, trim_interval_ms => 500 },
        channels => [ { id => 'shop-eu', type => 'shopify' },
                      { id => 'woo-main', type => 'woocommerce' } ],
        %over,
    };
    $t->write_file($file, JSON::PP->new->canonical->encode($conf));
    return $t->dir . "/$file";
}

sub _env {
    my ($t) = @_;
    return () unless $ENV{INVSYNC_ASAN};
    return (ASAN_OPTIONS => 'detect_leaks=1:log_path=' . $t->dir
                            . '/logs/asan-worker');
}

# Starts a worker; its JSON log goes to logs/<name>.out.
sub run_worker {
    my ($t, $name, $conf) = @_;
    local %ENV = (%ENV, _env($t));
    return $t->run_daemon($name, worker_bin($t), '-c', $conf);
}

sub stop_worker {
    my ($t, $name) = @_;
    my $pid = $t->{pids}{$name} or return;
    kill 'TERM', $pid;
    my $status;
    for (1 .. 200) {
        if (waitpid($pid, WNOHANG) == $pid) {
            $status = $? >> 8;
            last;
        }
        sleep 0.05;
    }
    delete $t->{pids}{$name};
    return $status;
}

sub kill_worker {
    my ($t, $name, $sig) = @_;
    my $pid = delete $t->{pids}{$name} or return;
    kill $sig // 'KILL', $pid;
    waitpid($pid, 0);
}

# Polls $cond every 50 ms for up to $secs; returns its last value.
sub wait_for {
    my ($secs, $cond) = @_;
    my $end = time + $secs;
    my $v;
    while (1) {
        $v = $cond->();
        return $v if $v || time > $end;
        sleep 0.05;
    }
}

# The audit stream as a list of hashes (id in {_id}).
sub audit_entries {
    my ($t, $prefix) = @_;
    $prefix //= 'invsync';
    return [map { { _id => $_->[0], %{$_->[1]} } }
            @{$t->stream("$prefix:{$prefix}:audit")}];
}

# A SKU mapped on the Shopify channel shop-eu (inventory item $item at
# location 9) and the WooCommerce channel woo-main (product $product), with
# the keys `invsyncctl sku map` writes (docs/keys.md).
sub map_sku {
    my ($t, $sku, $item, $product) = @_;
    my $K = 'invsync:{invsync}:';
    $t->redis('SADD', "${K}skus", $sku);
    $t->redis('HSET', "${K}skumap:$sku", 'shop-eu',
              encode_json({ inventory_item_id => "$item",
                            location_id => '9' }),
              'woo-main', encode_json({ product_id => "$product",
                                        variation_id => undef }));
    $t->redis('SET', "${K}skuref:shop-eu:sku:$sku", $sku);
    $t->redis('SET', "${K}skuref:shop-eu:item:$item", $sku);
    $t->redis('SET', "${K}skuref:woo-main:sku:$sku", $sku);
    $t->redis('SET', "${K}skuref:woo-main:product:$product", $sku);
}

# Runs invsyncctl; returns (exit code, stdout).
sub ctl {
    my ($t, $conf, @args) = @_;
    local %ENV = (%ENV, _env($t));
    my $bin = worker_bin($t, 'invsyncctl');
    my $cmd = join ' ', map { "'$_'" } $bin, '-c', $conf, @args;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

1;
