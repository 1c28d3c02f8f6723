/*
 * plan.c - which job each client submits, and the workload that tells the
 * worker how to end it. Deterministic: the same (client, seq) always gives
 * the same job, so a run can be repeated and the counts reasoned about.
 */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const FUNC_NAMES[NFUNC] = {"ld_echo", "ld_reverse", "ld_hash", "ld_flaky"};
const char *const OUTCOME_NAMES[NOUT] = {"complete", "fail", "exception"};
const char OUTCOME_CHARS[NOUT] = {'C', 'F', 'E'};

static uint64_t splitmix64(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Picks an index from percentage weights that sum to 100. */
static int pick(unsigned roll, const unsigned *weights, int n)
{
  for (int i = 0; i < n; i++) {
    if (roll < weights[i]) return i;
    roll -= weights[i];
  }
  return n - 1;
}

/* Functions: echo 40 %, reverse 30 %, hash 20 %, flaky 10 %. */
static const unsigned FUNC_WEIGHTS[NFUNC] = {40, 30, 20, 10};
/* Foreground 60 % (high 10, normal 40, low 10), background 40 % (10, 20, 10). */
static const unsigned KIND_WEIGHTS[NKIND] = {10, 40, 10, 10, 20, 10};
/* Outcomes per function: complete / fail / exception. */
static const unsigned OUTCOME_WEIGHTS[NFUNC][NOUT] = {
  {100, 0, 0},   /* ld_echo: always completes */
  {95, 5, 0},    /* ld_reverse: some failures */
  {90, 5, 5},    /* ld_hash: failures and exceptions */
  {60, 25, 15},  /* ld_flaky: many of both */
};

struct job_plan plan_job(unsigned client, uint64_t seq)
{
  uint64_t r = splitmix64(((uint64_t)client << 40) ^ seq);
  struct job_plan p;
  p.func = pick((unsigned)(r % 100), FUNC_WEIGHTS, NFUNC);
  p.kind = pick((unsigned)((r >> 16) % 100), KIND_WEIGHTS, NKIND);
  p.outcome = pick((unsigned)((r >> 32) % 100), OUTCOME_WEIGHTS[p.func], NOUT);
  return p;
}

int plan_workload(char *out, unsigned client, uint64_t seq, struct job_plan p)
{
  return snprintf(out, WORKLOAD_MAX, "%c%c %u %llu", kind_is_bg(p.kind) ? 'b' : 'f',
                  OUTCOME_CHARS[p.outcome], client, (unsigned long long)seq);
}

int plan_parse(const char *w, size_t n, int *bg, int *outcome)
{
  if (n < 2 || (w[0] != 'f' && w[0] != 'b')) return -1;
  *bg = w[0] == 'b';
  const char *c = memchr(OUTCOME_CHARS, w[1], NOUT);
  if (!c) return -1;
  *outcome = (int)(c - OUTCOME_CHARS);
  return 0;
}

/* Even workers do every function; odd ones one function each, in turn.
   gearmand hands a GRAB_JOB_ALL the first queued job in the order of the
   worker's functions, so with generalists only, the function registered
   last would be served first and the others would wait in queue. */
int worker_does(unsigned worker, int func)
{
  return worker % 2 == 0 || func == (int)(worker / 2) % NFUNC;
}
