package InvsyncWebDriver;

# A small W3C WebDriver client over HTTP::Tiny, enough to drive Debian's
# chromium headless through chromedriver: a session, navigation, finding
# elements, clicking, typing, running a script, screenshots, the
# browser's console log (chromedriver's goog:loggingPrefs).  Core Perl
# and HTTP::Tiny only.

use strict;
use warnings;

use HTTP::Tiny;
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

my $ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

sub chromedriver { _which('chromedriver') }
sub chromium { _which('chromium') }

sub _which {
    my ($bin) = @_;
    for my $d (split /:/, "$ENV{PATH}:/usr/bin:/usr/lib/chromium") {
        return "$d/$bin" if -x "$d/$bin";
    }
    return undef;
}

# Starts chromedriver on $port (its log in $dir) and a headless session.
sub start {
    my ($class, %o) = @_;
    my $self = bless { port => $o{port}, dir => $o{dir},
                       http => HTTP::Tiny->new(timeout => 60) }, $class;

    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$o{dir}/chromedriver.log";
        open STDERR, '>&', \*STDOUT;
        { exec chromedriver(), "--port=$o{port}"; }
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;

    my $end = time + 30;
    while (time < $end) {
        my $r = $self->{http}->get("http://127.0.0.1:$o{port}/status");
        last if $r->{success};
        sleep 0.2;
    }

    my $r = $self->call('POST', '/session', { capabilities => {
        alwaysMatch => {
            browserName => 'chrome',
            'goog:chromeOptions' => {
                binary => chromium(),
                args => ['--headless=new', '--no-sandbox', '--disable-gpu',
                         '--disable-dev-shm-usage', '--no-first-run',
                         '--window-size=1280,900',
                         "--user-data-dir=$o{dir}/chromium"],
            },
            'goog:loggingPrefs' => { browser => 'ALL' },
        } } });
    $self->{session} = $r->{sessionId}
        or die "no webdriver session: " . encode_json($r) . "\n";
    return $self;
}

# One command; dies with the driver's message on an error.
sub call {
    my ($self, $method, $path, $body) = @_;
    my $url = "http://127.0.0.1:$self->{port}$path";
    my $r = $self->{http}->request($method, $url, {
        headers => { 'Content-Type' => 'application/json' },
        defined $body ? (content => encode_json($body)) : () });
    my $doc = eval { decode_json($r->{content}) } || {};
    die "webdriver $method $path: $r->{status} "
        . ($doc->{value}{message} // $r->{content}) . "\n"
        unless $r->{success};
    return $path eq '/session' ? $doc->{value} : $doc->{value};
}

sub s { "/session/$_[0]{session}" }

sub go { $_[0]->call('POST', $_[0]->s . '/url', { url => $_[1] }) }

sub find {
    my ($self, $css) = @_;
    my $v = $self->call('POST', $self->s . '/element',
                        { using => 'css selector', value => $css });
    return $v->{$ELEMENT} // die "webdriver: find $css: " . encode_json($v) . "\n";
}

sub click {
    my ($self, $css) = @_;
    my $e = $self->find($css);
    $self->call('POST', $self->s . "/element/$e/click", {});
}

sub type {
    my ($self, $css, $text) = @_;
    my $e = $self->find($css);
    $self->call('POST', $self->s . "/element/$e/value", { text => $text });
}

sub script {
    my ($self, $js, @args) = @_;
    return $self->call('POST', $self->s . '/execute/sync',
                       { script => $js, args => \@args });
}

# Polls a script until it answers true, up to $secs; returns its value.
sub wait_js {
    my ($self, $secs, $js) = @_;
    my $end = time + $secs;
    my $v;
    while (1) {
        $v = eval { $self->script($js) };
        return $v if $v || time > $end;
        sleep 0.2;
    }
}

sub text_of {
    my ($self, $css) = @_;
    return $self->script('var e = document.querySelector(arguments[0]);'
                         . 'return e ? e.textContent : null;', $css);
}

sub size {
    my ($self, $w, $h) = @_;
    $self->call('POST', $self->s . '/window/rect',
                { width => $w, height => $h });
}

sub screenshot {
    my ($self, $file) = @_;
    my $png = decode_base64($self->call('GET', $self->s . '/screenshot'));
    open my $fh, '>:raw', $file or die "$file: $!\n";
    print $fh $png;
    close $fh;
    return length $png;
}

# The browser's console entries since the last call: [{level, message}].
sub console_log {
    my ($self) = @_;
    return $self->call('POST', $self->s . '/se/log', { type => 'browser' });
}

sub stop {
    my ($self) = @_;
    eval { $self->call('DELETE', $self->s) } if $self->{session};
    delete $self->{session};
    if (my $pid = delete $self->{pid}) {
        kill 'TERM', $pid;
        for (1 .. 100) {
            last if waitpid($pid, WNOHANG) == $pid;
            sleep 0.05;
        }
    }
}

sub DESTROY { $_[0]->stop }

1;
