/*
 * libgearman_scenarios.c - drives gearmand through the libgearman 1.1 C API
 * so that captures contain the packet types the `gearman` CLI never sends.
 *
 *   libgearman_scenarios worker PORT STOPFILE   libgearman worker (GRAB_JOB_ALL)
 *   libgearman_scenarios uniqworker PORT STOPFILE  same, but with the
 *                                               GRAB_ALL option removed
 *   libgearman_scenarios client PORT            libgearman client
 *
 * Every job the client submits is printed on stdout as
 *   JOB <kind> <function> <unique> <handle-or-"-">
 * so make-captures.sh can cross-check the wire count.
 */
#include <libgearman-1.0/gearman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *HOST = "127.0.0.1";

static void die(const char *what, const char *err)
{
  fprintf(stderr, "libgearman_scenarios: %s: %s\n", what, err ? err : "?");
  exit(1);
}

/* ---------------------------------------------------------------- worker */

/* lg_reverse: WORK_DATA, WORK_WARNING, WORK_STATUS, then WORK_COMPLETE. */
static void *fn_reverse(gearman_job_st *job, void *ctx, size_t *result_size,
                        gearman_return_t *ret)
{
  (void)ctx;
  size_t n = gearman_job_workload_size(job);
  const char *in = gearman_job_workload(job);
  char *out = malloc(n + 1);
  for (size_t i = 0; i < n; i++) out[i] = in[n - 1 - i];
  gearman_job_send_data(job, "partial", 7);
  gearman_job_send_warning(job, "careful", 7);
  gearman_job_send_status(job, 1, 2);
  *result_size = n;
  *ret = GEARMAN_SUCCESS;
  return out;
}

/* lg_slow: reports 1/4, 2/4 ... while the client asks GET_STATUS(_UNIQUE). */
static void *fn_slow(gearman_job_st *job, void *ctx, size_t *result_size,
                     gearman_return_t *ret)
{
  (void)ctx;
  for (uint32_t i = 1; i <= 3; i++) {
    gearman_job_send_status(job, i, 4);
    usleep(400 * 1000);
  }
  *result_size = 4;
  *ret = GEARMAN_SUCCESS;
  return strdup("slow");
}

/* lg_fail: WORK_FAIL */
static void *fn_fail(gearman_job_st *job, void *ctx, size_t *result_size,
                     gearman_return_t *ret)
{
  (void)job; (void)ctx;
  *result_size = 0;
  *ret = GEARMAN_WORK_FAIL;
  return NULL;
}

/* lg_exc: WORK_EXCEPTION (and whatever libgearman does after it) */
static void *fn_exc(gearman_job_st *job, void *ctx, size_t *result_size,
                    gearman_return_t *ret)
{
  (void)ctx;
  gearman_job_send_exception(job, "lg-exception", 12);
  *result_size = 0;
  *ret = GEARMAN_WORK_EXCEPTION;
  return NULL;
}

/* lg_map: used as the mapper of reduce jobs; plain completion. */
static void *fn_map(gearman_job_st *job, void *ctx, size_t *result_size,
                    gearman_return_t *ret)
{
  (void)ctx;
  size_t n = gearman_job_workload_size(job);
  char *out = malloc(n + 8);
  memcpy(out, "mapped:", 7);
  memcpy(out + 7, gearman_job_workload(job), n);
  *result_size = n + 7;
  *ret = GEARMAN_SUCCESS;
  return out;
}

