#include "reader.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <cstdio>

namespace gan {

namespace {
pcap_t* open_one(const std::string& f, std::string& err) {
  char eb[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = pcap_open_offline_with_tstamp_precision(f == "-" ? "-" : f.c_str(),
                                                     PCAP_TSTAMP_PRECISION_NANO, eb);
  if (!p) {
    std::string name = f == "-" ? std::string("stdin") : f;
    std::string why = eb;
    // libpcap names the file itself in some messages ("x.pcap: No such file or directory").
    if (why.compare(0, name.size() + 2, name + ": ") == 0) why = why.substr(name.size() + 2);
    err = name + ": " + why;
  }
  return p;
}
}  // namespace

ReadResult check_inputs(const std::vector<std::string>& files) {
  ReadResult r;
  for (const auto& f : files) {
    if (f == "-") continue;
    std::string err;
    pcap_t* p = open_one(f, err);
    if (!p) { r.ok = false; r.error = err; return r; }
    pcap_close(p);
  }
  return r;
}

ReadResult read_captures(const std::vector<std::string>& files, Analyzer& a,
                         const std::function<void(uint64_t, uint64_t)>& progress) {
  ReadResult r;
  uint64_t total = 0, before = 0;
  for (const auto& f : files) {
    struct stat st;
    if (f != "-" && stat(f.c_str(), &st) == 0) total += uint64_t(st.st_size);
  }
  for (const auto& f : files) {
    std::string err;
    pcap_t* p = open_one(f, err);
    if (!p) { r.ok = false; r.error = err; return r; }
    int dlt = pcap_datalink(p);
    FILE* fp = pcap_file(p);
    struct pcap_pkthdr* h;
    const u_char* data;
    int rc;
    uint64_t n = 0;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
      int64_t ts = int64_t(h->ts.tv_sec) * 1000000000 + int64_t(h->ts.tv_usec);  // tv_usec holds ns
      a.on_frame(dlt, data, h->caplen, h->len, ts);
      if (progress && (++n & 0xffff) == 0 && fp) progress(before + uint64_t(ftell(fp)), total);
    }
    if (rc == -1) {
      a.warn("capture_read_error", (f == "-" ? std::string("stdin") : f) + ": " + pcap_geterr(p) +
                                       " (the report covers what was read before)", a.frame());
    }
    if (f != "-") {
      struct stat st;
      if (stat(f.c_str(), &st) == 0) before += uint64_t(st.st_size);
    }
    pcap_close(p);
  }
  if (progress) progress(total, total);
  return r;
}

}  // namespace gan
