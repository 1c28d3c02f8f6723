// Strings from the wire, made safe for fields, columns and keys.

#include "gearman_plugin.h"

namespace gearman_plugin {

char* to_cstr(wmem_allocator_t* pool, Bytes b) {
  // Strings from the wire for fields, columns and keys: NULs and control characters other than tab
  // become '.'.
  char* out = static_cast<char*>(wmem_alloc(pool, b.size() + 1));
  for (size_t i = 0; i < b.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(b[i]);
    out[i] = ((c >= 0x20 && c != 0x7f) || c == '\t') ? static_cast<char>(c) : '.';
  }
  out[b.size()] = '\0';
  return out;
}

}  // namespace gearman_plugin