static int run_worker(int port, const char *stopfile, int uniq_only)
{
  gearman_worker_st *w = gearman_worker_create(NULL);
  if (!w) die("worker_create", "NULL");
  if (uniq_only) {
    gearman_worker_remove_options(w, GEARMAN_WORKER_GRAB_ALL);
    gearman_worker_add_options(w, GEARMAN_WORKER_GRAB_UNIQ);
  }
  if (gearman_worker_add_server(w, HOST, (in_port_t)port) != GEARMAN_SUCCESS)
    die("worker_add_server", gearman_worker_error(w));
  gearman_worker_set_timeout(w, 300);
  const char *id = uniq_only ? "lg-uniq-worker" : "lg-worker-1";
  gearman_worker_set_identifier(w, id, strlen(id));           /* SET_CLIENT_ID */
  if (gearman_worker_echo(w, "ping-from-worker", 16) != GEARMAN_SUCCESS) /* ECHO */
    die("worker_echo", gearman_worker_error(w));

  if (uniq_only) {
    gearman_worker_add_function(w, "lg_uniq", 0, fn_map, NULL);
  } else {
    gearman_worker_add_function(w, "lg_reverse", 0, fn_reverse, NULL);
    gearman_worker_add_function(w, "lg_slow", 5000, fn_slow, NULL); /* CAN_DO_TIMEOUT */
    gearman_worker_add_function(w, "lg_fail", 0, fn_fail, NULL);
    gearman_worker_add_function(w, "lg_exc", 0, fn_exc, NULL);
    gearman_worker_add_function(w, "lg_map", 0, fn_map, NULL);
    gearman_worker_add_function(w, "lg_temp", 0, fn_map, NULL);
    gearman_worker_unregister(w, "lg_temp");                     /* CANT_DO */
  }

  while (access(stopfile, F_OK) != 0) {
    gearman_return_t rc = gearman_worker_work(w);
    if (rc != GEARMAN_SUCCESS && rc != GEARMAN_TIMEOUT && rc != GEARMAN_NO_JOBS &&
        rc != GEARMAN_IO_WAIT && rc != GEARMAN_NO_ACTIVE_FDS)
      fprintf(stderr, "worker_work: %s\n", gearman_worker_error(w));
  }
  /* RESET_ABILITIES: gearman_worker_unregister_all only queues the packet,
     and libgearman flushes it only together with a later registration, so
     register one more function and run one more (timing-out) round. */
  gearman_worker_unregister_all(w);
  gearman_worker_add_function(w, "lg_after_reset", 0, fn_map, NULL);
  gearman_worker_work(w);
  gearman_worker_free(w);
  return 0;
}

/* ---------------------------------------------------------------- client */

static void job_line(const char *kind, const char *fn, const char *uniq,
                     const char *handle)
{
  printf("JOB %s %s %s %s\n", kind, fn, uniq && *uniq ? uniq : "-",
         handle && *handle ? handle : "-");
  fflush(stdout);
}

static void do_fg(gearman_client_st *c, const char *kind, const char *fn,
                  const char *uniq, const char *arg)
{
  size_t rs = 0;
  gearman_return_t rc;
  void *r;
  if (!strcmp(kind, "high"))
    r = gearman_client_do_high(c, fn, uniq, arg, strlen(arg), &rs, &rc);
  else if (!strcmp(kind, "low"))
    r = gearman_client_do_low(c, fn, uniq, arg, strlen(arg), &rs, &rc);
  else
    r = gearman_client_do(c, fn, uniq, arg, strlen(arg), &rs, &rc);
  job_line(kind, fn, uniq, NULL);
  fprintf(stderr, "  %s %s -> %s (%.*s)\n", kind, fn, gearman_strerror(rc),
          (int)rs, r ? (char *)r : "");
  free(r);
}

static void do_bg(gearman_client_st *c, const char *kind, const char *fn,
                  const char *uniq, const char *arg, char *handle_out)
{
  gearman_job_handle_t h;
  gearman_return_t rc;
  if (!strcmp(kind, "high_bg"))
    rc = gearman_client_do_high_background(c, fn, uniq, arg, strlen(arg), h);
  else if (!strcmp(kind, "low_bg"))
    rc = gearman_client_do_low_background(c, fn, uniq, arg, strlen(arg), h);
  else
    rc = gearman_client_do_background(c, fn, uniq, arg, strlen(arg), h);
  if (rc != GEARMAN_SUCCESS) die(kind, gearman_client_error(c));
  job_line(kind, fn, uniq, h);
  if (handle_out) strcpy(handle_out, h);
}

