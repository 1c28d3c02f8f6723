#!/usr/bin/perl
# perl_client.pl PORT MODE
#   MODE basic     foreground, high, background jobs and a coalesced unique:
#                  three forked clients submit pl_slow with the same unique
#                  ID at the same time; gearmand answers all with one handle
#   MODE large     one 200 KB (204800 byte) argument to pl_size
#   MODE errors    pl_fail, then pl_die with exceptions => 1 (OPTION_REQ)
#   MODE perlserver  for the Perl Gearman::Server (perl-server capture):
#                  normal, high and background jobs, pl_fail, pl_die with
#                  exceptions => 1, a background pl_slow polled with
#                  GET_STATUS (queued/running, after it finished), and
#                  three clients coalesced on one unique
# Prints one line per submitted job: JOB <kind> <function> <unique> <result>
use strict;
use warnings;
use Gearman::Client;
use Time::HiRes qw(sleep);
$| = 1;

my ($port, $mode) = @ARGV;
my @servers = ("127.0.0.1:$port");
sub client { Gearman::Client->new(job_servers => [@servers], @_) }
sub show { my $r = shift; defined $r ? (ref $r ? $$r : $r) : "undef" }

if ($mode eq "basic") {
    my $c = client();
    my $r = $c->do_task("pl_upper", "hello from perl", { uniq => "pl-u-1" });
    print "JOB normal pl_upper pl-u-1 ", show($r), "\n";
    $r = $c->do_task("pl_upper", "high from perl", { uniq => "pl-u-2", priority => "high" });
    print "JOB high pl_upper pl-u-2 ", show($r), "\n";
    my $h = $c->dispatch_background("pl_upper", "background from perl", { uniq => "pl-u-bg" });
    print "JOB bg pl_upper pl-u-bg ", ($h // "undef"), "\n";
    $h = $c->dispatch_background("pl_upper", "low background from perl", { uniq => "pl-u-lowbg", priority => "low" });
    print "JOB low_bg pl_upper pl-u-lowbg ", ($h // "undef"), "\n";

    # coalescing: three processes, same function + unique, at the same time
    my @kids;
    for my $i (1 .. 3) {
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            sleep(0.05 * $i);
            my $cc = client();
            my $rr = $cc->do_task("pl_slow", "shared work", { uniq => "pl-coalesce" });
            print "JOB coalesce$i pl_slow pl-coalesce ", show($rr), "\n";
            exit 0;
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
    # and a background submit with the same unique while a foreground one runs
    my $bgpid = fork();
    if ($bgpid == 0) {
        my $cc = client();
        my $rr = $cc->do_task("pl_slow", "fg then bg", { uniq => "pl-coalesce-2" });
        print "JOB coalesce-fg pl_slow pl-coalesce-2 ", show($rr), "\n";
        exit 0;
    }
    sleep 0.3;
    $h = client()->dispatch_background("pl_slow", "fg then bg", { uniq => "pl-coalesce-2" });
    print "JOB coalesce-bg pl_slow pl-coalesce-2 ", ($h // "undef"), "\n";
    waitpid($bgpid, 0);
}
elsif ($mode eq "large") {
    my $big = "";
    my $n = 0;
    while (length($big) < 204800) {
        $big .= sprintf("%06d the quick brown fox jumps over the lazy gearman dog\n", $n++);
    }
    $big = substr($big, 0, 204800);
    my $r = client()->do_task("pl_size", \$big, { uniq => "pl-large" });
    my $res = show($r);
    print "JOB normal pl_size pl-large ", length($res), " bytes, ", substr($res, 0, 7), "\n";
}
elsif ($mode eq "errors") {
    my $c = client(exceptions => 1);
    my $r = $c->do_task("pl_fail", "y", { uniq => "pl-fail" });
    print "JOB normal pl_fail pl-fail ", show($r), "\n";
    # last: after this the Perl worker croaks on gearmand's ERROR reply
    my $exc;
    $r = $c->do_task("pl_die", "x", { uniq => "pl-die", on_exception => sub { $exc = shift } });
    print "JOB normal pl_die pl-die ", show($r), " exception=", ($exc // "none"), "\n";
}
elsif ($mode eq "perlserver") {
    my $c = client();
    my $r = $c->do_task("pl_upper", "hello perl server", { uniq => "ps-u-1" });
    print "JOB normal pl_upper ps-u-1 ", show($r), "\n";
    $r = $c->do_task("pl_upper", "high on perl server", { uniq => "ps-u-2", priority => "high" });
    print "JOB high pl_upper ps-u-2 ", show($r), "\n";
    my $h = $c->dispatch_background("pl_upper", "background on perl server", { uniq => "ps-u-bg" });
    print "JOB bg pl_upper ps-u-bg ", ($h // "undef"), "\n";
    $r = $c->do_task("pl_fail", "fail me", { uniq => "ps-fail" });
    print "JOB normal pl_fail ps-fail ", show($r), "\n";
    # the Perl server forwards WORK_EXCEPTION to this client (OPTION_REQ
    # exceptions) and then accepts the worker's WORK_FAIL without an ERROR
    my $exc;
    $r = client(exceptions => 1)->do_task("pl_die", "die for me", { uniq => "ps-die", on_exception => sub { $exc = shift } });
    print "JOB normal pl_die ps-die ", show($r), " exception=", ($exc // "none"), "\n";

    # GET_STATUS: a background pl_slow right after submit, while it runs
    # (after WORK_STATUS 1/3), and once it has finished (unknown handle)
    $h = $c->dispatch_background("pl_slow", "status me", { uniq => "ps-slow-bg" });
    print "JOB bg pl_slow ps-slow-bg ", ($h // "undef"), "\n";
    for my $wait (0, 0.4, 2.0) {
        sleep $wait;
        my $st = $c->get_status($h);
        print "STATUS ", ($st ? join(",", map { $_ // "undef" } $st->known, $st->running, @{ $st->progress || [] }) : "undef"), "\n";
    }

    # coalescing: three processes, same function + unique, 50 ms apart
    my @kids;
    for my $i (1 .. 3) {
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            sleep(0.05 * $i);
            my $rr = client()->do_task("pl_slow", "shared on perl server", { uniq => "ps-coalesce" });
            print "JOB coalesce$i pl_slow ps-coalesce ", show($rr), "\n";
            exit 0;
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
}
else { die "unknown mode $mode\n" }
