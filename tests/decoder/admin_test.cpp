#include <gtest/gtest.h>

#include "gearproto/admin.h"

using namespace gearproto;

TEST(AdminCommand, EveryGearmandCommand) {
  struct Case { const char* line; AdminCommand cmd; uint8_t argc; };
  const Case cases[] = {
    {"workers", AdminCommand::Workers, 0},
    {"status", AdminCommand::Status, 0},
    {"prioritystatus", AdminCommand::PriorityStatus, 0},
    {"maxqueue reverse", AdminCommand::MaxQueue, 1},
    {"maxqueue reverse 10", AdminCommand::MaxQueue, 2},
    {"maxqueue reverse 1 2 -1", AdminCommand::MaxQueue, 4},
    {"cancel job H:lap:1", AdminCommand::CancelJob, 1},
    {"show jobs", AdminCommand::ShowJobs, 0},
    {"show unique jobs", AdminCommand::ShowUniqueJobs, 0},
    {"create function resize", AdminCommand::CreateFunction, 1},
    {"drop function resize", AdminCommand::DropFunction, 1},
    {"getpid", AdminCommand::GetPid, 0},
    {"verbose", AdminCommand::Verbose, 0},
    {"version", AdminCommand::Version, 0},
    {"shutdown", AdminCommand::Shutdown, 0},
    {"shutdown graceful", AdminCommand::Shutdown, 1},
  };
  for (const Case& c : cases) {
    AdminRequest r = parse_admin_command(c.line);
    EXPECT_EQ(r.command, c.cmd) << c.line;
    EXPECT_EQ(r.argc, c.argc) << c.line;
    EXPECT_EQ(r.defects, 0u) << c.line;
  }
}

TEST(AdminCommand, CaseInsensitiveAndSpacing) {
  AdminRequest r = parse_admin_command("  SHOW\tUnique   JOBS ");
  EXPECT_EQ(r.command, AdminCommand::ShowUniqueJobs);
  EXPECT_EQ(r.verb, "SHOW\tUnique   JOBS");
  r = parse_admin_command("MaxQueue fn 1 2 3");
  EXPECT_EQ(r.command, AdminCommand::MaxQueue);
  EXPECT_EQ(r.size_count, 3);
  EXPECT_EQ(r.sizes[2], 3);
  EXPECT_EQ(r.args[0], "fn");
}

TEST(AdminCommand, ShowJobsIsNotShowUniqueJobs) {
  EXPECT_EQ(parse_admin_command("show jobs").command, AdminCommand::ShowJobs);
  EXPECT_EQ(parse_admin_command("show unique jobs").command, AdminCommand::ShowUniqueJobs);
  EXPECT_EQ(parse_admin_command("show").command, AdminCommand::Unknown);
}

TEST(AdminCommand, UnknownAndBadArguments) {
  AdminRequest r = parse_admin_command("bogus cmd");
  EXPECT_EQ(r.command, AdminCommand::Unknown);
  EXPECT_TRUE(r.defects & kAdminUnknownCommand);
  EXPECT_EQ(r.verb, "bogus");
  EXPECT_TRUE(parse_admin_command("maxqueue").defects & kAdminBadArguments);
  EXPECT_TRUE(parse_admin_command("maxqueue f 1 2").defects & kAdminBadArguments);
  EXPECT_TRUE(parse_admin_command("maxqueue f x").defects & kAdminBadArguments);
  EXPECT_TRUE(parse_admin_command("cancel job").defects & kAdminBadArguments);
  EXPECT_TRUE(parse_admin_command("status now").defects & kAdminBadArguments);
  EXPECT_TRUE(parse_admin_command("shutdown now").defects & kAdminBadArguments);
  EXPECT_TRUE(parse_admin_command("a b c d e f g").defects & kAdminUnknownCommand);
  EXPECT_EQ(parse_admin_command("").command, AdminCommand::Unknown);
}

