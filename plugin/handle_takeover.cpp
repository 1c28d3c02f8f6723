// Takes over the built-in Gearman dissector's handle, so that its port, Decode As entry and
// preferences run this plugin's dissector; adds the heuristic.

#include "gearman_plugin.h"

#include <cstring>

namespace gearman_plugin {

dissector_handle_t gearman_handle = nullptr;

namespace {

bool handle_patched = false;  // the built-in's handle now runs our dissector

// Replaces the dissector function inside an existing handle. Wireshark 4.0 has no API to swap the
// built-in "gearman" handle, and a second handle for the same protocol warns on stderr and leaves
// Decode As on the built-in. The handle's layout is private, so the offset of its function pointer
// is found on a handle we create ourselves (same allocator, same type) and checked before writing.
bool patch_handle(dissector_handle_t target, dissector_t fn) {
  dissector_handle_t probe = create_dissector_handle(fn, proto_gearman);
  if (!probe || !target) return false;
  void* fn_ptr;
  static_assert(sizeof(fn_ptr) == sizeof(fn), "function pointers must fit a data pointer");
  std::memcpy(&fn_ptr, &fn, sizeof fn);
  const unsigned char* pbytes = reinterpret_cast<const unsigned char*>(probe);
  // Wireshark 4.0 keeps it in the 4th pointer-sized word (name, description, type, function, data,
  // protocol); look in words 1-4 only, all inside the handle.
  int found = -1;
  for (int i = 1; i < 5; ++i) {
    void* w;
    std::memcpy(&w, pbytes + i * sizeof(void*), sizeof w);
    if (w == fn_ptr) { found = i; break; }
  }
  if (found < 0) return false;
  // The first word of both is the name pointer; the target's must be the one its API reports
  // (NULL for 4.0's unnamed built-in handle, "gearman" in later versions).
  const char* tname = dissector_handle_get_dissector_name(target);
  const char* first;
  std::memcpy(&first, reinterpret_cast<const unsigned char*>(target), sizeof first);
  if (first != tname || (tname && std::strcmp(tname, "gearman") != 0)) return false;
  // The probe's word at the same offset must not be another function than ours: the target's
  // word there must be a non-null code pointer too.
  void* old;
  std::memcpy(&old, reinterpret_cast<const unsigned char*>(target) + found * sizeof(void*), sizeof old);
  if (!old) return false;
  if (dissector_handle_get_protocol_index(target) != proto_gearman) return false;
  std::memcpy(reinterpret_cast<unsigned char*>(target) + found * sizeof(void*), &fn_ptr, sizeof fn_ptr);
  return true;
}

}  // namespace

void proto_reg_handoff_gearman_plugin() {
  static bool done = false;
  if (done) return;
  done = true;
  read_argument_field_infos();
  read_builtin_field_infos();
  // Wireshark 4.0's built-in creates an unnamed handle and puts it on tcp.port 4730 (later
  // versions also register it as "gearman").
  dissector_handle_t builtin = find_dissector("gearman");
  if (!builtin) {
    dissector_handle_t h = dissector_get_default_uint_handle("tcp.port", kGearmanPort);
    if (h && dissector_handle_get_protocol_index(h) == proto_gearman) builtin = h;
  }
  if (builtin && patch_handle(builtin, dissect_gearman)) {
    gearman_handle = builtin;
    handle_patched = true;
  } else if (builtin) {
    // Fallback for a layout the check above does not recognise: own port 4730 (Wireshark then
    // warns about two handles of one protocol on tcp.port, and Decode As stays on the built-in).
    gearman_handle = create_dissector_handle(dissect_gearman, proto_gearman);
    dissector_change_uint("tcp.port", kGearmanPort, gearman_handle);
  } else {
    gearman_handle = register_dissector("gearman", dissect_gearman, proto_gearman);
    dissector_add_uint_with_preference("tcp.port", kGearmanPort, gearman_handle);
  }
  module_t* mod = prefs_find_module("gearman");
  if (mod) desegment_pref = prefs_find_preference(mod, "desegment");
  heur_dissector_add("tcp", dissect_gearman_heur, "Gearman over TCP", "gearman_tcp", proto_gearman,
                     HEURISTIC_ENABLE);
}

}  // namespace gearman_plugin
