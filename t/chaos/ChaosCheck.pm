package ChaosCheck;

# The fault run's comparison: what the sender recorded (ChaosSender's
# record) against what the system kept (the stream, the recorded orders,
# the stock ledger, the audit, the dead letters and exceptions).  Only
# reads Redis, after the workers have drained.

use strict;
use warnings;

use Time::HiRes qw(sleep time);
use JSON::PP ();
use InvsyncWorker qw(wait_for);
use ChaosShip;

my $K = 'invsync:{invsync}:';
# the 3PL's shipment notices come on the fulfillments stream (CHAOS_SHIP)
my @S = ('invsync:orders', 'invsync:refunds', 'invsync:fulfillments');

# The group has handled every entry of each stream that has any: nothing
# pending, nothing waiting for a retry, its last-delivered-id the stream's
# last entry (Redis's own lag is wrong after an AOF reload, issue 13
# defect 1); with CHAOS_SHIP, no shipment due at the fulfilment engine
# (every one shipped) and no tracking due.  Waits up to $secs.
sub drained {
    my ($t, $secs) = @_;
    return wait_for($secs, sub {
        for my $s (@S) {
            my $last = eval { $t->redis('XREVRANGE', $s, '+', '-', 'COUNT',
                                        1) };
            next if ref $last && !@$last && $s ne $S[0];
            my $groups = eval { $t->redis('XINFO', 'GROUPS', $s) };
            my ($g) = grep { {@$_}->{name} eq 'invsync' }
                      ref $groups ? @$groups : ();
            return 0 unless $g && ref $last && @$last;
            my %g = @$g;
            return 0 unless $g{pending} == 0
                            && $g{'last-delivered-id'} eq $last->[0][0];
        }
        return 0 if $t->{chaos_ship}
                    && ($t->redis('ZCARD', "${K}fulfil:due")
                        || $t->redis('ZCARD', "${K}track:due"));
        return !$t->redis('ZCARD', "${K}retry");
    });
}

