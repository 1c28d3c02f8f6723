/*
 * load.h - shared definitions of the load program (captures/gen/load/).
 *
 * The load program drives a real gearmand with libgearman workers and
 * pipelining clients, each in its own process with its own TCP connection,
 * and writes the truth of what it did from its own counters. The plan (which
 * function, priority, foreground/background and outcome each job gets) is a
 * pure function of (client, sequence number), so the clients know what they
 * asked for and the workers read what to do from the job's workload.
 */
#ifndef GEARWIRE_LOAD_H
#define GEARWIRE_LOAD_H

#include <stdint.h>
#include <stdio.h>

enum { NFUNC = 4 };
extern const char *const FUNC_NAMES[NFUNC];

/* How a job was submitted: foreground/background x high/normal/low. */
enum kind { FG_HIGH, FG_NORMAL, FG_LOW, BG_HIGH, BG_NORMAL, BG_LOW, NKIND };
static inline int kind_is_bg(int k) { return k >= BG_HIGH; }

enum outcome { OUT_COMPLETE, OUT_FAIL, OUT_EXCEPTION, NOUT };
extern const char *const OUTCOME_NAMES[NOUT];
extern const char OUTCOME_CHARS[NOUT];         /* 'C', 'F', 'E' in workloads */

struct job_plan {
  int func, kind, outcome;
};

/* The plan of job `seq` of client `client`. */
struct job_plan plan_job(unsigned client, uint64_t seq);

/* SET_CLIENT_ID of worker / client number N. */
#define WORKER_ID_FMT "ld-worker-%u"
#define CLIENT_ID_FMT "ld-client-%u"

/* Whether worker number `worker` registers function `func`. */
int worker_does(unsigned worker, int func);

/* Workload: "<f|b><C|F|E> <client> <seq>", at most WORKLOAD_MAX bytes. */
enum { WORKLOAD_MAX = 48 };
int plan_workload(char *out, unsigned client, uint64_t seq, struct job_plan p);
/* Parses a workload back: fills *bg and *outcome, returns 0 on success. */
int plan_parse(const char *w, size_t n, int *bg, int *outcome);

/*
 * Counters, one slot per process in a MAP_SHARED mapping. Each slot has a
 * single writer (its process); the parent only reads (atomically) and sums.
 */
struct slot {
  /* clients: what they submitted and what their plan says must happen */
  uint64_t submitted[NFUNC][NKIND];
  uint64_t planned[NFUNC][2][NOUT];    /* [fg=0|bg=1] */
  uint64_t created;                    /* JOB_CREATED seen (created callback) */
  uint64_t saw[NFUNC][NOUT];           /* foreground results the client got */
  uint64_t batches;
  /* workers: what they did */
  uint64_t did[NFUNC][2][NOUT];
  uint64_t did_total;
  uint64_t problems;                   /* anything unexpected; details on stderr */
  int ready;                           /* worker: connected and registered */
};

struct shared {
  volatile int stop;                   /* parent -> workers: all jobs done */
  unsigned nworkers, nclients;
  struct slot slots[];                 /* workers first, then clients */
};

struct options {
  const char *host;
  int port;
  uint64_t jobs;
  unsigned workers, clients, batch;
  int deadline_s;
  const char *truth_path;
};

int run_worker(const struct options *o, struct shared *sh, unsigned index);
int run_client(const struct options *o, struct shared *sh, unsigned index);
void write_truth(const struct options *o, const struct shared *sh, double seconds, FILE *f);

static inline uint64_t load_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void add_u64(uint64_t *p, uint64_t v) { __atomic_add_fetch(p, v, __ATOMIC_RELAXED); }

#endif
