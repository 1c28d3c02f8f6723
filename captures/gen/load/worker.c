/*
 * worker.c - one libgearman worker process: one connection, tiny job
 * bodies, every load function or just one. It ends each job the way its
 * workload says (WORK_COMPLETE, WORK_FAIL or WORK_EXCEPTION) and counts
 * what it did.
 */
#include "load.h"

#include <libgearman/gearman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct worker_ctx {
  struct slot *slot;
  int func;
};

static void *do_job(gearman_job_st *job, void *context, size_t *result_size,
                    gearman_return_t *ret)
{
  struct worker_ctx *ctx = context;
  const char *w = gearman_job_workload(job);
  size_t n = gearman_job_workload_size(job);
  int bg, outcome;
  *result_size = 0;
  if (plan_parse(w, n, &bg, &outcome) != 0) {
    fprintf(stderr, "load worker: unplanned workload for %s: %.*s\n",
            gearman_job_handle(job), (int)n, w);
    add_u64(&ctx->slot->problems, 1);
    *ret = GEARMAN_WORK_FAIL;
    return NULL;
  }
  if (outcome == OUT_FAIL) {
    *ret = GEARMAN_WORK_FAIL;                                    /* WORK_FAIL */
  } else if (outcome == OUT_EXCEPTION) {
    /* libgearman sends WORK_EXCEPTION here and nothing after it */
    gearman_job_send_exception(job, "ld-exception", 12);
    *ret = GEARMAN_WORK_EXCEPTION;
  } else {
    *ret = GEARMAN_SUCCESS;                                      /* WORK_COMPLETE */
  }
  add_u64(&ctx->slot->did[ctx->func][bg][outcome], 1);
  add_u64(&ctx->slot->did_total, 1);
  if (outcome != OUT_COMPLETE) return NULL;

  /* A tiny result that depends on the function, so the bodies differ. */
  char *out = malloc(n + 17);
  if (!out) abort();
  switch (ctx->func) {
  case 1:                                                        /* ld_reverse */
    for (size_t i = 0; i < n; i++) out[i] = w[n - 1 - i];
    *result_size = n;
    break;
  case 2: {                                                      /* ld_hash */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)w[i]) * 16777619u;
    *result_size = (size_t)snprintf(out, 17, "%08x", h);
    break;
  }
  case 3:                                                        /* ld_flaky */
    memcpy(out, "ok", 2);
    *result_size = 2;
    break;
  default:                                                       /* ld_echo */
    memcpy(out, w, n);
    *result_size = n;
  }
  return out;
}

int run_worker(const struct options *o, struct shared *sh, unsigned index)
{
  struct slot *slot = &sh->slots[index];
  struct worker_ctx ctx[NFUNC];
  gearman_worker_st *w = gearman_worker_create(NULL);
  if (!w) { fprintf(stderr, "load worker %u: gearman_worker_create failed\n", index); return 1; }
  if (gearman_worker_add_server(w, o->host, (in_port_t)o->port) != GEARMAN_SUCCESS) {
    fprintf(stderr, "load worker %u: add_server: %s\n", index, gearman_worker_error(w));
    return 1;
  }
  /* Wake up now and then to see the parent's stop flag. */
  gearman_worker_set_timeout(w, 50);
  char id[32];
  snprintf(id, sizeof id, WORKER_ID_FMT, index);
  gearman_worker_set_identifier(w, id, strlen(id));
  for (int f = 0; f < NFUNC; f++) {
    ctx[f].slot = slot;
    ctx[f].func = f;
    if (!worker_does(index, f)) continue;
    if (gearman_worker_add_function(w, FUNC_NAMES[f], 0, do_job, &ctx[f]) != GEARMAN_SUCCESS) {
      fprintf(stderr, "load worker %u: add_function: %s\n", index, gearman_worker_error(w));
      return 1;
    }
  }
  /* ECHO connects, so the parent starts the clients only once every worker is there. */
  if (gearman_worker_echo(w, id, strlen(id)) != GEARMAN_SUCCESS) {
    fprintf(stderr, "load worker %u: echo: %s\n", index, gearman_worker_error(w));
    return 1;
  }
  __atomic_store_n(&slot->ready, 1, __ATOMIC_RELEASE);

  int rc = 0;
  while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
    gearman_return_t r = gearman_worker_work(w);
    if (r == GEARMAN_SUCCESS || r == GEARMAN_TIMEOUT || r == GEARMAN_NO_JOBS ||
        r == GEARMAN_IO_WAIT || r == GEARMAN_NO_ACTIVE_FDS)
      continue;
    /* A failed or excepted job is not an error of the worker: libgearman
       may report it here, after it sent the WORK_FAIL / WORK_EXCEPTION. */
    if (r == GEARMAN_WORK_FAIL || r == GEARMAN_WORK_EXCEPTION) continue;
    fprintf(stderr, "load worker %u: work: %s (%s)\n", index, gearman_strerror(r),
            gearman_worker_error(w));
    add_u64(&slot->problems, 1);
    rc = 1;
    break;
  }
  gearman_worker_free(w);
  return rc;
}
