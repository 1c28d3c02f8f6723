#!/usr/bin/perl
# perl_empty.pl worker PORT STOPFILE [CLIENT_ID]
# perl_empty.pl client PORT FUNCTION...
# Gearman::Worker / Gearman::Client (libgearman-client-perl 2.004.015) with EMPTY and Perl-false
# values. Gearman::Worker builds its work packets as `$v ? "handle\0$v" : "handle"`, so an empty
# value, and the string "0", goes on the wire as the bare handle without the NUL separator:
#   pe_empty    returns ""                          -> WORK_COMPLETE "H:x:N"
#   pe_zero     returns "0"                         -> WORK_COMPLETE "H:x:N" (the "0" is lost)
#   pe_data     send_work_data($job, "")            -> WORK_DATA "H:x:N"
#   pe_warn     send_work_warning($job, "")         -> WORK_WARNING "H:x:N"
#   pe_status   send_work_status($job, 1, 2): the Worker method passes only the numerator on
#                                                   -> WORK_STATUS "H:x:N\01" (no denominator)
#   pe_jstatus  Gearman::Job->set_status("", "")    -> WORK_STATUS "H:x:N\0\0" (empty numbers)
#   pe_undef    returns undef                       -> WORK_FAIL "H:x:N" (as always)
# gearmand 1.1.20 cannot parse a packet that lacks a separator (it logs a realloc of SIZE_MAX
# bytes) and closes the worker's connection; the job goes back to the queue and comes straight
# back to this worker when it reconnects. So each function does its odd thing on the FIRST
# assignment of a handle only, and answers normally ("fine:FUNCTION") on the next one; without
# that the job would loop forever.
# The client submits the named functions one after another (do_task, unique pe-u-FUNCTION) and
# prints JOB <kind> <function> <unique> <result> <what it saw>.
use strict;
use warnings;
use Gearman::Worker;
use Gearman::Client;
use Time::HiRes qw(sleep);
$| = 1;

my ($mode, $port, @rest) = @ARGV;
my @servers = ("127.0.0.1:$port");

if ($mode eq "worker") {
    my ($stop, $id) = @rest;
    my $w = Gearman::Worker->new(job_servers => [@servers], client_id => ($id || "perl-empty-worker"));
    my %attempt;
    # first assignment of a handle: run $odd (then wait for the server's reaction); later: normal
    my $once = sub {
        my ($name, $odd) = @_;
        return sub {
            my $job = shift;
            return "fine:$name" if $attempt{ $job->handle }++;
            return $odd->($job);
        };
    };
    $w->register_function(pe_empty  => $once->(pe_empty => sub { "" }));
    $w->register_function(pe_zero   => $once->(pe_zero  => sub { "0" }));
    $w->register_function(pe_undef  => sub { undef });
    $w->register_function(pe_data   => $once->(pe_data  => sub { $w->send_work_data($_[0], ""); sleep 0.3; "data sent" }));
    $w->register_function(pe_warn   => $once->(pe_warn  => sub { $w->send_work_warning($_[0], ""); sleep 0.3; "warned" }));
    $w->register_function(pe_status => $once->(pe_status => sub { $w->send_work_status($_[0], 1, 2); sleep 0.3; "status sent" }));
    $w->register_function(pe_jstatus => $once->(pe_jstatus => sub { $_[0]->set_status("", ""); sleep 0.3; "empty status sent" }));
    $w->work(stop_if => sub { -e $stop });
}
elsif ($mode eq "client") {
    my $c = Gearman::Client->new(job_servers => [@servers]);
    for my $f (@rest) {
        my @seen;
        my $r = $c->do_task($f, "arg for $f", {
            uniq       => "pe-u-$f",
            timeout    => 10,
            on_status  => sub { push @seen, "status " . join("/", map { defined $_ ? "'$_'" : "undef" } @_) },
            on_data    => sub { push @seen, "data '" . ${ $_[0] } . "'" },
            on_warning => sub { push @seen, "warning '" . ${ $_[0] } . "'" },
        });
        printf "JOB normal %s pe-u-%s %s %s\n", $f, $f,
            (defined $r ? "'" . (ref $r ? $$r : $r) . "'" : "undef"), join(", ", @seen);
    }
}
else { die "usage: perl_empty.pl worker|client PORT ...\n" }
