// ArgSpans (what the job engine reads) must give exactly what Arguments gives, for every type,
// kind and way the data may end early.
#include <gtest/gtest.h>

#include <string>

#include "test_bytes.h"

#include "gearproto/arg_spans.h"
#include "gearproto/arguments.h"

using namespace gearproto;

TEST(ArgPositions, EveryKnownTypesLayoutAndNothingElse) {
  for (uint32_t t = 0; t <= kMaxKnownType; ++t) {
    const PacketInfo* info = packet_info(t);
    for (size_t k = 0; k < kArgKindCount; ++k) {
      const int want = info ? info->index_of(Arg(k)) : -1;
      EXPECT_EQ(kArgPositions.by_type[t].of[k], want) << "type " << t << " kind " << arg_name(Arg(k));
    }
  }
}

// Every known type's data cut after each byte of "a\0bb\0ccc\0dddd..." (as many arguments as the
// layout has, and one more): the spans (from an Arguments, and split directly) read every kind as
// Arguments::get does, missing ones empty.
TEST(ArgSpans, ReadEveryKindAsArgumentsDoes) {
  for (const PacketInfo* info = packet_table_begin(); info != packet_table_end(); ++info) {
    std::string full;
    for (int i = 0; i <= info->argc; ++i) {
      if (i) full.push_back('\0');
      full.append(size_t(i + 1), char('a' + i));
    }
    for (size_t cut = 0; cut <= full.size(); ++cut) {
      const Bytes data(full.data(), cut);
      const Arguments a = split_arguments(*info, data);
      const ArgSpans from_arguments = spans_of(a, data);
      // split_spans fills a reused ArgSpans: start it dirty, as the analyzer's is.
      ArgSpans direct;
      for (ArgSpan& g : direct.at) g = ArgSpan{7, 7};
      split_spans(*info, data, ArgChecks::All, direct);
      const ArgSpans* const both[] = {&from_arguments, &direct};
      for (const ArgSpans* s : both) {
        EXPECT_EQ(s->present, a.present);
        EXPECT_EQ(s->defects, a.defects);
        for (size_t k = 0; k < kArgKindCount; ++k) {
          const Bytes want = a.get(Arg(k)).value_or(Bytes());
          const Bytes got = s->get(Arg(k));
          EXPECT_EQ(got, want) << info->name << " cut " << cut << " kind " << arg_name(Arg(k));
          if (!want.empty()) {
            EXPECT_EQ(got.data(), want.data()) << "a view of the data, not a copy";
          }
        }
      }
    }
  }
}

TEST(ArgSpans, SubmitJob) {
  const Bytes data = B("reverse\0uid-1\0payload");
  const ArgSpans s = spans_of(split_arguments(*packet_info(SUBMIT_JOB), data), data);
  EXPECT_EQ(s.get(Arg::Function), "reverse");
  EXPECT_EQ(s.get(Arg::Unique), "uid-1");
  EXPECT_EQ(s.get(Arg::Payload), "payload");
  EXPECT_EQ(s.get(Arg::Handle), "");  // not in the layout
}
