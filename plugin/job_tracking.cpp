// Glue between the dissector and the shared job engine (gearjobs): on the first pass each PDU is
// handed to the engine, and what it did (the job, the request it answers) is kept in the PDU's
// record; the tree shows links and times from those records and the jobs' final facts.
//
// The engine is plain C++ and never calls Wireshark, so no Wireshark exception can jump over it;
// nothing here holds an object with a destructor across a Wireshark call.

#include "gearman_plugin.h"
#include "pdu_store.h"

#include <epan/conversation.h>
#include <epan/to_str.h>

#include "gearjobs/engine.h"

namespace gearman_plugin {

namespace {

gearjobs::Engine* engine = nullptr;
wmem_map_t* servers = nullptr;  // "address|port" -> server number + 1, file scope

gearjobs::Options plugin_engine_options() {
  gearjobs::Options o;
  o.keep_jobs = true;     // PDUs point at their jobs until the file is closed
  o.max_open_jobs = 0;    // the whole file is in memory anyway; no job is closed early
  o.gauges = false;       // nothing here reads them
  return o;
}

gearjobs::Time ns_of(const nstime_t& t) { return gearjobs::Time(t.secs) * 1000000000 + t.nsecs; }

guint32 server_number(const ConvData* cd) {
  char* key = wmem_strdup_printf(wmem_file_scope(), "%s|%u", address_to_str(wmem_file_scope(), &cd->server_addr),
                                 cd->server_port);
  gpointer v = wmem_map_lookup(servers, key);
  if (v) return GPOINTER_TO_UINT(v) - 1;
  const guint32 n = wmem_map_size(servers);
  wmem_map_insert(servers, key, GUINT_TO_POINTER(n + 1));
  return n;
}

gearjobs::ConnRef conn_of(ConvData* cd, packet_info* pinfo) {
  if (!cd->engine_conn) {
    // Connection serials: the conversation's index, unique in the file (never 0).
    conversation_t* conv = find_conversation_pinfo(pinfo, 0);
    const uint64_t serial = conv ? uint64_t(conv->conv_index) + 1 : uint64_t(pinfo->num) << 32;
    cd->engine_conn = engine->open_conn(server_number(cd), serial).slot + 1;
  }
  return gearjobs::ConnRef{cd->engine_conn - 1};
}

// The request this PDU answers: links both ways (the request's record learns its response).
void link_request(PduData* pd, const gearjobs::Effect& e, packet_info* pinfo) {
  if (e.unanswered) pd->no_request = true;
  if (!e.answers) return;
  pd->request_frame = static_cast<guint32>(e.request.frame);
  pd->request_t = e.request.t;
  pd->request_type = e.request.admin ? 0 : static_cast<guint8>(e.request.type);  // a known type
  PduData* req = reinterpret_cast<PduData*>(static_cast<uintptr_t>(e.request.tag));
  if (req && req->response_frame == 0) req->response_frame = pinfo->num;
}

void add_time(proto_tree* tree, int hf, tvbuff_t* tvb, gearjobs::Time ns) {
  nstime_t d = nstime_of(ns);
  proto_item* it = proto_tree_add_time(tree, hf, tvb, 0, 0, &d);
  proto_item_set_generated(it);
}

}  // namespace

void init_jobs() {
  if (!engine) engine = new gearjobs::Engine(plugin_engine_options());
  else engine->reset();
  servers = wmem_map_new(wmem_file_scope(), g_str_hash, g_str_equal);
  clear_pdu_data();
}

void cleanup_jobs() {
  if (engine) engine->reset();  // frees the jobs of the file that was closed
  clear_pdu_data();             // and the PDUs' records, which point at them
}

const char* job_function_name(const Job* j) {
  if (!engine || j->function == gearjobs::kNoFunction) return "(unknown)";
  return engine->functions().name(j->function).c_str();
}

const Job* find_job(const ConvData* cd, packet_info* pinfo, Bytes handle) {
  (void)pinfo;
  if (!engine || !cd->server_known) return nullptr;
  char* key = wmem_strdup_printf(pinfo->pool, "%s|%u", address_to_str(pinfo->pool, &cd->server_addr), cd->server_port);
  gpointer v = wmem_map_lookup(servers, key);
  if (!v) return nullptr;
  const Job* j = engine->find(GPOINTER_TO_UINT(v) - 1, handle);
  return j && j->state != gearjobs::JobState::Void ? j : nullptr;
}

// First pass only: the packet's effect on pairings and jobs.
void track_binary(ConvData* cd, packet_info* pinfo, PduData* pd, const gearproto::Header& h,
                  const gearproto::ArgSpans& args, bool towards_server) {
  if (!h.info || !engine) return;
  gearjobs::PduIn in;
  in.to_server = towards_server;
  in.frame = pinfo->num;
  in.t = ns_of(pinfo->abs_ts);
  in.tag = reinterpret_cast<uintptr_t>(pd);
  in.header = &h;
  in.args = &args;
  const gearjobs::Effect e = engine->on_binary(conn_of(cd, pinfo), in);
  link_request(pd, e, pinfo);
  pd->job = e.job;
  if (e.answers && e.job && (e.event == gearjobs::Event::Created || e.event == gearjobs::Event::JoinedCreated ||
                             e.event == gearjobs::Event::Coalesced)) {
    // The submit this JOB_CREATED answers shows the job it became.
    PduData* submit = reinterpret_cast<PduData*>(static_cast<uintptr_t>(e.request.tag));
    if (submit && !submit->job) submit->job = e.job;
  }
  pd->job_created_here = e.job_created_here;
  pd->job_end_here = e.job_ended_here;
  pd->job_result_here = e.job_result_here;
}

void track_lost_bytes(ConvData* cd, packet_info* pinfo) {
  if (!engine || !cd->server_known) return;
  engine->lost_bytes(conn_of(cd, pinfo), pinfo->num);
}

void track_admin_command(ConvData* cd, packet_info* pinfo, PduData* pd, const gearproto::AdminRequest& r) {
  if (!engine) return;
  engine->on_admin_command(conn_of(cd, pinfo), r, pinfo->num, ns_of(pinfo->abs_ts), reinterpret_cast<uintptr_t>(pd));
}

void track_admin_reply(ConvData* cd, packet_info* pinfo, PduData* pd, Bytes line, gearproto::AdminReplyLine& out) {
  if (!engine) return;
  const gearjobs::Effect e = engine->on_admin_reply(conn_of(cd, pinfo), line, out, pinfo->num, ns_of(pinfo->abs_ts));
  pd->admin_matched = e.answers;
  pd->admin_first = e.admin_first_line;
  pd->admin_last = e.admin_last_line;
  pd->admin_command = e.answers ? static_cast<guint8>(e.request.type) : static_cast<guint8>(gearproto::AdminCommand::Unknown);
  link_request(pd, e, pinfo);
}

void add_links(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const PduData* pd, proto_item* pdu_item) {
  static FieldGroup links{&hf_request_in, &hf_response_time, &hf_response_in};
  const bool items = links.any_wanted(tree);
  if (items && pd->request_frame) {
    proto_item* it = proto_tree_add_uint(tree, hf_request_in, tvb, 0, 0, pd->request_frame);
    proto_item_set_generated(it);
    const nstime_t request_ts = nstime_of(pd->request_t);
    nstime_t d;
    nstime_delta(&d, &pinfo->abs_ts, &request_ts);
    it = proto_tree_add_time(tree, hf_response_time, tvb, 0, 0, &d);
    proto_item_set_generated(it);
  }
  if (items && pd->response_frame) {
    proto_item* it = proto_tree_add_uint(tree, hf_response_in, tvb, 0, 0, pd->response_frame);
    proto_item_set_generated(it);
  }
  if (pd->no_request) expert_add_info(pinfo, pdu_item, &ei_no_request);
}

// The job's subtree (the fields of the engine's job, gearjobs/job.h).
static void add_job_items(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const Job* j) {
  proto_item* ti = proto_tree_add_string(tree, hf_job_function, tvb, 0, 0, job_function_name(j));
  proto_item_set_generated(ti);
  proto_tree* jt = proto_item_add_subtree(ti, ett_job);
  proto_item* it;
  static const header_field_info* unique_hfi = field_info(hf_job_unique);
  if (field_wanted(jt, unique_hfi)) {  // else no item would be made: no copy
    it = proto_tree_add_string(jt, hf_job_unique, tvb, 0, 0, to_cstr(pinfo->pool, j->unique));
    proto_item_set_generated(it);
  }
  if (j->submits > 1) {
    it = proto_tree_add_uint(jt, hf_job_submits, tvb, 0, 0, j->submits);
    proto_item_set_generated(it);
  }
  it = proto_tree_add_string(jt, hf_job_outcome, tvb, 0, 0, gearjobs::outcome_name(j->outcome));
  proto_item_set_generated(it);
  struct { int hf; uint64_t frame; } links[] = {
    {hf_job_submit_in, j->f_submit}, {hf_job_created_in, j->f_created},
    {hf_job_assigned_in, j->f_assign_first}, {hf_job_end_in, j->f_worker_done}, {hf_job_result_in, j->f_client_done},
  };
  for (auto& l : links) {
    if (!l.frame) continue;
    it = proto_tree_add_uint(jt, l.hf, tvb, 0, 0, static_cast<guint32>(l.frame));
    proto_item_set_generated(it);
  }
  // The engine's one definition of the three times (gearjobs/job.h).
  if (j->queue_ns() != gearjobs::kNoTime) add_time(jt, hf_job_queue_time, tvb, j->queue_ns());
  if (j->run_ns() != gearjobs::kNoTime) add_time(jt, hf_job_run_time, tvb, j->run_ns());
  if (j->total_ns() != gearjobs::kNoTime) add_time(jt, hf_job_total_time, tvb, j->total_ns());
}

void add_job(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const Job* j, proto_item* pdu_item,
             bool announce_incomplete) {
  if (j->state == gearjobs::JobState::Void) return;  // the server said the handle named no job
  static FieldGroup job_fields{&hf_job_function,    &hf_job_unique,    &hf_job_submits,     &hf_job_outcome,
                               &hf_job_submit_in,   &hf_job_created_in, &hf_job_assigned_in, &hf_job_end_in,
                               &hf_job_result_in,   &hf_job_queue_time, &hf_job_run_time,    &hf_job_total_time};
  if (job_fields.any_wanted(tree))
    add_job_items(tree, pinfo, tvb, j);
  if (announce_incomplete && j->outcome == gearjobs::Outcome::Incomplete)
    expert_add_info(pinfo, pdu_item, &ei_job_incomplete);
}

}  // namespace gearman_plugin