# Every figure of the comparison, as a hash; $rec is ChaosSender::record's,
# $orders ChaosSender::orders'.
sub compare {
    my ($t, $orders, $rec) = @_;
    my %r = (events => scalar @$orders, deliveries => $rec->{deliveries},
             answers => $rec->{answers});

    # the sender: which events got a 2xx, which got none at all
    my (%acked, %unanswered);
    for my $i (0 .. $#$orders) {
        my @d = @{$rec->{by_order}{$i} || []};
        if (grep { $_->[0] =~ /^2/ } @d) {
            $acked{$i} = 1;
        } else {
            $unanswered{$i} = 1;
        }
    }
    $r{acked} = keys %acked;
    # stored, but its "accepted" answer was lost or a 5xx (a retry then
    # answered "duplicate"): safe, the channel retried
    my @na = grep {
        !grep { $_->[1] eq 'accepted' } @{$rec->{by_order}{$_} || []}
    } sort { $a <=> $b } keys %acked;
    $r{no_accepted} = @na;
    $r{no_accepted_answers} = [map {
        "$orders->[$_]{event}:" . join('/', map { $_->[2] }
                                       @{$rec->{by_order}{$_}})
    } @na];
    $r{never_acked} = keys %unanswered;

    # the stream: entries per event
    my %idx = map { $orders->[$_]{event} => $_ } 0 .. $#$orders;
    my %entries;
    for my $e (map { @{$t->redis('XRANGE', $_, '-', '+')} } @S) {
        my %f = @{$e->[1]};
        $entries{$idx{$f{event}} // "other:$f{event}"}++;
    }
    $r{stream_entries} = 0;
    $r{stream_entries} += $_ for values %entries;
    $r{stored_twice} = grep { $_ > 1 } values %entries;
    $r{stored_unacked} = grep { $unanswered{$_} } keys %entries;
    $r{acked_not_stored} = grep { !$entries{$_} } keys %acked;

    # the recorded orders and the audit
    my %recorded = map { /:order:shop-eu:(\d+)$/ ? ($1 => 1) : () }
                   @{$t->redis('KEYS', "${K}order:shop-eu:*")};
    my (%record_applied, %reserve_applied, %route_applied, %refund_applied,
        %restock_applied, %journal, %confirms, %restocked_at);
    for my $e (@{$t->redis('XRANGE', "${K}audit", '-', '+')}) {
        my %f = @{$e->[1]};
        next unless ($f{result} // '') eq 'applied';
        $record_applied{$f{event}}++ if $f{action} eq 'order.record';
        $reserve_applied{$f{cause}}++ if $f{action} eq 'stock.reserve';
        $route_applied{$f{order} // ''}++ if $f{action} eq 'order.route';
        $refund_applied{$f{order} // ''}++ if $f{action} eq 'refund.record';
        $confirms{$f{shipment} // ''}++ if $f{action} eq 'shipment.confirm';
        next unless $f{action} eq 'refund.restock';
        $restock_applied{$f{cause} // ''}++;
        # where the units went back (with shipping: where they left from)
        my $d = eval { JSON::PP::decode_json($f{decision}) } || {};
        $restocked_at{$d->{sku}}{$d->{location}} += $d->{quantity}
            if $d->{restock} && ($d->{bucket} // 'on_hand') eq 'on_hand'
               && defined $d->{sku} && defined $d->{location};
    }
    for my $e (@{$t->redis('XRANGE', "${K}journal", '-', '+')}) {
        my %f = @{$e->[1]};
        $journal{$f{cause} // ''}++;
    }
    my $routing = @{$t->{chaos_locations}} > 1;

    # what must have been applied: every event the stream holds (acked or
    # not: the worker applies what it reads), every acked one at least
    my (%want, %back, @lost, @twice, @applied);
    for my $i (0 .. $#$orders) {
        next unless $acked{$i} || $entries{$i};
        my $o = $orders->[$i];
        if ($o->{kind} eq 'refund') {
            # recorded once, its line restocked once, one journal entry for
            # the refund and one for the restocked line
            my ($sku, $qty, $lid) = @{$o->{lines}[0]};
            my @n = ($refund_applied{"shop-eu:$o->{order}"} // 0,
                     $restock_applied{"restock:shop-eu:$o->{id}:$lid"} // 0,
                     $journal{"refund:shop-eu:$o->{id}"} // 0,
                     $journal{"restock:shop-eu:$o->{id}:$lid"} // 0);
            push @lost, $o->{event} if $acked{$i} && grep { !$_ } @n;
            push @twice, $o->{event} if grep { $_ > 1 } @n;
            $back{$sku} += $qty;
            $r{refunds}++;
            next;
        }
        my $n = $record_applied{$o->{event}} // 0;
        my @res = map { $reserve_applied{"reserve:shop-eu:$o->{id}:$_->[2]"}
                        // 0 } @{$o->{lines}};
        # with routing, the order routed once (its reservation moved once)
        push @res, $route_applied{"shop-eu:$o->{id}"} // 0 if $routing;
        if (!$recorded{$o->{id}} || !$n || grep { !$_ } @res) {
            push @lost, $o->{event} if $acked{$i};
        }
        push @twice, $o->{event} if $n > 1 || grep { $_ > 1 } @res;
        $want{$_->[0]} += $_->[1] for @{$o->{lines}};
        push @applied, $o if $recorded{$o->{id}};
    }
    # with CHAOS_SHIP, every applied order's shipments shipped, each once
    my $ship = $t->{chaos_ship} ? ChaosShip::check($t, \@applied, \%confirms)
                                : undef;
    $r{ship} = $ship;
    $r{confirms} = 0;
    $r{confirms} += $_ for values %confirms;
    $r{lost} = \@lost;
    $r{twice} = \@twice;
    $r{recorded} = keys %recorded;
    $r{audit_records} = 0;
    $r{audit_records} += $_ for values %record_applied;
    $r{routed} = grep { /^shop-eu:/ } keys %route_applied;
    $r{refund_records} = 0;
    $r{refund_records} += $_ for values %refund_applied;
    $r{restocks} = 0;
    $r{restocks} += $_ for values %restock_applied;
    $r{journal} = 0;
    $r{journal} += $_ for values %journal;
    $r{refunds} //= 0;
    $r{audit_routes} = 0;
    $r{audit_routes} += $_ for values %route_applied;

    # the ledger: each SKU's reservations are what the record implies,
    # unrouted or (with routing) reserved at the locations, on hand as set
    # but for the refunds' units, restocked at the first location (the
    # orders are not shipped: docs/returns.md, "Where the units go").
    # With CHAOS_SHIP nothing is left reserved, on hand at each location
    # is down by the units its shipments shipped, and up by the refunds'
    # units restocked there (where the shipment left from once it has),
    # the refunds' units in all as the sender sent them
    my @diff;
    my %at;
    my $first = $t->{chaos_locations}[0];
    for my $sku (sort keys %want) {
        my %h = @{$t->redis('HGETALL', "${K}stock:$sku")};
        my ($reserved, $out, $in, @moved) = (0, 0, 0);
        for my $loc (@{$t->{chaos_locations}}) {
            my $q = $h{"reserved:$loc"} // 0;
            $reserved += $q;
            $at{$loc} += $q;
            my $oh = $t->{chaos_on_hand}{$sku}{$loc};
            if ($ship) {
                my $s = $ship->{shipped}{$sku}{$loc} // 0;
                my $b = $restocked_at{$sku}{$loc} // 0;
                ($out, $in, $oh) = ($out + $s, $in + $b, $oh - $s + $b);
            } else {
                $oh += $loc eq $first ? $back{$sku} // 0 : 0;
            }
            push @moved, "on hand $loc " . ($h{"on_hand:$loc"} // 0)
                         . " (want $oh)"
                if ($h{"on_hand:$loc"} // 0) != $oh;
        }
        push @moved, "shipped $out (want $want{$sku}), restocked $in (want "
                     . ($back{$sku} // 0) . ')'
            if $ship && ($out != $want{$sku} || $in != ($back{$sku} // 0));
        my ($unrouted, $routed) = $routing ? (0, $want{$sku})
                                           : ($want{$sku}, 0);
        $routed = 0 if $ship;
        push @diff, "$sku: unrouted " . ($h{unrouted} // 0) . " (want "
                    . "$unrouted), reserved $reserved (want $routed)"
                    . join('', map { "; $_" } @moved)
            if ($h{unrouted} // 0) != $unrouted || $reserved != $routed
               || @moved;
    }
    $r{at} = \%at;
    $r{ledger_diff} = \@diff;
    $r{skus} = keys %want;
    $r{dead} = $t->redis('XLEN', "${K}dlq");
    # entries claimed from killed workers, by the heartbeats' counters: a
    # lower bound (a claimer killed before its next heartbeat loses some)
    $r{claimed} = 0;
    for (@{$t->redis('HVALS', "${K}workers") || []}) {
        $r{claimed} += eval { JSON::PP::decode_json($_)->{counters}{claimed} }
                       // 0;
    }
    $r{exceptions} = $t->redis('ZCARD', "${K}exceptions:all");
    $r{open} = $t->redis('ZCARD', "${K}exceptions:open");
    $r{open_ids} = $t->redis('ZRANGE', "${K}exceptions:open", 0, 4);
    # refunds that came before their order waited for it (an exception
    # refund_unknown_order, resolved when the order came)
    $r{waited} = grep { /^refund_unknown_order/ }
                 @{$t->redis('ZRANGE', "${K}exceptions:all", 0, -1)};
    return \%r;
}

1;