static int run_client(int port)
{
  gearman_client_st *c = gearman_client_create(NULL);
  if (!c) die("client_create", "NULL");
  if (gearman_client_add_server(c, HOST, (in_port_t)port) != GEARMAN_SUCCESS)
    die("client_add_server", gearman_client_error(c));
  gearman_client_set_timeout(c, 10000);
  gearman_client_set_identifier(c, "lg-client-1", 11);        /* SET_CLIENT_ID */
  if (gearman_client_echo(c, "ping-from-client", 16) != GEARMAN_SUCCESS)
    die("client_echo", gearman_client_error(c));
  /* OPTION_REQ "exceptions" so WORK_EXCEPTION is forwarded to us */
  if (!gearman_client_set_server_option(c, "exceptions", 10))
    die("set_server_option", gearman_client_error(c));

  do_fg(c, "normal", "lg_reverse", "lg-u-normal", "hello libgearman");
  do_fg(c, "high", "lg_reverse", "lg-u-high", "high priority");
  do_fg(c, "low", "lg_reverse", "lg-u-low", "low priority");
  do_bg(c, "bg", "lg_map", "lg-u-bg", "background normal", NULL);
  do_bg(c, "high_bg", "lg_map", "lg-u-high-bg", "background high", NULL);
  do_bg(c, "low_bg", "lg_map", "lg-u-low-bg", "background low", NULL);
  do_fg(c, "normal", "lg_fail", "lg-u-fail", "please fail");
  do_fg(c, "normal", "lg_exc", "lg-u-exc", "please throw");

  /* SUBMIT_JOB_EPOCH: run one second from now */
  {
    gearman_task_attr_t a = gearman_task_attr_init_epoch(time(NULL) + 1, GEARMAN_JOB_PRIORITY_NORMAL);
    gearman_argument_t arg = gearman_argument_make(0, 0, "epoch job", 9);
    gearman_task_st *t = gearman_execute(c, "lg_map", 6, "lg-u-epoch", 10, &a, &arg, NULL);
    if (!t) die("execute epoch", gearman_client_error(c));
    job_line("epoch", "lg_map", "lg-u-epoch", gearman_task_job_handle(t));
    gearman_task_free(t);
  }
  /* SUBMIT_REDUCE_JOB_BACKGROUND: mapper lg_map, reducer lg_reverse */
  {
    gearman_task_attr_t a = gearman_task_attr_init_background(GEARMAN_JOB_PRIORITY_NORMAL);
    gearman_argument_t arg = gearman_argument_make(0, 0, "reduce bg", 9);
    gearman_task_st *t = gearman_execute_by_partition(c, "lg_map", 6, "lg_reverse", 10,
                                                      "lg-u-reduce-bg", 14, &a, &arg, NULL);
    if (!t) die("execute_by_partition bg", gearman_client_error(c));
    job_line("reduce_bg", "lg_map", "lg-u-reduce-bg", gearman_task_job_handle(t));
    gearman_task_free(t);
  }
  /* SUBMIT_REDUCE_JOB (foreground) */
  {
    gearman_argument_t arg = gearman_argument_make(0, 0, "reduce fg", 9);
    gearman_task_st *t = gearman_execute_by_partition(c, "lg_map", 6, "lg_reverse", 10,
                                                      "lg-u-reduce", 11, NULL, &arg, NULL);
    if (!t) die("execute_by_partition", gearman_client_error(c));
    gearman_client_run_tasks(c);
    job_line("reduce", "lg_map", "lg-u-reduce", gearman_task_job_handle(t));
    fprintf(stderr, "  reduce -> %s\n", gearman_strerror(gearman_task_return(t)));
    gearman_task_free(t);
  }

  /* a slow background job, watched with GET_STATUS and GET_STATUS_UNIQUE */
  {
    char h[GEARMAN_JOB_HANDLE_SIZE];
    do_bg(c, "bg", "lg_slow", "lg-u-slow", "slow background", h);
    for (int i = 0; i < 3; i++) {
      bool known, running; uint32_t num, den;
      usleep(300 * 1000);
      gearman_client_job_status(c, h, &known, &running, &num, &den);        /* GET_STATUS */
      fprintf(stderr, "  status %s known=%d running=%d %u/%u\n", h, known, running, num, den);
      gearman_status_t s = gearman_client_unique_status(c, "lg-u-slow", 9); /* GET_STATUS_UNIQUE */
      fprintf(stderr, "  unique status known=%d running=%d %u/%u\n", gearman_status_is_known(s),
              gearman_status_is_running(s), gearman_status_numerator(s), gearman_status_denominator(s));
    }
    /* and status of something the server never heard of */
    bool known, running; uint32_t num, den;
    gearman_job_handle_t nowhere = "H:nowhere:999";
    gearman_client_job_status(c, nowhere, &known, &running, &num, &den);
    gearman_client_unique_status(c, "no-such-unique", 14);
  }
  gearman_client_free(c);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc >= 4 && !strcmp(argv[1], "worker")) return run_worker(atoi(argv[2]), argv[3], 0);
  if (argc >= 4 && !strcmp(argv[1], "uniqworker")) return run_worker(atoi(argv[2]), argv[3], 1);
  if (argc >= 3 && !strcmp(argv[1], "uniqclient")) {
    gearman_client_st *c = gearman_client_create(NULL);
    gearman_client_add_server(c, HOST, (in_port_t)atoi(argv[2]));
    gearman_client_set_timeout(c, 10000);
    do_fg(c, "normal", "lg_uniq", "lg-u-uniq", "for a GRAB_JOB_UNIQ worker");
    gearman_client_free(c);
    return 0;
  }
  if (argc >= 3 && !strcmp(argv[1], "client")) return run_client(atoi(argv[2]));
  fprintf(stderr, "usage: %s worker|uniqworker PORT STOPFILE | client|uniqclient PORT\n", argv[0]);
  return 2;
}
