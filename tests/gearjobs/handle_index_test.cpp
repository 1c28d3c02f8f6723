// The handle index (gearjobs/handle_index.h): a job is found by exactly its (server, handle)
// whichever place holds it (a server's window by number, or the hash table), and by nothing else.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>
#include <utility>

#include "gearjobs/handle_index.h"

namespace {

using gearjobs::HandleIndex;
using gearjobs::Job;

class Jobs {
 public:
  Job* make(uint32_t server, std::string handle) {
    store_.emplace_back();
    Job* j = &store_.back();
    j->server = server;
    j->handle = std::move(handle);
    return j;
  }

 private:
  std::deque<Job> store_;
};

TEST(HandleIndex, ServerNumberedHandlesAreFoundAndErased) {
  HandleIndex ix;
  Jobs jobs;
  Job* a = jobs.make(0, "H:host:41");
  Job* b = jobs.make(0, "H:host:42");
  Job* c = jobs.make(1, "H:host:41");  // the same handle from another server is another job
  ix.insert(a);
  ix.insert(b);
  ix.insert(c);
  EXPECT_TRUE(a->windowed);
  EXPECT_EQ(ix.find(0, "H:host:41"), a);
  EXPECT_EQ(ix.find(0, "H:host:42"), b);
  EXPECT_EQ(ix.find(1, "H:host:41"), c);
  EXPECT_EQ(ix.find(1, "H:host:42"), nullptr);
  EXPECT_EQ(ix.find(2, "H:host:41"), nullptr);
  EXPECT_EQ(ix.find(0, "H:host:43"), nullptr);
  EXPECT_EQ(ix.find(0, "H:other:41"), nullptr);
  EXPECT_EQ(ix.find(0, "H:host:041"), nullptr);  // not the number 41's handle
  EXPECT_EQ(ix.find(0, "41"), nullptr);
  EXPECT_EQ(ix.find(0, "H:host:"), nullptr);       // the prefix alone
  EXPECT_EQ(ix.find(0, "H:host:41x"), nullptr);    // not a number at the end
  EXPECT_EQ(ix.find(0, "H:host:4:41"), nullptr);   // the number after a longer prefix
  EXPECT_EQ(ix.find(0, "H:hosx:41"), nullptr);     // the same length, another prefix
  ix.erase(a);
  EXPECT_EQ(ix.find(0, "H:host:41"), nullptr);
  EXPECT_EQ(ix.find(0, "H:host:42"), b);
  EXPECT_EQ(ix.find(1, "H:host:41"), c);
}

TEST(HandleIndex, OtherFormsGoToTheHashTable) {
  HandleIndex ix;
  Jobs jobs;
  Job* numbered = jobs.make(0, "job:7");
  Job* zero_led = jobs.make(0, "job:07");               // a leading zero: not how a number is written
  Job* other_prefix = jobs.make(0, "unique:7");         // abraxas has two forms on one server
  Job* no_number = jobs.make(0, "H:host:abc");
  Job* too_long = jobs.make(0, "H:1234567890123456789");  // 19 digits
  Job* empty = jobs.make(0, "");
  for (Job* j : {numbered, zero_led, other_prefix, no_number, too_long, empty}) ix.insert(j);
  EXPECT_TRUE(numbered->windowed);
  for (Job* j : {zero_led, other_prefix, no_number, too_long, empty}) EXPECT_FALSE(j->windowed) << j->handle;
  for (Job* j : {numbered, zero_led, other_prefix, no_number, too_long, empty})
    EXPECT_EQ(ix.find(0, j->handle), j) << j->handle;
  EXPECT_EQ(ix.find(0, "H:234567890123456789"), nullptr);
  for (Job* j : {zero_led, other_prefix, empty}) ix.erase(j);
  EXPECT_EQ(ix.find(0, "job:07"), nullptr);
  EXPECT_EQ(ix.find(0, "unique:7"), nullptr);
  EXPECT_EQ(ix.find(0, ""), nullptr);
  EXPECT_EQ(ix.find(0, "job:7"), numbered);
  EXPECT_EQ(ix.find(0, "H:host:abc"), no_number);
}

// A job open for long (its number far behind the newest) shares its slot with a newer one: the
// window grows to hold both, and past its budget the newer one goes to the hash table.
TEST(HandleIndex, NumbersThatShareASlotAreBothFound) {
  HandleIndex ix;
  Jobs jobs;
  Job* old_job = jobs.make(0, "H:h:5");
  ix.insert(old_job);
  std::vector<Job*> later;
  for (uint64_t n = 5 + HandleIndex::kFirstSlots; n < 5 + 4 * HandleIndex::kSlotBudget; n += HandleIndex::kFirstSlots) {
    Job* j = jobs.make(0, "H:h:" + std::to_string(n));
    ix.insert(j);
    later.push_back(j);
  }
  EXPECT_TRUE(old_job->windowed);
  EXPECT_TRUE(later.front()->windowed);
  EXPECT_FALSE(later.back()->windowed);  // beyond what the budget lets the window span
  EXPECT_EQ(ix.find(0, "H:h:5"), old_job);
  for (Job* j : later) ASSERT_EQ(ix.find(0, j->handle), j) << j->handle;
  for (Job* j : later) ix.erase(j);
  EXPECT_EQ(ix.find(0, "H:h:5"), old_job);
  EXPECT_EQ(ix.find(0, later.back()->handle), nullptr);
}

// An empty window takes the form of the next numbered handle of its server.
TEST(HandleIndex, AnEmptyWindowTakesANewPrefix) {
  HandleIndex ix;
  Jobs jobs;
  Job* a = jobs.make(0, "H:old:1");
  ix.insert(a);
  ix.erase(a);
  Job* b = jobs.make(0, "H:new:1");
  ix.insert(b);
  EXPECT_TRUE(b->windowed);
  EXPECT_EQ(ix.find(0, "H:new:1"), b);
  EXPECT_EQ(ix.find(0, "H:old:1"), nullptr);
}

// A lookup reads the number of an 8-byte-or-longer handle a word at a time: every byte that is not
// a digit, or a leading zero, makes another handle than the one inserted, whatever the prefix's
// last byte (one of 0xfa and above would carry into the first digit if added to).
TEST(HandleIndex, ALookupReadsTheNumberAsTheInsertDid) {
  const std::string prefixes[] = {"H:gearcap:", "H:\xff\xfa", "\xfe:", "H:host-with-a-long-name:"};
  const char* numbers[] = {"7", "10", "905", "4096", "123456", "9999999", "12345678", "123456789"};
  for (const std::string& prefix : prefixes) {
    HandleIndex ix;
    Jobs jobs;
    std::map<std::string, Job*> made;
    for (const char* n : numbers) {
      Job* j = jobs.make(0, prefix + n);
      ix.insert(j);
      EXPECT_TRUE(j->windowed) << j->handle;
      made[j->handle] = j;
    }
    for (const auto& [handle, j] : made) {
      ASSERT_EQ(ix.find(0, handle), j) << handle;
      for (size_t at = prefix.size(); at < handle.size(); ++at) {
        for (int c = 0; c < 256; ++c) {
          std::string other = handle;
          other[at] = char(c);
          const auto it = made.find(other);
          ASSERT_EQ(ix.find(0, other), it == made.end() ? nullptr : it->second) << other << " at " << at;
        }
      }
      EXPECT_EQ(ix.find(0, prefix + "0" + handle.substr(prefix.size())), nullptr) << handle;
      EXPECT_EQ(ix.find(0, handle.substr(0, handle.size() - 1)), made.count(handle.substr(0, handle.size() - 1)) ? made[handle.substr(0, handle.size() - 1)] : nullptr) << handle;
    }
  }
}

// Random inserts and erases over a few servers, prefixes and number ranges, against a map.
TEST(HandleIndex, AgreesWithAMapUnderRandomUse) {
  HandleIndex ix;
  Jobs jobs;
  std::map<std::pair<uint32_t, std::string>, Job*> truth;
  std::mt19937_64 rng(14);
  const char* prefixes[] = {"H:a:", "H:b:", "job:", "x", ""};
  auto random_handle = [&] {
    std::string h = prefixes[rng() % 5];
    const uint64_t span = rng() % 3 == 0 ? 1u << 22 : 3000;
    h += std::to_string(rng() % span);
    if (rng() % 50 == 0) h = "0" + h;
    return h;
  };
  for (int step = 0; step < 200000; ++step) {
    const uint32_t server = uint32_t(rng() % 3);
    const std::string h = random_handle();
    auto it = truth.find({server, h});
    ASSERT_EQ(ix.find(server, h), it == truth.end() ? nullptr : it->second) << server << " " << h;
    if (it == truth.end()) {
      if (truth.size() < 20000) {
        Job* j = jobs.make(server, h);
        ix.insert(j);
        truth[{server, h}] = j;
      }
    } else if (rng() % 2) {
      ix.erase(it->second);
      truth.erase(it);
    }
  }
  for (const auto& [key, j] : truth) ASSERT_EQ(ix.find(key.first, key.second), j);
}

}  // namespace
