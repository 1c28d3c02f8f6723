/*
 * main.c - the load program's parent: forks the workers and the clients,
 * waits for them with a deadline, stops the workers once they did every
 * job, cross-checks the counters and writes the truth file.
 *
 *   load [-H HOST] [-p PORT] [-n JOBS] [-w WORKERS] [-c CLIENTS] [-b BATCH]
 *        [-t DEADLINE_S] -o TRUTH.json
 *
 * Exit status: 0 when every process ended cleanly and the counters agree;
 * 1 when anything is off (details on stderr); 2 on bad usage; 3 when the
 * deadline passed (every child is killed, by pid).
 */
#include "load.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(const char *argv0)
{
  fprintf(stderr,
          "usage: %s [-H host] [-p port] [-n jobs] [-w workers] [-c clients] [-b batch]\n"
          "          [-t deadline_s] -o truth.json\n", argv0);
  exit(2);
}

static unsigned long long number(const char *s, const char *argv0)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || !*s || v == 0) usage(argv0);
  return v;
}

static pid_t *g_pids;
static unsigned g_nprocs;

static void kill_all(void)
{
  for (unsigned i = 0; i < g_nprocs; i++)
    if (g_pids[i] > 0) kill(g_pids[i], SIGKILL);
  for (unsigned i = 0; i < g_nprocs; i++)
    if (g_pids[i] > 0) waitpid(g_pids[i], NULL, 0);
}

static uint64_t sum_did(const struct shared *sh)
{
  uint64_t n = 0;
  for (unsigned i = 0; i < sh->nworkers; i++) n += load_u64(&sh->slots[i].did_total);
  return n;
}

/* Checks that what the workers did and what the clients saw is what the clients planned. */
static int cross_check(const struct options *o, const struct shared *sh)
{
  int bad = 0;
  uint64_t submitted = 0, created = 0;
  for (unsigned i = 0; i < sh->nworkers + sh->nclients; i++) {
    const struct slot *s = &sh->slots[i];
    if (load_u64(&s->problems)) {
      fprintf(stderr, "load: process %u reported %llu problem(s)\n", i,
              (unsigned long long)load_u64(&s->problems));
      bad = 1;
    }
    created += load_u64(&s->created);
    for (int f = 0; f < NFUNC; f++)
      for (int k = 0; k < NKIND; k++) submitted += load_u64(&s->submitted[f][k]);
  }
  if (submitted != o->jobs || created != o->jobs) {
    fprintf(stderr, "load: %llu jobs asked for, %llu submitted, %llu JOB_CREATED\n",
            (unsigned long long)o->jobs, (unsigned long long)submitted,
            (unsigned long long)created);
    bad = 1;
  }
  for (int f = 0; f < NFUNC; f++)
    for (int bg = 0; bg < 2; bg++)
      for (int r = 0; r < NOUT; r++) {
        uint64_t planned = 0, did = 0, saw = 0;
        for (unsigned i = 0; i < sh->nworkers + sh->nclients; i++) {
          planned += load_u64(&sh->slots[i].planned[f][bg][r]);
          did += load_u64(&sh->slots[i].did[f][bg][r]);
          if (!bg) saw += load_u64(&sh->slots[i].saw[f][r]);
        }
        if (did != planned || (!bg && saw != planned)) {
          fprintf(stderr, "load: %s %s %s: planned %llu, workers did %llu, clients saw %llu\n",
                  FUNC_NAMES[f], bg ? "background" : "foreground", OUTCOME_NAMES[r],
                  (unsigned long long)planned, (unsigned long long)did,
                  (unsigned long long)saw);
          bad = 1;
        }
      }
  return bad;
}

