// Seed scripts for fuzz_engine. Slots by convention: 0 and 2 clients, 1 and 3 workers, 4 admin,
// 5 a third client. Handles 0-4 are ordinary, 5 empty, 6 the longest allowed, 7 too long;
// functions 0 "f", 1 "g", 2 "", 3 "reverse"; uniques 0 "", 1 "u1", 2 "u2"; misc 1 JOB_NOT_FOUND,
// 2 QUEUE_FULL (engine_script.h).
#include "engine_seeds.h"

#include <functional>

#include "engine_script.h"

namespace enginefuzz {

using namespace gearproto;

namespace {

// The whole lifecycle of one job: submit, JOB_CREATED, assignment, status, result both ways.
void normal_job(Script& s, int client, int worker, int handle, int function, int unique) {
  s.submit(client, function, unique)
      .created(client, handle)
      .pdu(worker, CAN_DO, true, 0, function)
      .grab(worker)
      .assign(worker, handle, function, unique)
      .pdu(worker, WORK_STATUS, true, handle, 0, 0, 3)
      .pdu(client, WORK_STATUS, false, handle, 0, 0, 3)
      .pdu(worker, WORK_DATA, true, handle, 0, 0, 5)
      .pdu(client, WORK_DATA, false, handle, 0, 0, 5)
      .worker_end(worker, handle)
      .client_result(client, handle);
}

void lifecycle(Script& s) {
  normal_job(s, 0, 1, 0, 0, 1);
  s.pdu(1, PRE_SLEEP, true).pdu(1, NOOP, false, 0, 0, 0, 0, kSecond).grab(1).pdu(1, NO_JOB, false);
  normal_job(s, 2, 3, 1, 1, 0);
  s.advance(kPastLinger).close(0).close(1).close(2).close(3);
}

void assign_before_created(Script& s) {
  s.submit(0, 0, 1).grab(1).assign(1, 0, 0, 1).worker_end(1, 0).created(0, 0).client_result(0, 0);
  // The same, but the client's result never comes: the job waits expect_ns.
  s.submit(0, 1, 2).grab(1).assign(1, 1, 1, 2).created(0, 1).worker_end(1, 1).advance(kPastExpect);
  // Ended at the worker while a submit waits for its JOB_CREATED elsewhere; the submit is refused.
  s.submit(2, 0, 0).grab(1).assign(1, 2, 0).worker_end(1, 2).error(2, 2).advance(kPastLinger);
}

void result_before_worker(Script& s) {
  s.submit(0, 0, 1).created(0, 0).grab(1).assign(1, 0, 0, 1).client_result(0, 0).worker_end(1, 0, WORK_COMPLETE, kMicro);
  // The worker dies after the client got the result: the server ended it.
  s.submit(0, 0, 2).created(0, 1).grab(1).assign(1, 1, 0, 2).client_result(0, 1, WORK_FAIL).close(1);
  // No worker at all: the server fails the job (Gearman::Server's maxqueue).
  s.submit(2, 1, 0).created(2, 2).client_result(2, 2, WORK_FAIL).advance(kPastLinger);
}

void coalescing(Script& s) {
  s.submit(0, 0, 1).submit(2, 0, 1).submit(5, 0, 1).submit(4, 0, 1);
  s.created(0, 0).created(2, 0).created(5, 0).created(4, 0);
  s.grab(1).assign(1, 0, 0, 1).worker_end(1, 0);
  s.client_result(0, 0).client_result(2, 0).client_result(5, 0).client_result(4, 0);
  // A coalesced JOB_CREATED that comes after the job ended (same unique ID).
  s.submit(5, 0, 1).created(5, 0).client_result(5, 0).advance(kPastLinger);
  // Background submits coalesced.
  s.submit(0, 1, 2, SUBMIT_JOB_BG).submit(2, 1, 2, SUBMIT_JOB_BG).created(0, 1).created(2, 1);
  s.grab(3).assign(3, 1, 1, 2).worker_end(3, 1);
}

void late_terminal_and_not_found(Script& s) {
  s.submit(0, 0, 0).created(0, 0).grab(1).assign(1, 0, 0);
  s.worker_end(1, 0, WORK_EXCEPTION).worker_end(1, 0, WORK_FAIL).error(1, 1);
  s.client_result(0, 0, WORK_EXCEPTION).client_result(0, 0, WORK_FAIL);
  // A terminal for a handle the server does not know: voided by JOB_NOT_FOUND.
  s.worker_end(1, 3).error(1, 1);
  // A terminal for a job that began before the capture: the server's next packet makes it real.
  s.worker_end(1, 4).pdu(1, NOOP, false);
  // Two unknown terminals in a row: the first is real once the second comes.
  s.worker_end(3, 1).worker_end(3, 2).error(3, 1);
  // Updates after the end.
  s.pdu(1, WORK_DATA, true, 4).pdu(1, WORK_STATUS, true, 4, 0, 0, 3);
  // A result for no job.
  s.client_result(2, 3).advance(kPastLinger);
}

void reassign(Script& s) {
  s.submit(0, 0, 1).created(0, 0).grab(1).assign(1, 0, 0, 1).pdu(1, WORK_STATUS, true, 0, 0, 0, 3).close(1);
  s.grab(3).assign(3, 0, 0, 1).worker_end(3, 0).client_result(0, 0);
  // Reassigned while the first worker still holds it (no close seen).
  s.submit(2, 1, 0).created(2, 1).grab(1).assign(1, 1, 1).grab(3).assign(3, 1, 1).worker_end(3, 1).client_result(2, 1);
  // The worker is lost after the client left.
  s.submit(0, 0, 0).created(0, 2).close(0).grab(1).assign(1, 2, 0).close(1).advance(kPastExpect);
}

void caps(Script& s) {
  // More submits than max_pending_submits on one connection, then their JOB_CREATEDs.
  for (int i = 0; i < 6; ++i) s.submit(0, i % 2, 0);
  for (int h = 0; h < 5; ++h) s.created(0, h);
  s.created(0, 6);
  // More open jobs than max_open_jobs (jobs first seen at workers, on both servers).
  for (int h = 0; h < 5; ++h) s.grab(1).assign(1, h, 0).grab(3).assign(3, h, 1);
  // Many jobs Done at once: more than max_lingering.
  for (int h = 0; h < 5; ++h) s.worker_end(1, h).worker_end(3, h);
  for (int h = 0; h < 5; ++h) s.client_result(0, h);
  // More unanswered grabs and echoes than max_pending_requests.
  for (int i = 0; i < 6; ++i) s.grab(1).pdu(1, ECHO_REQ, true, 0, 0, 0, 5);
  for (int i = 0; i < 6; ++i) s.pdu(1, NO_JOB, false).pdu(1, ECHO_RES, false, 0, 0, 0, 5);
  s.advance(kPastLinger);
}

void requests(Script& s) {
  s.pdu(0, ECHO_REQ, true, 0, 0, 0, 5).pdu(0, ECHO_RES, false, 0, 0, 0, 5).pdu(0, ECHO_RES, false);
  s.pdu(0, OPTION_REQ, true, 0, 0, 0, 5).pdu(0, OPTION_RES, false, 0, 0, 0, 5);
  s.pdu(0, OPTION_REQ, true, 0, 0, 0, 5).error(0, 3);
  s.pdu(0, SET_CLIENT_ID, true, 0, 0, 0, 5);
  s.pdu(0, SUBMIT_JOB_BG, true, 0, 0, 1, 5).error(0, 2);  // QUEUE_FULL refuses the submit
  s.pdu(0, SUBMIT_JOB_HIGH, true, 0, 1, 1, 5).created(0, 0);
  s.pdu(0, GET_STATUS, true, 0).pdu(0, STATUS_RES, false, 0, 0, 0, 3);
  s.pdu(0, GET_STATUS_UNIQUE, true, 0, 0, 1).pdu(0, STATUS_RES_UNIQUE, false, 0, 0, 1, 3);
  s.pdu(0, GET_STATUS, true, 4).pdu(0, STATUS_RES, false, 4, 0, 0, 4);
  s.pdu(1, CAN_DO_TIMEOUT, true, 0, 1, 0, 3).pdu(1, CANT_DO, true, 0, 1).pdu(1, RESET_ABILITIES, true);
  s.pdu(1, ALL_YOURS, true).pdu(1, GRAB_JOB_UNIQ, true).pdu(1, JOB_ASSIGN_UNIQ, false, 0, 1, 1, 5);
  s.pdu(1, WORK_WARNING, true, 0, 0, 0, 5).pdu(0, WORK_WARNING, false, 0, 0, 0, 5);
  s.pdu(1, WORK_COMPLETE, true, 0).pdu(0, WORK_COMPLETE, false, 0);
  s.pdu(1, GRAB_JOB_ALL, true).error(1, 3);  // Gearman::Server does not know GRAB_JOB_ALL
  s.pdu(1, GRAB_JOB_ALL, true).pdu(1, JOB_ASSIGN_ALL, false, 1, 0, 2, 5);
  s.pdu(2, SUBMIT_REDUCE_JOB, true, 0, 0, 2, 5).pdu(2, SUBMIT_JOB_SCHED, true, 0, 3, 0, 3)
      .pdu(2, SUBMIT_JOB_EPOCH, true, 0, 0, 0, 7).pdu(2, SUBMIT_JOB_LOW_BG, true, 0, 1)
      .pdu(2, SUBMIT_REDUCE_JOB_BACKGROUND, true, 0, 0, 0, 5).pdu(2, SUBMIT_JOB_LOW, true, 0, 1)
      .pdu(2, SUBMIT_JOB_HIGH_BG, true, 0, 1, 2);
  for (int h = 1; h < 5; ++h) s.created(2, h);
  s.created(2, 7).created(2, 5);  // too long, empty
  s.pdu(1, JOB_ASSIGN, false, 1, 0, 0, 5);  // unanswered assign
}

void admin(Script& s) {
  s.admin_command(4, 0).admin_reply(4, 3).admin_reply(4, 3).admin_reply(4, 0);
  s.admin_command(4, 2).admin_reply(4, 6).admin_reply(4, 0);
  s.admin_command(4, 8).admin_reply(4, 8);
  s.admin_command(4, 15).admin_reply(4, 2);
  s.admin_command(4, 1).admin_command(4, 5).admin_reply(4, 5).admin_reply(4, 0).admin_reply(4, 1);
  s.admin_command(4, 13).lost_bytes(4).admin_reply(4, 7).admin_reply(4, 0);
  s.admin_reply(5, 1);  // a reply nobody asked for
  normal_job(s, 0, 1, 0, 0, 0);
}

void time_and_epochs(Script& s) {
  s.submit(0, 0, 1).created(0, 0).grab(1).assign(1, 0, 0, 1);
  s.pdu(1, WORK_COMPLETE, true, 0, 0, 0, 5, kBackPastExpect).pdu(0, WORK_COMPLETE, false, 0, 0, 0, 5, kBackMilli);
  s.clock(4, 1, 40).clock(1, 0xffffff, 39);  // far forward, then back
  s.submit(0, 0, 0).created(0, 1).finish();
  s.grab(1).assign(1, 1, 0).worker_end(1, 1).client_result(0, 1);
  s.clock(2, 0, 0).submit(0, 0, 0).created(0, 2).advance(kPastExpect);
  s.reset();
  normal_job(s, 0, 1, 0, 0, 1);
  s.clock(7, 5, 0);  // back to near zero, advancing
  normal_job(s, 2, 3, 1, 1, 2);
}

void two_servers(Script& s) {
  s.open(0, 0).open(1, 0).open(2, 1).open(3, 1);
  normal_job(s, 0, 1, 0, 0, 1);
  normal_job(s, 2, 3, 0, 0, 1);
  // A worker on server 1 ending server 0's handle: another job.
  s.submit(0, 1, 0).created(0, 1).grab(3).assign(3, 1, 1).worker_end(1, 1).error(1, 1).worker_end(3, 1);
  s.close(0).close(1).close(2).close(3).advance(kPastLinger);
}

void lost_bytes_and_reuse(Script& s) {
  s.submit(0, 0, 1).submit(0, 1, 2).lost_bytes(0).created(0, 0).created(0, 1);
  s.grab(1).assign(1, 0, 0, 1).worker_end(1, 0).client_result(0, 0).advance(kPastLinger);
  // The server restarted: the handle comes back for a new job.
  s.submit(0, 0, 2).created(0, 0).grab(1).assign(1, 0, 0, 2).worker_end(1, 0).client_result(0, 0);
  s.submit(0, 0, 0).created(0, 0).created(0, 0);
}

// Worker results without the NUL before their empty last argument (Perl Gearman::Worker's empty
// result): taken by the server (its copy reaches the client after the worker's packet, or before
// it), refused with the connection closed and the job re-assigned (gearmand), refused with ERROR
// and the job failed to its client (Gearman::Server).
void bare_terminals(Script& s) {
  s.submit(0, 0, 1).created(0, 0).grab(1).assign(1, 0, 0, 1);
  s.pdu(1, WORK_COMPLETE, true, 0, 0, 0, 5, kMilli, kLastArgMissing).pdu(0, WORK_COMPLETE, false, 0, 0, 0, 5, kMilli, kLastArgMissing);
  s.submit(0, 0, 2).created(0, 1).grab(1).assign(1, 1, 0, 2).client_result(0, 1);
  s.pdu(1, WORK_COMPLETE, true, 1, 0, 0, 5, kMilli, kLastArgMissing);
  s.submit(2, 1, 0).created(2, 2).grab(1).assign(1, 2, 1).pdu(1, WORK_EXCEPTION, true, 2, 0, 0, 5, kMilli, kLastArgMissing);
  s.close(1).grab(3).assign(3, 2, 1).worker_end(3, 2).client_result(2, 2);
  s.submit(2, 1, 0).created(2, 3).grab(3).assign(3, 3, 1).pdu(3, WORK_COMPLETE, true, 3, 0, 0, 5, kMilli, kLastArgMissing);
  s.error(3, 2).client_result(2, 3, WORK_FAIL).close(3).advance(kPastLinger);
}

// Many jobs (generated handles 0x80 + i, functions and uniques likewise): the engine's hash tables
// grow and shift on erase, the per-connection job lists are compacted, the caps close jobs.
void many_jobs(Script& s) {
  for (int i = 0; i < 70; ++i)
    s.pdu(0, SUBMIT_JOB, true, 0, 0x80 + i % 20, 0x80 + i, 5, kMicro).pdu(0, JOB_CREATED, false, 0x80 + i, 0, 0, 0, kMicro);
  s.pdu(2, GET_STATUS_UNIQUE, true, 0, 0, 0x80 + 3).pdu(2, STATUS_RES_UNIQUE, false, 0, 0, 0x80 + 3, 3);
  for (int i = 0; i < 70; ++i) s.pdu(1, JOB_ASSIGN, false, 0x80 + i, 0x80 + i % 20, 0, 5, kMicro);
  for (int i = 0; i < 70; i += 2) s.pdu(1, WORK_COMPLETE, true, 0x80 + i, 0, 0, 5, kMicro);
  for (int i = 0; i < 70; i += 3) s.pdu(0, WORK_COMPLETE, false, 0x80 + i, 0, 0, 5, kMicro);
  s.close(1).advance(kPastLinger).close(0);
}

// Every known type both ways, with each argument shape.
void every_type(Script& s, Shape shape) {
  for (uint32_t t = 1; t <= kMaxKnownType; ++t) {
    if (t == 5) continue;
    s.pdu(int(t % 3), t, true, int(t % 8), int(t % 4), int(t % 4), int(t % 8), kMicro, shape);
    s.pdu(int(t % 3), t, false, int(t % 8), int(t % 4), int(t % 4), int(t % 8), kMicro, shape, true);
  }
}

}  // namespace

std::vector<std::string> seed_scripts() {
  const std::vector<std::function<void(Script&)>> scripts = {
      lifecycle, assign_before_created, result_before_worker, coalescing, late_terminal_and_not_found,
      reassign, caps, requests, admin, time_and_epochs, two_servers, lost_bytes_and_reuse, many_jobs, bare_terminals,
      [](Script& s) { s.stale(0).stale(1); normal_job(s, 0, 1, 0, 0, 0); s.close(1).stale(2).stale(2); },
      [](Script& s) { every_type(s, kAllArgs); },
      [](Script& s) { every_type(s, kLastArgMissing); },
      [](Script& s) { every_type(s, kNoData); },
      [](Script& s) { every_type(s, kExtraArg); },
  };
  // Each script in the plugin's mode and the analyzer's, with small caps and with tiny ones, and
  // with the timings that make lingering and waiting expire within a script.
  const uint8_t configs[] = {
      Script::config(false, kSmallCaps, kDefaultTiming, true),
      Script::config(true, kSmallCaps, kShortTiming, true),
      Script::config(false, kTinyCaps, kZeroTiming, false),
      Script::config(true, kDefaultCaps, kDefaultTiming, false),
      Script::config(false, kNoJobCap, kLongLingerShortExpect, true),
      uint8_t(Script::config(false, kSmallCaps, kShortTiming, false) | kNoSink),
  };
  std::vector<std::string> out;
  for (const auto& script : scripts)
    for (uint8_t c : configs) {
      Script s(c);
      script(s);
      out.push_back(s.bytes());
    }
  return out;
}

}  // namespace enginefuzz
