#include "gearproto/encoder.h"

namespace gearproto {
namespace {

void append_be32(std::string& out, uint32_t v) {
  out.push_back(char((v >> 24) & 0xff));
  out.push_back(char((v >> 16) & 0xff));
  out.push_back(char((v >> 8) & 0xff));
  out.push_back(char(v & 0xff));
}

}  // namespace

void append_raw(std::string& out, Bytes magic4, uint32_t type, uint32_t length, Bytes data) {
  out.append(magic4.substr(0, 4));
  append_be32(out, type);
  append_be32(out, length);
  out.append(data);
}

void append_packet(std::string& out, Magic magic, uint32_t type, std::initializer_list<Bytes> args) {
  size_t len = 0;
  for (Bytes a : args) len += a.size();
  if (args.size() > 1) len += args.size() - 1;
  out.append(magic == Magic::Req ? Bytes("\0REQ", 4) : Bytes("\0RES", 4));
  append_be32(out, type);
  append_be32(out, static_cast<uint32_t>(len));
  bool first = true;
  for (Bytes a : args) {
    if (!first) out.push_back('\0');
    out.append(a);
    first = false;
  }
}

std::string make_packet(Magic magic, uint32_t type, std::initializer_list<Bytes> args) {
  std::string out;
  append_packet(out, magic, type, args);
  return out;
}

std::string make_request(uint32_t type, std::initializer_list<Bytes> args) {
  return make_packet(Magic::Req, type, args);
}

std::string make_response(uint32_t type, std::initializer_list<Bytes> args) {
  return make_packet(Magic::Res, type, args);
}

void append_admin_line(std::string& out, Bytes line, bool crlf) {
  out.append(line);
  out.append(crlf ? "\r\n" : "\n");
}

std::string decimal(uint64_t v) { return std::to_string(v); }

}  // namespace gearproto
