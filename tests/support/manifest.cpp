#include "manifest.h"

#include <fstream>
#include <stdexcept>

#include "pcap_streams.h"

namespace testsupport {

std::vector<BundledCapture> bundled_captures() {
  std::vector<BundledCapture> out;
  for (const std::string& path : manifest_paths()) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    BundledCapture c;
    c.manifest = nlohmann::json::parse(in);
    c.name = c.manifest.at("capture").get<std::string>();
    c.pcap_path = capture_path(c.name);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace testsupport
