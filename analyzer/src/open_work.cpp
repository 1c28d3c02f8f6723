#include "open_work.h"

#include <algorithm>
#include <map>

namespace gan {

int64_t open_since(const gearjobs::Job& j, bool running) {
  if (running) return j.t_assign;
  return j.t_created != kNoTime ? j.t_created : j.t_submit;
}

OpenWork collect_open_work(const Analyzer& a, int64_t at, size_t limit, bool with_workers, const OpenJobFilter& keep) {
  OpenWork w;
  w.at = at;
  struct Candidate { int64_t age; const gearjobs::Job* job; bool running; };
  auto younger = [](const Candidate& x, const Candidate& y) { return x.age > y.age; };  // min-heap on age
  std::vector<Candidate> heap;
  std::map<int32_t, std::pair<uint64_t, const gearjobs::Job*>> by_worker;  // index -> held, oldest
  a.engine().for_each_job_in_table([&](const gearjobs::Job& j) {
    const bool running = j.running();
    if (!running && !j.queued()) return;
    (running ? w.running : w.queued)++;
    if (!running && j.t_assign_first == kNoTime) ++w.never_assigned;
    const int64_t since = open_since(j, running);
    const int64_t age = since == kNoTime || at < since ? 0 : at - since;
    if (running && with_workers) {
      auto& e = by_worker[a.worker_of_conn(j.worker_conn)];
      ++e.first;
      if (!e.second || j.t_assign < e.second->t_assign) e.second = &j;
    }
    if (limit == 0 || (keep && !keep(j, running, age))) return;
    if (heap.size() < limit) {
      heap.push_back(Candidate{age, &j, running});
      std::push_heap(heap.begin(), heap.end(), younger);
    } else if (age > heap.front().age) {
      std::pop_heap(heap.begin(), heap.end(), younger);
      heap.back() = Candidate{age, &j, running};
      std::push_heap(heap.begin(), heap.end(), younger);
    }
  });
  std::sort(heap.begin(), heap.end(), [](const Candidate& x, const Candidate& y) { return x.age > y.age; });
  auto describe = [&](const gearjobs::Job& j, bool running) {
    const JobRecord r = a.record(j);
    OpenJob o;
    o.valid = true;
    o.function = r.function;
    o.handle = r.handle;
    o.server = r.server;
    o.worker = running ? r.worker : std::string();
    o.running = running;
    o.since = open_since(j, running);
    o.age_ns = o.since == kNoTime || at < o.since ? 0 : at - o.since;
    o.f_submit = r.f_submit;
    o.f_created = r.f_created;
    o.f_assign = r.f_assign;
    return o;
  };
  for (const Candidate& c : heap) w.oldest.push_back(describe(*c.job, c.running));
  if (with_workers) {
    const auto& ws = a.workers();
    for (size_t i = 0; i < ws.size(); ++i) {
      if (ws[i].merged_into >= 0) continue;
      OpenWork::Worker e;
      e.name = ws[i].name;
      e.last_seen = ws[i].last_ns;
      auto it = by_worker.find(int32_t(i));
      if (it != by_worker.end()) {
        e.running = it->second.first;
        e.oldest = describe(*it->second.second, true);
      }
      w.workers.push_back(std::move(e));
    }
    std::sort(w.workers.begin(), w.workers.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  }
  return w;
}

}  // namespace gan
