#pragma once
#include "gearproto/bytes.h"
// A byte literal that may hold NULs.
#define B(lit) ::gearproto::Bytes(lit, sizeof(lit) - 1)
