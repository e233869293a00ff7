package ChaosShip;

# The fault run's fulfilment check (CHAOS_SHIP): every applied order's
# shipments against the simulators' own records.  A shipment at the own
# warehouse must have exactly one label bought at the carrier by the
# reference invsync gives it (its shipment id: none is a label lost, two a
# label bought twice), one at the 3PL exactly one 3PL order by that
# reference, shipped there, with the shipment's units; each shipment
# shipped and confirmed once (one applied shipment.confirm audit); the
# order's shipments holding its lines as the sender sent them; and nothing
# at either simulator that is no shipment's.  Only reads, after the drain.

use strict;
use warnings;

use InvsyncSim;
use JSON::PP ();

my $K = 'invsync:{invsync}:';

# $orders: the applied orders (ChaosSender's hashes); $confirms: applied
# shipment.confirm audits by shipment id.  Returns the figures, the
# findings (lost, twice, diff: lists) and the units shipped by
# {sku}{location}.
sub check {
    my ($t, $orders, $confirms) = @_;
    my $c = InvsyncSim::state($t, 'carrier');
    my (%bought, %created);
    $bought{$_->{reference} // ''}++ for @{$c->{bought}};
    $created{$_->{reference} // ''}++ for @{$c->{shipments}};
    my %tpl;
    my $has_3pl = grep { $_ eq 'wh2' } @{$t->{chaos_locations}};
    my $tp = $has_3pl ? InvsyncSim::state($t, '3pl') : { orders => [] };
    push @{$tpl{$_->{reference_id}}}, $_ for @{$tp->{orders}};

    my (%r, @lost, @twice, @diff, %shipped, %mine);
    for my $o (@$orders) {
        my $order = "shop-eu:$o->{id}";
        my @ids = sort @{$t->redis('SMEMBERS', "${K}shipments:$order")};
        push @lost, "$order:none" unless @ids;
        my %units;
        for my $id (@ids) {
            $mine{$id} = 1;
            my %s = @{$t->redis('HGETALL', "${K}shipment:$id")};
            my $kind = $s{kind} // '';
            my $lines = eval { JSON::PP::decode_json($s{lines}) } || [];
            my %q;
            $q{$_->{sku}} += $_->{qty} for @$lines;
            $units{$_} += $q{$_} for keys %q;
            $r{shipments}++;
            $r{by_kind}{$kind}++;
            my $n = $confirms->{$id} // 0;
            my $st = $s{state} // 'none';
            if ($st ne 'shipped' && $st ne 'tracked') {
                push @lost, "$id:$st";
            } elsif (!$n) {
                push @lost, "$id:unconfirmed";
            }
            push @twice, "$id:confirmed $n times" if $n > 1;
            if ($kind eq 'warehouse') {
                my $b = $bought{$id} // 0;
                push @lost, "$id:no label" unless $b;
                push @twice, "$id:$b labels" if $b > 1;
                $r{labels} += $b;
                $r{created_again}++ if ($created{$id} // 0) > 1;
            } elsif ($kind eq '3pl') {
                my @t = @{$tpl{$id} || []};
                push @lost, "$id:no 3PL order" unless @t;
                push @twice, "$id:" . @t . ' 3PL orders' if @t > 1;
                $r{threepl_orders} += @t;
                for my $x (@t) {
                    $r{threepl_creates} += $x->{creates} // 0;
                    push @lost, "$id:3PL $x->{status}"
                        unless $x->{status} eq 'Fulfilled';
                    my %p;
                    $p{$_->{reference_id}} += $_->{quantity}
                        for @{$x->{products}};
                    push @diff, "$id:3PL units differ"
                        if join(',', map { "$_=$p{$_}" } sort keys %p)
                           ne join(',', map { "$_=$q{$_}" } sort keys %q);
                }
            } else {
                push @diff, "$id:kind $kind";
            }
            if ($st eq 'shipped' || $st eq 'tracked') {
                $shipped{$_}{$s{location}} += $q{$_} for keys %q;
            }
        }
        # the order's shipments hold its lines as the sender sent them
        my %want;
        $want{$_->[0]} += $_->[1] for @{$o->{lines}};
        push @diff, "$order:lines differ"
            if @ids && join(',', map { "$_=$want{$_}" } sort keys %want)
                       ne join(',', map { "$_=$units{$_}" } sort keys %units);
    }
    # nothing at the simulators that is no shipment of an applied order
    push @twice, "carrier:$_:label for no shipment"
        for grep { !$mine{$_} } sort keys %bought;
    push @twice, "3pl:$_:order for no 3PL shipment"
        for grep { !$mine{$_} || $_ !~ /\@wh2$/ } sort keys %tpl;
    $r{carrier_created} = @{$c->{shipments}};
    $r{bought} = @{$c->{bought}};
    $r{refunded} = @{$c->{refunded}};
    $r{$_} //= 0 for qw(shipments labels created_again threepl_orders
                        threepl_creates);
    $r{lost} = \@lost;
    $r{twice} = \@twice;
    $r{diff} = \@diff;
    $r{shipped} = \%shipped;
    return \%r;
}

1;
