/*
 * client.c - one libgearman client process: one connection. It submits its
 * share of the jobs in batches: `batch` gearman_client_add_task*() calls,
 * then one gearman_client_run_tasks(), which writes every SUBMIT_JOB* of the
 * batch before it reads any reply. Foreground tasks end with the worker's
 * result; background tasks end at JOB_CREATED.
 */
#include "load.h"

#include <libgearman/gearman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct task_rec {
  struct job_plan plan;
  unsigned client;
  uint64_t seq;
  int created, results;      /* callbacks seen */
  int saw;                   /* outcome the client got, -1 = none */
};

struct client_ctx {
  struct slot *slot;
};

static struct client_ctx g_ctx;   /* one client per process */

static void problem(const struct task_rec *t, const char *what)
{
  fprintf(stderr, "load client %u: job %llu (%s %s): %s\n", t->client,
          (unsigned long long)t->seq, FUNC_NAMES[t->plan.func],
          kind_is_bg(t->plan.kind) ? "background" : "foreground", what);
  add_u64(&g_ctx.slot->problems, 1);
}

static gearman_return_t on_created(gearman_task_st *task)
{
  struct task_rec *t = gearman_task_context(task);
  if (t->created++) problem(t, "second JOB_CREATED");
  add_u64(&g_ctx.slot->created, 1);
  return GEARMAN_SUCCESS;
}

static gearman_return_t on_result(gearman_task_st *task, int outcome)
{
  struct task_rec *t = gearman_task_context(task);
  if (kind_is_bg(t->plan.kind)) problem(t, "result for a background job");
  if (t->results++) problem(t, "second result");
  t->saw = outcome;
  add_u64(&g_ctx.slot->saw[t->plan.func][outcome], 1);
  return GEARMAN_SUCCESS;
}

static gearman_return_t on_complete(gearman_task_st *task) { return on_result(task, OUT_COMPLETE); }
static gearman_return_t on_fail(gearman_task_st *task) { return on_result(task, OUT_FAIL); }
static gearman_return_t on_exception(gearman_task_st *task) { return on_result(task, OUT_EXCEPTION); }

typedef gearman_task_st *(add_fn)(gearman_client_st *, gearman_task_st *, void *, const char *,
                                  const char *, const void *, size_t, gearman_return_t *);
static add_fn *const ADD[NKIND] = {
  gearman_client_add_task_high,            /* SUBMIT_JOB_HIGH */
  gearman_client_add_task,                 /* SUBMIT_JOB */
  gearman_client_add_task_low,             /* SUBMIT_JOB_LOW */
  gearman_client_add_task_high_background, /* SUBMIT_JOB_HIGH_BG */
  gearman_client_add_task_background,      /* SUBMIT_JOB_BG */
  gearman_client_add_task_low_background,  /* SUBMIT_JOB_LOW_BG */
};

/* Submits jobs [first, first + n) of this client as one pipelined batch. */
static int run_batch(gearman_client_st *c, unsigned index, uint64_t first, unsigned n,
                     struct task_rec *recs)
{
  struct slot *slot = g_ctx.slot;
  for (unsigned i = 0; i < n; i++) {
    struct task_rec *t = &recs[i];
    memset(t, 0, sizeof *t);
    t->client = index;
    t->seq = first + i;
    t->plan = plan_job(index, t->seq);
    t->saw = -1;
    char workload[WORKLOAD_MAX], unique[48];
    int wl = plan_workload(workload, index, t->seq, t->plan);
    /* Unique per job: no two submits coalesce onto one handle. */
    snprintf(unique, sizeof unique, "ld-%u-%llu", index, (unsigned long long)t->seq);
    gearman_return_t rc;
    if (!ADD[t->plan.kind](c, NULL, t, FUNC_NAMES[t->plan.func], unique, workload, (size_t)wl, &rc)) {
      fprintf(stderr, "load client %u: add_task: %s\n", index, gearman_client_error(c));
      return -1;
    }
    add_u64(&slot->submitted[t->plan.func][t->plan.kind], 1);
    add_u64(&slot->planned[t->plan.func][kind_is_bg(t->plan.kind)][t->plan.outcome], 1);
  }
  gearman_return_t rc = gearman_client_run_tasks(c);
  if (rc != GEARMAN_SUCCESS) {
    fprintf(stderr, "load client %u: run_tasks: %s (%s)\n", index, gearman_strerror(rc),
            gearman_client_error(c));
    return -1;
  }
  for (unsigned i = 0; i < n; i++) {
    struct task_rec *t = &recs[i];
    if (!t->created) problem(t, "no JOB_CREATED");
    if (kind_is_bg(t->plan.kind)) continue;
    if (t->results != 1) problem(t, "no result");
    else if (t->saw != t->plan.outcome) problem(t, "result differs from the plan");
  }
  gearman_client_task_free_all(c);
  add_u64(&slot->batches, 1);
  return 0;
}

int run_client(const struct options *o, struct shared *sh, unsigned index)
{
  unsigned ci = index - sh->nworkers;          /* client number, 0-based */
  g_ctx.slot = &sh->slots[index];
  uint64_t mine = o->jobs / o->clients + (ci < o->jobs % o->clients);
  gearman_client_st *c = gearman_client_create(NULL);
  if (!c) { fprintf(stderr, "load client %u: gearman_client_create failed\n", ci); return 1; }
  if (gearman_client_add_server(c, o->host, (in_port_t)o->port) != GEARMAN_SUCCESS) {
    fprintf(stderr, "load client %u: add_server: %s\n", ci, gearman_client_error(c));
    return 1;
  }
  gearman_client_set_timeout(c, 30000);        /* ms without any reply: give up */
  char id[32];
  snprintf(id, sizeof id, CLIENT_ID_FMT, ci);
  gearman_client_set_identifier(c, id, strlen(id));
  /* OPTION_REQ exceptions: without it gearmand does not forward WORK_EXCEPTION. */
  if (!gearman_client_set_server_option(c, "exceptions", 10)) {
    fprintf(stderr, "load client %u: OPTION_REQ exceptions: %s\n", ci, gearman_client_error(c));
    return 1;
  }
  gearman_client_set_created_fn(c, on_created);
  gearman_client_set_complete_fn(c, on_complete);
  gearman_client_set_fail_fn(c, on_fail);
  gearman_client_set_exception_fn(c, on_exception);

  struct task_rec *recs = calloc(o->batch, sizeof *recs);
  if (!recs) { perror("calloc"); return 1; }
  int rc = 0;
  for (uint64_t first = 0; first < mine && rc == 0; first += o->batch) {
    unsigned n = (unsigned)(mine - first < o->batch ? mine - first : o->batch);
    if (run_batch(c, ci, first, n, recs) != 0) rc = 1;
  }
  free(recs);
  gearman_client_free(c);
  return rc || load_u64(&g_ctx.slot->problems) ? 1 : 0;
}
