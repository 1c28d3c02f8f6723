// Strings from the wire, made safe for fields, columns and keys.

#include "gearman_plugin.h"

namespace gearman_plugin {

size_t escape_bytes(Bytes b, char* out, bool escape_non_ascii) {
  // C-style escapes, so that a NUL, a newline or a control byte stays visible and distinct (\0,
  // \n, \x01) instead of becoming '.'. Tab stays itself: admin rows are tab-separated.
  static const char hex[] = "0123456789abcdef";
  size_t k = 0;
  for (char ch : b) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const char* named = nullptr;
    switch (c) {
      case '\0': named = "\\0"; break;
      case '\n': named = "\\n"; break;
      case '\r': named = "\\r"; break;
      case '\t': if (escape_non_ascii) named = "\\t"; break;
      default: break;
    }
    if (named) {
      out[k++] = named[0];
      out[k++] = named[1];
    } else if ((c < 0x20 && c != '\t') || c == 0x7f || (escape_non_ascii && c >= 0x80)) {
      out[k++] = '\\';
      out[k++] = 'x';
      out[k++] = hex[c >> 4];
      out[k++] = hex[c & 0xf];
    } else {
      out[k++] = static_cast<char>(c);
    }
  }
  return k;
}

char* to_cstr(wmem_allocator_t* pool, Bytes b) {
  // Strings for fields, columns and keys: control characters escaped; bytes from 0x80 on are
  // kept (UTF-8 text).
  char* out = static_cast<char*>(wmem_alloc(pool, b.size() * 4 + 1));
  const size_t n = escape_bytes(b, out, false);
  out[n] = '\0';
  return out;
}

}  // namespace gearman_plugin
