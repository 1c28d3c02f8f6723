// Records in fixed chunks (stable addresses, no copy as the file grows), a frame's records
// chained from its latest one. Nothing here calls Wireshark, so nothing here can be jumped out
// of by a Wireshark exception.

#include "pdu_store.h"

#include <cstring>
#include <memory>
#include <vector>

namespace gearman_plugin {

namespace {

struct Record {
  PduData data;
  guint32 key;
  guint32 earlier;  // the frame's previous record + 1; 0: none
};

constexpr unsigned kChunkBits = 12;  // 4096 records, 192 KiB
constexpr size_t kChunkSize = size_t(1) << kChunkBits;

std::vector<std::unique_ptr<Record[]>> chunks;
guint32 used = 0;                   // records in the chunks
std::vector<guint32> latest_of;     // frame number -> its latest record + 1; 0: none

Record& at(guint32 i) { return chunks[i >> kChunkBits][i & (kChunkSize - 1)]; }

}  // namespace

PduData* find_pdu_data(guint32 frame, guint32 key) {
  if (frame >= latest_of.size()) return nullptr;
  for (guint32 r = latest_of[frame]; r != 0;) {
    Record& rec = at(r - 1);
    if (rec.key == key) return &rec.data;
    r = rec.earlier;
  }
  return nullptr;
}

PduData* add_pdu_data(guint32 frame, guint32 key) {
  if (used == G_MAXUINT32 - 1) return nullptr;  // 4 billion PDUs: the caller keeps its own
  if (used == chunks.size() * kChunkSize) chunks.emplace_back(new Record[kChunkSize]);
  // Frames come in order on the first pass: the table grows by one frame at a time (doubling
  // its capacity now and then), never by a number read from the file.
  if (frame >= latest_of.size()) latest_of.resize(size_t(frame) + 1, 0);
  Record& rec = at(used);
  std::memset(&rec.data, 0, sizeof rec.data);
  rec.key = key;
  rec.earlier = latest_of[frame];
  latest_of[frame] = ++used;
  return &rec.data;
}

void clear_pdu_data() {
  std::vector<std::unique_ptr<Record[]>>().swap(chunks);
  std::vector<guint32>().swap(latest_of);
  used = 0;
}

}  // namespace gearman_plugin
