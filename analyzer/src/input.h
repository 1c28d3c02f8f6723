// SPDX-License-Identifier: GPL-2.0-or-later
// Capture inputs as libpcap reads them: a file, or stdin ("-"), plain or compressed. gzip and
// zstd are recognised by their magic bytes (never by the name) and decompressed as a stream, in
// memory, through a stdio cookie: no temporary file, so `zcat`-free pipelines and 100 GB
// .pcap.gz files both work. Formats that are recognised but not read (xz, bzip2, lz4) get a
// message saying how to read them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace gan {

struct SourceState;  // decompressor, bytes consumed, error text

struct Source {
  // For pcap_fopen_offline (which then owns it), or nullptr: a plain file, to be opened by name
  // (pcap_open_offline; the analyzer's mmap fast path reads such files).
  FILE* fp = nullptr;
  const char* compression = "";  // "", "gzip", "zstd"
  std::shared_ptr<SourceState> state;

  // Bytes of the input (compressed) consumed so far, for the progress bar; 0 when fp is null.
  uint64_t consumed() const;
  // Why reading stopped early ("gzip: compressed data cut off ..."), or "" when it did not.
  std::string error() const;
};

// Opens `path` ("-": stdin) and looks at its first bytes. false with `err` ("x.pcap.xz:
// xz-compressed ...", "x.pcap: No such file or directory") when it cannot be read.
bool open_source(const std::string& path, Source& out, std::string& err);

}  // namespace gan
