// The CSV report: one row per function (docs/gearman-analyze.md: columns are only appended).
#include <cinttypes>

#include "report.h"
#include "report_format.h"

namespace gan {

void write_csv(FILE* out, const Analyzer& a) {
  std::fprintf(out, "function,jobs,complete,fail,exception,incomplete,background");
  for (const char* k : {"queue", "run", "total"})
    std::fprintf(out, ",%s_count,%s_min_ms,%s_p50_ms,%s_p90_ms,%s_p99_ms,%s_max_ms,%s_mean_ms", k, k, k, k, k, k, k);
  std::fprintf(out, ",fail_percent,reordered\n");
  for (const FunctionStats* f : reported_functions(a)) {
    std::fprintf(out, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
                 csv_field(f->name).c_str(), f->jobs, f->complete, f->fail, f->exception, f->incomplete, f->background);
    for (const LogHistogram* h : {&f->queue, &f->run, &f->total}) {
      if (h->count() == 0) {  // nothing measured: empty cells, not times of 0
        std::fprintf(out, ",0,,,,,,");
        continue;
      }
      std::fprintf(out, ",%" PRIu64 ",%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", h->count(), ms(double(h->min())),
                   ms(h->percentile(.5)), ms(h->percentile(.9)), ms(h->percentile(.99)),
                   ms(double(h->max())), ms(h->mean()));
    }
    std::fprintf(out, ",%.3f,%" PRIu64 "\n", f->fail_percent(), f->reordered);
  }
}

}  // namespace gan
