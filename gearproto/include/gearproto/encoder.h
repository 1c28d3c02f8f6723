// The inverse of the decoder: bytes for every packet type and for admin text, for tests and for
// the synthetic capture generator.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "gearproto/bytes.h"
#include "gearproto/packet_table.h"

namespace gearproto {

// Appends a header and the arguments joined by NULs (the last one is not NUL-terminated).
void append_packet(std::string& out, Magic magic, uint32_t type, std::initializer_list<Bytes> args);
std::string make_packet(Magic magic, uint32_t type, std::initializer_list<Bytes> args = {});
// Appends the arguments of a known type with its natural magic (REQ when allowed, else RES).
std::string make_request(uint32_t type, std::initializer_list<Bytes> args = {});
std::string make_response(uint32_t type, std::initializer_list<Bytes> args = {});

// Appends any 12-byte header, even a broken one, followed by `data` verbatim (crafted-byte tests).
void append_raw(std::string& out, Bytes magic4, uint32_t type, uint32_t length, Bytes data = {});

// One admin text line, ended with "\r\n" (as gearadmin does) or "\n".
void append_admin_line(std::string& out, Bytes line, bool crlf = true);

// Decimal text of a number, for numeric arguments.
std::string decimal(uint64_t v);

}  // namespace gearproto
