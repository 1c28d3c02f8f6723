/* core_speed [SECONDS]: how steadily the machine's first two cores run, for the benchmark's
 * "is this machine quiet" line. Two threads repeat the same fixed integer work for SECONDS
 * (default 5) and count it per 50 ms slice; prints one line:
 *
 *   P10 P90 UNEVEN
 *
 * P10 and P90: the 10th and 90th percentile of a core's work per slice, as a fraction of the
 * median slice; UNEVEN: the share of slices (%) in which one core did less than 80 % of the
 * other's work. A quiet machine gives about 0.9 1.05 0. On a shared VM a core may run at a third
 * of its speed for a second while the other runs at full speed, with no steal time and a load
 * average near 0: a one-thread reference (the bare read loop) hardly notices, a two-thread
 * pipeline (gearman-analyze) runs at its slower core's pace (docs/performance.md). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLICE_S 0.05
#define MAX_SLICES 2400 /* 120 s */

static double seconds;
static double t0;
static long counts[2][MAX_SLICES];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void* spin(void* arg) {
  long* c = arg;
  const int slices = (int)(seconds / SLICE_S);
  /* A count kept in memory, read and written back each step: bound by the core's load/store
   * pipeline, as gearman-analyze is. (A chain of multiplies in registers ran steadily here
   * while this swung threefold between slices: what other tenants take is that pipeline.) */
  volatile unsigned long x = 0;
  for (;;) {
    const int s = (int)((now() - t0) / SLICE_S);
    if (s >= slices) break;
    for (int i = 0; i < 20000; ++i) x += (unsigned long)i;
    ++c[s];
  }
  return NULL;
}

static int cmp_long(const void* a, const void* b) {
  const long x = *(const long*)a, y = *(const long*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  seconds = argc > 1 ? atof(argv[1]) : 5;
  if (!(seconds >= 0.5 && seconds <= MAX_SLICES * SLICE_S)) {
    fprintf(stderr, "usage: core_speed [SECONDS] (0.5 to %d)\n", (int)(MAX_SLICES * SLICE_S));
    return 2;
  }
  const int slices = (int)(seconds / SLICE_S);
  pthread_t th[2];
  t0 = now();
  for (int i = 0; i < 2; ++i)
    if (pthread_create(&th[i], NULL, spin, counts[i]) != 0) return perror("pthread_create"), 2;
  for (int i = 0; i < 2; ++i) pthread_join(th[i], NULL);
  /* The last slice may be cut short by the clock check: leave it out. */
  const int n = slices - 1;
  static long all[2 * MAX_SLICES];
  int uneven = 0;
  for (int s = 0; s < n; ++s) {
    const long a = counts[0][s], b = counts[1][s];
    all[2 * s] = a;
    all[2 * s + 1] = b;
    const long lo = a < b ? a : b, hi = a < b ? b : a;
    if (lo < 0.8 * hi) ++uneven;
  }
  qsort(all, (size_t)(2 * n), sizeof all[0], cmp_long);
  const double median = all[n] > 0 ? (double)all[n] : 1;
  printf("%.2f %.2f %.0f\n", all[2 * n / 10] / median, all[2 * n * 9 / 10] / median, 100.0 * uneven / n);
  return 0;
}
