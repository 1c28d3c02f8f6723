#!/usr/bin/perl
# perl_worker.pl PORT STOPFILE [CLIENT_ID]
# A Gearman::Worker (plain GRAB_JOB / JOB_ASSIGN worker) serving:
#   pl_upper  upper-cases its argument (WORK_COMPLETE)
#   pl_slow   sleeps 1.5 s, sending WORK_STATUS and WORK_DATA first, so
#             several clients can coalesce onto the same job meanwhile
#   pl_size   returns the length and an upper-cased copy of a big argument
#   pl_die    dies: Gearman::Worker sends WORK_EXCEPTION, then WORK_FAIL
#   pl_fail   returns undef: WORK_FAIL
# Runs until STOPFILE exists.
use strict;
use warnings;
use Gearman::Worker;
use Time::HiRes qw(sleep);

my ($port, $stop, $id) = @ARGV;
$id ||= "perl-worker-1";
my $w = Gearman::Worker->new(job_servers => ["127.0.0.1:$port"], client_id => $id);
$w->register_function(pl_upper => sub { uc ${ $_[0]->argref } });
$w->register_function(pl_slow => sub {
    my $job = shift;
    $job->set_status(1, 3);
    sleep 0.75;
    $job->set_status(2, 3);
    sleep 0.75;
    return "slow:" . ${ $job->argref };
});
$w->register_function(pl_size => sub {
    my $arg = ${ $_[0]->argref };
    return length($arg) . ":" . uc($arg);
});
$w->register_function(pl_die  => sub { die "pl_die was asked to die\n" });
$w->register_function(pl_fail => sub { return undef });
$w->work(stop_if => sub { -e $stop });
