// Test helper: the bundled captures and their manifests (captures/*.manifest.json), written by
// captures/make-captures.sh from what it ran, never from this project's decoder.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace testsupport {

struct BundledCapture {
  std::string name;       // the manifest's "capture", e.g. "basic-cli.pcap"
  std::string pcap_path;  // absolute
  nlohmann::json manifest;
};

// Every bundled capture with a manifest. Throws when a manifest is unreadable.
std::vector<BundledCapture> bundled_captures();

}  // namespace testsupport
