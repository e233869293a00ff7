package InvsyncProm;

# A strict reader of the Prometheus text exposition format (version
# 0.0.4), for the tests of the status page: every line is a HELP, a TYPE, a
# comment or a sample; names, labels and values as the format defines them;
# one TYPE and one HELP per family, before its samples, the samples of a
# family together; no series twice; and this project's conventions: every
# family has its HELP and TYPE, a counter's name ends in _total, a
# counter's value is never negative.  parse() returns the samples and the
# list of what is wrong (empty when the text is valid).

use strict;
use warnings;

my $NAME  = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $LABEL = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $VALUE = qr/[-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+|Inf|NaN)/;
my %TYPES = map { $_ => 1 } qw(counter gauge summary histogram untyped);

# the family a sample belongs to, given the types declared
sub _family {
    my ($name, $type) = @_;
    return $name if $type->{$name};
    for my $suffix (qw(_sum _count _bucket)) {
        (my $base = $name) =~ s/\Q$suffix\E$// or next;
        my $t = $type->{$base} // '';
        return $base if $t eq 'summary' || $t eq 'histogram';
    }
    return $name;
}

sub _labels {
    my ($s, $err) = @_;
    my (%l, @order);
    while ($s ne '') {
        $s =~ s/^($LABEL)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)// or do {
            push @$err, "bad labels near '$s'";
            return;
        };
        my ($k, $v) = ($1, $2);
        push @$err, "label $k twice" if exists $l{$k};
        $v =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
        $l{$k} = $v;
        push @order, $k;
    }
    return \%l;
}

sub parse {
    my ($text) = @_;
    my (@err, @samples, %type, %help, %seen, %done, $current);

    push @err, 'no final newline' if $text ne '' && $text !~ /\n\z/;

    for my $line (split /\n/, $text) {
        if ($line =~ /^#\s*(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/) {
            my ($what, $name, $rest) = ($1, $2, $3 // '');
            push @err, "bad metric name '$name'" unless $name =~ /^$NAME$/;
            if ($what eq 'TYPE') {
                push @err, "TYPE of $name twice" if $type{$name};
                push @err, "unknown type '$rest' of $name"
                    unless $TYPES{$rest};
                push @err, "TYPE of $name after its samples"
                    if $done{$name} || ($current // '') eq $name;
                push @err, "counter $name does not end in _total"
                    if $rest eq 'counter' && $name !~ /_total$/;
                $type{$name} = $rest;
            } else {
                push @err, "HELP of $name twice" if defined $help{$name};
                push @err, "HELP of $name is empty" if $rest eq '';
                $help{$name} = $rest;
            }
            next;
        }
        next if $line =~ /^#/;
        if ($line =~ /^\s*$/) {
            push @err, 'an empty line';
            next;
        }
        $line =~ /^($NAME)(?:\{(.*)\})?\s+($VALUE)(?:\s+(-?[0-9]+))?$/ or do {
            push @err, "not a sample: '$line'";
            next;
        };
        my ($name, $ls, $value) = ($1, $2 // '', $3);
        my $labels = _labels($ls, \@err) // {};
        my $fam = _family($name, \%type);
        my $t = $type{$fam};

        push @err, "$name has no TYPE" unless $t;
        push @err, "$name has no HELP" unless defined $help{$fam};
        if (($current // '') ne $fam) {
            push @err, "samples of $fam not together" if $done{$fam};
            $done{$current} = 1 if defined $current;
            $current = $fam;
        }
        if (($t // '') eq 'counter') {
            push @err, "counter sample $name is not its family's name"
                if $name ne $fam;
            push @err, "counter $name is negative: $value" if $value < 0;
        }
        if (($t // '') eq 'summary' && $name eq $fam) {
            push @err, "summary $name without a quantile"
                unless exists $labels->{quantile};
        }
        my $series = join ',', $name,
                     map { "$_=$labels->{$_}" } sort keys %$labels;
        push @err, "series $series twice" if $seen{$series}++;
        push @samples, { name => $name, labels => $labels,
                         value => $value };
    }
    return (\@samples, \@err);
}

# the value of the one sample of that name and those labels, or undef
sub value {
    my ($samples, $name, %labels) = @_;
    my @m = grep {
        my $s = $_;
        $s->{name} eq $name
        && !grep { ($s->{labels}{$_} // "\0") ne $labels{$_} } keys %labels
    } @$samples;
    return @m == 1 ? $m[0]{value} : undef;
}

1;