TEST(AdminReply, RowsAsGearmandWritesThem) {
  AdminReplyLine l = parse_admin_reply_line(AdminCommand::Status, "slowfn\t2\t0\t1");
  ASSERT_EQ(l.kind, ReplyLineKind::StatusRow);
  EXPECT_EQ(l.name, "slowfn");
  EXPECT_EQ(l.counts[0], 2u);
  EXPECT_EQ(l.counts[2], 1u);
  l = parse_admin_reply_line(AdminCommand::PriorityStatus, "hi\t1\t0\t0\t0");
  ASSERT_EQ(l.kind, ReplyLineKind::PriorityStatusRow);
  EXPECT_EQ(l.count_n, 4);
  l = parse_admin_reply_line(AdminCommand::ShowJobs, "H:vm:1\t0\t0\t1");
  ASSERT_EQ(l.kind, ReplyLineKind::JobRow);
  EXPECT_EQ(l.name, "H:vm:1");
  EXPECT_EQ(l.counts[2], 1u);
  l = parse_admin_reply_line(AdminCommand::ShowUniqueJobs, "cd7112e2-e746-11f1-a428-02fc00000001");
  EXPECT_EQ(l.kind, ReplyLineKind::UniqueRow);
  l = parse_admin_reply_line(AdminCommand::Workers, "38 127.0.0.1 - :");
  ASSERT_EQ(l.kind, ReplyLineKind::WorkerRow);
  EXPECT_EQ(l.fd, 38);
  EXPECT_EQ(l.address, "127.0.0.1");
  EXPECT_EQ(l.client_id, "-");
  EXPECT_EQ(l.functions, "");
  l = parse_admin_reply_line(AdminCommand::Workers, "42 ::1 worker-1 : reverse  resize");
  ASSERT_EQ(l.kind, ReplyLineKind::WorkerRow);
  Bytes rest = l.functions;
  EXPECT_EQ(next_word(rest), "reverse");
  EXPECT_EQ(next_word(rest), "resize");
  EXPECT_EQ(next_word(rest), "");
  EXPECT_EQ(parse_admin_reply_line(AdminCommand::Status, ".").kind, ReplyLineKind::End);
  EXPECT_EQ(parse_admin_reply_line(AdminCommand::Status, "fn\t1\tx\t0").kind, ReplyLineKind::Malformed);
}

TEST(AdminReply, OkAndErr) {
  AdminReplyLine l = parse_admin_reply_line(AdminCommand::Version, "OK 1.1.20+ds");
  ASSERT_EQ(l.kind, ReplyLineKind::Ok);
  EXPECT_EQ(l.text, "1.1.20+ds");
  l = parse_admin_reply_line(AdminCommand::Unknown, "ERR UNKNOWN_COMMAND Unknown+server+commandbogus");
  ASSERT_EQ(l.kind, ReplyLineKind::Err);
  EXPECT_EQ(l.code, "UNKNOWN_COMMAND");
  std::string text;
  decode_plus_text(l.text, text);
  EXPECT_EQ(text, "Unknown server commandbogus");
  l = parse_admin_reply_line(AdminCommand::CancelJob, "ERR UNKNOWN_JOB");
  EXPECT_EQ(l.kind, ReplyLineKind::Err);
  EXPECT_EQ(l.text, "");
  EXPECT_EQ(parse_admin_reply_line(AdminCommand::Version, "1.09").kind, ReplyLineKind::Text);
}

TEST(AdminPairing, RepliesFollowCommandsInOrder) {
  AdminPairing p;
  p.on_command(AdminCommand::Status, 10);
  p.on_command(AdminCommand::Version, 11);
  p.on_command(AdminCommand::Workers, 12);
  p.on_command(AdminCommand::Unknown, 13);
  AdminReplyLine l;
  auto a = p.on_reply_line("fn\t1\t0\t1", l);
  EXPECT_TRUE(a.matched);
  EXPECT_EQ(a.command_seq, 10u);
  EXPECT_TRUE(a.first_line);
  EXPECT_FALSE(a.last_line);
  EXPECT_EQ(l.kind, ReplyLineKind::StatusRow);
  a = p.on_reply_line(".", l);
  EXPECT_TRUE(a.last_line);
  EXPECT_FALSE(a.first_line);
  a = p.on_reply_line("OK 1.1.20", l);
  EXPECT_EQ(a.command, AdminCommand::Version);
  EXPECT_TRUE(a.first_line && a.last_line);
  a = p.on_reply_line(".", l);  // an empty workers list
  EXPECT_EQ(a.command, AdminCommand::Workers);
  EXPECT_TRUE(a.first_line && a.last_line);
  a = p.on_reply_line("ERR UNKNOWN_COMMAND Unknown+server+command", l);
  EXPECT_EQ(a.command_seq, 13u);
  EXPECT_TRUE(a.last_line);
  EXPECT_EQ(p.pending(), 0);
  a = p.on_reply_line("OK", l);
  EXPECT_FALSE(a.matched);
}