int main(int argc, char **argv)
{
  /* 32 workers and batches of 50: more idle workers and shallower queues
     make gearmand assign jobs before their JOB_CREATED more often (see
     captures/README.md for the measurements). */
  struct options o = {"127.0.0.1", 4730, 100000, 32, 8, 50, 300, NULL};
  int opt;
  while ((opt = getopt(argc, argv, "H:p:n:w:c:b:t:o:")) != -1) {
    switch (opt) {
    case 'H': o.host = optarg; break;
    case 'p': o.port = (int)number(optarg, argv[0]); break;
    case 'n': o.jobs = number(optarg, argv[0]); break;
    case 'w': o.workers = (unsigned)number(optarg, argv[0]); break;
    case 'c': o.clients = (unsigned)number(optarg, argv[0]); break;
    case 'b': o.batch = (unsigned)number(optarg, argv[0]); break;
    case 't': o.deadline_s = (int)number(optarg, argv[0]); break;
    case 'o': o.truth_path = optarg; break;
    default: usage(argv[0]);
    }
  }
  if (!o.truth_path || optind != argc || o.port > 65535 || o.workers > 256 || o.clients > 256)
    usage(argv[0]);

  g_nprocs = o.workers + o.clients;
  size_t size = sizeof(struct shared) + g_nprocs * sizeof(struct slot);
  struct shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) { perror("mmap"); return 1; }
  sh->nworkers = o.workers;
  sh->nclients = o.clients;
  g_pids = calloc(g_nprocs, sizeof *g_pids);
  int *status = calloc(g_nprocs, sizeof *status);
  if (!g_pids || !status) { perror("calloc"); return 1; }
  fflush(NULL);

  pid_t parent = getpid();
  double start = now_s(), deadline = start + o.deadline_s;
  for (unsigned i = 0; i < g_nprocs; i++) {
    if (i == o.workers) {
      /* Clients only once every worker is connected, so no job waits for a worker to exist. */
      for (unsigned w = 0; w < o.workers; w++)
        while (!__atomic_load_n(&sh->slots[w].ready, __ATOMIC_ACQUIRE)) {
          int st;
          pid_t p = waitpid(-1, &st, WNOHANG);
          if (p > 0 || now_s() > deadline) {
            fprintf(stderr, "load: a worker %s before it was ready\n", p > 0 ? "ended" : "hung");
            kill_all();
            return p > 0 ? 1 : 3;
          }
          usleep(1000);
        }
    }
    pid_t p = fork();
    if (p < 0) { perror("fork"); kill_all(); return 1; }
    if (p == 0) {
      /* Die with the parent, so killing the parent by pid ends the whole load. */
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
      int rc = i < o.workers ? run_worker(&o, sh, i) : run_client(&o, sh, i);
      fflush(NULL);
      _exit(rc);
    }
    g_pids[i] = p;
  }

  /* Supervise: clients end by themselves; workers once every job was done. */
  unsigned alive = g_nprocs, clients_alive = o.clients;
  int failed = 0;
  while (alive) {
    int st;
    pid_t p = waitpid(-1, &st, WNOHANG);
    if (p > 0) {
      for (unsigned i = 0; i < g_nprocs; i++)
        if (g_pids[i] == p) {
          g_pids[i] = 0;
          status[i] = st;
          alive--;
          if (i >= o.workers) clients_alive--;
          if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "load: %s %u ended with status 0x%x\n",
                    i < o.workers ? "worker" : "client", i < o.workers ? i : i - o.workers, st);
            failed = 1;
          }
        }
      continue;
    }
    if (!sh->stop && (failed || (clients_alive == 0 && sum_did(sh) >= o.jobs)))
      __atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
    if (now_s() > deadline) {
      fprintf(stderr, "load: deadline of %d s passed: %u process(es) still running, "
              "workers did %llu of %llu jobs; killing them\n", o.deadline_s, alive,
              (unsigned long long)sum_did(sh), (unsigned long long)o.jobs);
      kill_all();
      return 3;
    }
    usleep(2000);
  }
  double seconds = now_s() - start;

  int bad = failed | cross_check(&o, sh);
  /* Written only now, so that a run that did not finish leaves no truth file. */
  FILE *truth = fopen(o.truth_path, "w");
  if (!truth) { perror(o.truth_path); return 1; }
  write_truth(&o, sh, seconds, truth);
  if (ferror(truth) | fclose(truth)) { perror(o.truth_path); return 1; }
  fprintf(stderr, "load: %llu jobs, %u workers, %u clients, batches of %u, %.2f s%s\n",
          (unsigned long long)o.jobs, o.workers, o.clients, o.batch, seconds,
          bad ? ": COUNTERS DISAGREE" : "");
  return bad ? 1 : 0;
}
