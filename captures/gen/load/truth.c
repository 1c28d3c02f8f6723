/*
 * truth.c - writes the truth file from the processes' own counters (never
 * from a capture). Function names and keys are fixed ASCII, so plain printf
 * is valid JSON.
 */
#include "load.h"

#include <libgearman/gearman.h>
#include <stddef.h>
#include <stdio.h>

static uint64_t sum(const struct shared *sh, size_t offset)
{
  uint64_t n = 0;
  for (unsigned i = 0; i < sh->nworkers + sh->nclients; i++)
    n += load_u64((const uint64_t *)((const char *)&sh->slots[i] + offset));
  return n;
}
#define SUM(field) sum(sh, offsetof(struct slot, field))

static void outcomes(FILE *f, uint64_t c, uint64_t fl, uint64_t e)
{
  fprintf(f, "{\"complete\": %llu, \"fail\": %llu, \"exception\": %llu}",
          (unsigned long long)c, (unsigned long long)fl, (unsigned long long)e);
}

void write_truth(const struct options *o, const struct shared *sh, double seconds, FILE *f)
{
  uint64_t total = 0, bg_total = 0, out_total[NOUT] = {0};
  fprintf(f, "{\n  \"generator\": \"captures/gen/load (libgearman %s)\",\n", gearman_version());
  fprintf(f, "  \"provenance\": \"counters of the load program's own processes: clients count "
             "submits and the results their callbacks got, workers count how they ended each job\",\n");
  fprintf(f, "  \"functions\": {");
  for (int fn = 0; fn < NFUNC; fn++) {
    uint64_t sub[NKIND], jobs = 0, bg = 0;
    for (int k = 0; k < NKIND; k++) {
      sub[k] = SUM(submitted[fn][k]);
      jobs += sub[k];
      if (kind_is_bg(k)) bg += sub[k];
    }
    uint64_t did[2][NOUT], saw[NOUT];
    for (int r = 0; r < NOUT; r++) {
      for (int b = 0; b < 2; b++) did[b][r] = SUM(did[fn][b][r]);
      saw[r] = SUM(saw[fn][r]);
      out_total[r] += did[0][r] + did[1][r];
    }
    total += jobs;
    bg_total += bg;
    fprintf(f, "%s\n    \"%s\": {\n", fn ? "," : "", FUNC_NAMES[fn]);
    fprintf(f, "      \"jobs\": %llu, \"foreground\": %llu, \"background\": %llu,\n",
            (unsigned long long)jobs, (unsigned long long)(jobs - bg), (unsigned long long)bg);
    fprintf(f, "      \"submitted\": {\"foreground\": {\"high\": %llu, \"normal\": %llu, \"low\": %llu}, "
               "\"background\": {\"high\": %llu, \"normal\": %llu, \"low\": %llu}},\n",
            (unsigned long long)sub[FG_HIGH], (unsigned long long)sub[FG_NORMAL],
            (unsigned long long)sub[FG_LOW], (unsigned long long)sub[BG_HIGH],
            (unsigned long long)sub[BG_NORMAL], (unsigned long long)sub[BG_LOW]);
    fprintf(f, "      \"workers\": ");
    outcomes(f, did[0][0] + did[1][0], did[0][1] + did[1][1], did[0][2] + did[1][2]);
    fprintf(f, ",\n      \"workers_foreground\": ");
    outcomes(f, did[0][0], did[0][1], did[0][2]);
    fprintf(f, ",\n      \"workers_background\": ");
    outcomes(f, did[1][0], did[1][1], did[1][2]);
    fprintf(f, ",\n      \"clients_saw\": ");
    outcomes(f, saw[0], saw[1], saw[2]);
    fprintf(f, "\n    }");
  }
  fprintf(f, "\n  },\n");
  fprintf(f, "  \"jobs\": {\"total\": %llu, \"foreground\": %llu, \"background\": %llu, "
             "\"complete\": %llu, \"fail\": %llu, \"exception\": %llu, \"job_created\": %llu},\n",
          (unsigned long long)total, (unsigned long long)(total - bg_total),
          (unsigned long long)bg_total, (unsigned long long)out_total[0],
          (unsigned long long)out_total[1], (unsigned long long)out_total[2],
          (unsigned long long)SUM(created));
  /* Per worker, by the name it sent in SET_CLIENT_ID. */
  fprintf(f, "  \"workers\": {");
  for (unsigned i = 0; i < sh->nworkers; i++) {
    uint64_t n[NOUT] = {0};
    for (int fn = 0; fn < NFUNC; fn++)
      for (int b = 0; b < 2; b++)
        for (int r = 0; r < NOUT; r++) n[r] += load_u64(&sh->slots[i].did[fn][b][r]);
    char name[32];
    snprintf(name, sizeof name, WORKER_ID_FMT, i);
    fprintf(f, "%s\n    \"%s\": {\"jobs\": %llu, \"functions\": [", i ? "," : "", name,
            (unsigned long long)(n[0] + n[1] + n[2]));
    for (int fn = 0, first = 1; fn < NFUNC; fn++)
      if (worker_does(i, fn)) {
        fprintf(f, "%s\"%s\"", first ? "" : ", ", FUNC_NAMES[fn]);
        first = 0;
      }
    fprintf(f, "], \"outcomes\": ");
    outcomes(f, n[0], n[1], n[2]);
    fprintf(f, "}");
  }
  fprintf(f, "\n  },\n");
  fprintf(f, "  \"connections\": {\"workers\": %u, \"clients\": %u, \"total\": %u},\n",
          sh->nworkers, sh->nclients, sh->nworkers + sh->nclients);
  fprintf(f, "  \"load\": {\"jobs_asked\": %llu, \"batch\": %u, \"batches\": %llu, "
             "\"seconds\": %.3f, \"problems\": %llu}\n}\n",
          (unsigned long long)o->jobs, o->batch, (unsigned long long)SUM(batches), seconds,
          (unsigned long long)SUM(problems));
}