// Perl Gearman::Server (captures/perl-server.pcap, stream 11): `jobs` and `clients` are lists that
// end with "."; both are known commands, so the replies after them pair with the right commands.
TEST(AdminPairing, GearmanServerJobsAndClientsAreLists) {
  EXPECT_EQ(parse_admin_command("jobs").command, AdminCommand::Jobs);
  EXPECT_EQ(parse_admin_command("CLIENTS").command, AdminCommand::Clients);
  EXPECT_FALSE(admin_command_is_distinctive(AdminCommand::Jobs));
  AdminPairing p;
  p.on_command(AdminCommand::Jobs, 1);
  p.on_command(AdminCommand::Clients, 2);
  p.on_command(AdminCommand::Version, 3);
  AdminReplyLine l;
  auto a = p.on_reply_line("pl_slow\tps-admin\t127.0.0.1\t1", l);
  EXPECT_EQ(a.command, AdminCommand::Jobs);
  EXPECT_FALSE(a.last_line);
  EXPECT_EQ(l.kind, ReplyLineKind::ListRow);
  EXPECT_TRUE(p.on_reply_line(".", l).last_line);
  a = p.on_reply_line("127.0.0.1:58420", l);
  EXPECT_EQ(a.command, AdminCommand::Clients);
  EXPECT_EQ(l.kind, ReplyLineKind::ListRow);
  a = p.on_reply_line("\tpl_slow\tps-admin\t127.0.0.1", l);
  EXPECT_EQ(a.command, AdminCommand::Clients);
  EXPECT_FALSE(a.first_line || a.last_line);
  EXPECT_TRUE(p.on_reply_line(".", l).last_line);
  a = p.on_reply_line("v1.130.1", l);  // Gearman::Server's bare version
  EXPECT_EQ(a.command, AdminCommand::Version);
  EXPECT_TRUE(a.first_line && a.last_line);
  EXPECT_EQ(p.pending(), 0);
}

// A command this decoder does not know: one OK or ERR line is the whole reply (as both servers
// refuse unknown commands); anything else is a list read up to ".".
TEST(AdminPairing, UnknownCommandReplyIsReadByItsFirstLine) {
  AdminPairing p;
  AdminReplyLine l;
  p.on_command(AdminCommand::Unknown, 1);
  p.on_command(AdminCommand::Unknown, 2);
  p.on_command(AdminCommand::Unknown, 3);
  p.on_command(AdminCommand::Version, 4);
  EXPECT_TRUE(p.on_reply_line("ERR unknown_command ", l).last_line);
  EXPECT_TRUE(p.on_reply_line("OK", l).last_line);
  auto a = p.on_reply_line("row one", l);
  EXPECT_EQ(a.command_seq, 3u);
  EXPECT_FALSE(a.last_line);
  EXPECT_EQ(p.on_reply_line("OK but a row", l).command_seq, 3u) << "OK after the first line is a row";
  EXPECT_TRUE(p.on_reply_line(".", l).last_line);
  EXPECT_EQ(p.on_reply_line("OK 1.1.20", l).command_seq, 4u);
}

TEST(AdminPairing, ErrEndsAListReply) {
  AdminPairing p;
  p.on_command(AdminCommand::ShowJobs, 1);
  AdminReplyLine l;
  auto a = p.on_reply_line("ERR NOT_ALLOWED x", l);
  EXPECT_TRUE(a.last_line);
  EXPECT_EQ(p.pending(), 0);
}

TEST(AdminPairing, BoundedQueue) {
  AdminPairing p;
  for (int i = 0; i < AdminPairing::kMaxPending + 5; ++i) p.on_command(AdminCommand::Version, uint64_t(i));
  EXPECT_EQ(p.pending(), AdminPairing::kMaxPending);
  EXPECT_EQ(p.dropped(), 5u);
  AdminReplyLine l;
  EXPECT_EQ(p.on_reply_line("OK", l).command_seq, 5u);
}
