// The plugin's record of every PDU of the open file (PduData), found again by (frame, key) on
// later passes.
//
// One table for the file instead of p_add_proto_data per PDU: Wireshark's per-frame proto data
// costs a proto_data_t and a GSList cell per PDU on top of the 40-byte record (about a third of
// the plugin's memory beyond the built-in dissector's on a real capture, docs/performance.md),
// a list walk per lookup and a chain of frees when the file closes. Here a PDU costs its record,
// its key and a link (48 bytes), plus 4 bytes per frame.
#pragma once

#include "gearman_plugin.h"

namespace gearman_plugin {

// The record of the PDU `key` in frame `frame`, or nullptr if it has none yet.
PduData* find_pdu_data(guint32 frame, guint32 key);
// A new zeroed record for (frame, key), which has none. Its address is stable until
// clear_pdu_data() (the job engine keeps it as a request's tag).
PduData* add_pdu_data(guint32 frame, guint32 key);
// Forgets every record and frees their memory (a file is opened or closed).
void clear_pdu_data();

}  // namespace gearman_plugin
