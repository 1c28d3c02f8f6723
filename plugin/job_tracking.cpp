// Pairs requests with their answers and follows each job from submit to result, on the first pass;
// adds the links and job subtrees that pairing makes possible.

#include "gearman_plugin.h"

#include <epan/to_str.h>

namespace gearman_plugin {

namespace {

wmem_map_t* jobs = nullptr;  // "server|port|handle" -> Job*, file scope

const char* job_key(wmem_allocator_t* pool, const ConvData* cd, Bytes handle) {
  return wmem_strdup_printf(pool, "%s|%u|%s", address_to_str(pool, &cd->server_addr), cd->server_port,
                            to_cstr(pool, handle));
}

Waiting* pop_front(wmem_list_t* l) {
  wmem_list_frame_t* f = wmem_list_head(l);
  if (!f) return nullptr;
  Waiting* w = static_cast<Waiting*>(wmem_list_frame_data(f));
  wmem_list_remove_frame(l, f);
  return w;
}

Waiting* push_waiting(wmem_list_t* l, packet_info* pinfo, PduData* pd) {
  Waiting* w = wmem_new0(wmem_file_scope(), Waiting);
  w->frame = pinfo->num;
  w->ts = pinfo->abs_ts;
  w->pd = pd;
  wmem_list_append(l, w);
  // Bound memory on captures where answers never come (e.g. one direction lost).
  while (wmem_list_count(l) > 4096) pop_front(l);
  return w;
}

void link_response(PduData* pd, const Waiting* w, packet_info* pinfo) {
  if (!w) {
    pd->no_request = true;
    return;
  }
  pd->request_frame = w->frame;
  pd->request_ts = w->ts;
  if (w->pd && w->pd->response_frame == 0) w->pd->response_frame = pinfo->num;
}

Job* new_job(const ConvData* cd, packet_info* pinfo, Bytes handle) {
  Job* j = wmem_new0(wmem_file_scope(), Job);
  wmem_map_insert(jobs, job_key(wmem_file_scope(), cd, handle), j);
  (void)pinfo;
  return j;
}

// GET_STATUS_UNIQUE / STATUS_RES_UNIQUE name a job by its unique ID: index jobs by it too.
const char* unique_key(wmem_allocator_t* pool, const ConvData* cd, const char* unique) {
  return wmem_strdup_printf(pool, "%s|%u|unique|%s", address_to_str(pool, &cd->server_addr), cd->server_port, unique);
}
void index_unique(const ConvData* cd, Job* j) {
  if (j->unique && *j->unique) wmem_map_insert(jobs, unique_key(wmem_file_scope(), cd, j->unique), j);
}

void add_time(proto_tree* tree, int hf, tvbuff_t* tvb, const nstime_t& from, const nstime_t& to) {
  nstime_t d;
  nstime_delta(&d, &to, &from);
  proto_item* it = proto_tree_add_time(tree, hf, tvb, 0, 0, &d);
  proto_item_set_generated(it);
}

}  // namespace

const char* outcome_name(guint8 o) {
  switch (o) {
    case kOutcomeComplete: return "complete";
    case kOutcomeFail: return "fail";
    case kOutcomeException: return "exception";
    default: return "incomplete";
  }
}

void init_jobs() { jobs = wmem_map_new(wmem_file_scope(), g_str_hash, g_str_equal); }

Job* find_job(const ConvData* cd, packet_info* pinfo, Bytes handle) {
  return static_cast<Job*>(wmem_map_lookup(jobs, job_key(pinfo->pool, cd, handle)));
}

// First pass only: the packet's effect on pairings and jobs.
void track_binary(ConvData* cd, packet_info* pinfo, PduData* pd, const gearproto::Header& h,
                  const gearproto::Arguments& args, bool from_client_side) {
  using namespace gearproto;
  const PacketInfo* info = h.info;
  if (!info) return;
  std::optional<Bytes> handle = args.get(Arg::Handle);
  switch (h.type) {
    case GRAB_JOB: case GRAB_JOB_UNIQ: case GRAB_JOB_ALL:
      push_waiting(cd->grabs, pinfo, pd); break;
    case NO_JOB:
      link_response(pd, pop_front(cd->grabs), pinfo); break;
    case PRE_SLEEP:
      push_waiting(cd->sleeps, pinfo, pd); break;
    case NOOP: {
      Waiting* w = pop_front(cd->sleeps);
      if (w) link_response(pd, w, pinfo);  // a NOOP nobody slept for is not an error
      break;
    }
    case ECHO_REQ: push_waiting(cd->echoes, pinfo, pd); break;
    case ECHO_RES: link_response(pd, pop_front(cd->echoes), pinfo); break;
    case GET_STATUS: case GET_STATUS_UNIQUE: push_waiting(cd->statuses, pinfo, pd); break;
    case STATUS_RES: case STATUS_RES_UNIQUE: link_response(pd, pop_front(cd->statuses), pinfo); break;
    case OPTION_REQ: push_waiting(cd->options, pinfo, pd); break;
    case OPTION_RES: link_response(pd, pop_front(cd->options), pinfo); break;
    case ERROR:
      // A submit the server refuses (e.g. queue full) is answered by ERROR instead of
      // JOB_CREATED: it answers the oldest waiting submit, or the next JOB_CREATED would pair wrong.
      if (!from_client_side && wmem_list_count(cd->submits) > 0) link_response(pd, pop_front(cd->submits), pinfo);
      break;
    default: break;
  }
  switch (info->job_role) {
    case JobRole::Submit: {
      Waiting* w = push_waiting(cd->submits, pinfo, pd);
      std::optional<Bytes> fn = args.get(Arg::Function), un = args.get(Arg::Unique);
      w->function = fn ? to_cstr(wmem_file_scope(), *fn) : "";
      w->unique = un ? to_cstr(wmem_file_scope(), *un) : "";
      w->background = info->background;
      break;
    }
    case JobRole::Created: {
      Waiting* w = pop_front(cd->submits);
      link_response(pd, w, pinfo);
      if (!handle) break;
      Job* j = find_job(cd, pinfo, *handle);
      if (!j || j->end_frame) {  // new job (a handle reused after its end starts a new job)
        j = new_job(cd, pinfo, *handle);
        j->function = w ? w->function : "";
        j->unique = w ? w->unique : "";
        j->background = w ? w->background : false;
        if (w) { j->submit_frame = w->frame; j->submit_ts = w->ts; }
        j->created_frame = pinfo->num;
        j->created_ts = pinfo->abs_ts;
        j->owner = cd;
        pd->job_created_here = true;
        index_unique(cd, j);
      }
      j->submits++;
      pd->job = j;
      break;
    }
    case JobRole::Assign: {
      link_response(pd, pop_front(cd->grabs), pinfo);
      if (!handle) break;
      Job* j = find_job(cd, pinfo, *handle);
      if (!j || j->end_frame) {
        j = new_job(cd, pinfo, *handle);  // capture started after the submit
        std::optional<Bytes> fn = args.get(Arg::Function), un = args.get(Arg::Unique);
        j->function = fn ? to_cstr(wmem_file_scope(), *fn) : "";
        j->unique = un ? to_cstr(wmem_file_scope(), *un) : "";
      }
      if (j->unique && !*j->unique) {
        std::optional<Bytes> un = args.get(Arg::Unique);
        if (un) j->unique = to_cstr(wmem_file_scope(), *un);
      }
      if (!j->assign_frame) { j->assign_frame = pinfo->num; j->assign_ts = pinfo->abs_ts; }
      pd->job = j;
      break;
    }
    case JobRole::Terminal: {
      if (!handle) break;
      Job* j = find_job(cd, pinfo, *handle);
      if (!j) break;
      // A terminal packet from the worker after the job ended (e.g. WORK_FAIL after
      // WORK_EXCEPTION) belongs to no job: gearmand dropped it at the first one.
      if (from_client_side && j->end_frame) break;
      pd->job = j;
      if (from_client_side) {  // from the worker: the job ends at its FIRST terminal packet
        if (!j->end_frame) {
          j->end_frame = pinfo->num;
          j->end_ts = pinfo->abs_ts;
          j->outcome = h.type == WORK_COMPLETE ? kOutcomeComplete
                     : h.type == WORK_FAIL ? kOutcomeFail : kOutcomeException;
          pd->job_end_here = true;
        }
      } else if (!j->result_frame && (!j->owner || j->owner == cd)) {  // delivered to the owner
        j->result_frame = pinfo->num;
        j->result_ts = pinfo->abs_ts;
        pd->job_result_here = true;
        if (!j->end_frame && j->outcome == kOutcomeNone) {
          // No worker's terminal packet: the server ended the job itself (Gearman::Server fails a
          // job its maxqueue evicts) or the capture lost it. What the client got is the outcome.
          j->outcome = h.type == WORK_COMPLETE ? kOutcomeComplete
                     : h.type == WORK_FAIL ? kOutcomeFail : kOutcomeException;
          pd->job_end_here = true;
        }
      }
      break;
    }
    case JobRole::Update: case JobRole::StatusQuery: case JobRole::StatusReply:
      if (handle) {
        pd->job = find_job(cd, pinfo, *handle);
      } else if (std::optional<Bytes> un = args.get(Arg::Unique)) {
        pd->job = static_cast<Job*>(wmem_map_lookup(jobs, unique_key(pinfo->pool, cd, to_cstr(pinfo->pool, *un))));
      }
      break;
    default: break;
  }
}

void add_links(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const PduData* pd, proto_item* pdu_item) {
  if (pd->request_frame) {
    proto_item* it = proto_tree_add_uint(tree, hf_request_in, tvb, 0, 0, pd->request_frame);
    proto_item_set_generated(it);
    add_time(tree, hf_response_time, tvb, pd->request_ts, pinfo->abs_ts);
  }
  if (pd->response_frame) {
    proto_item* it = proto_tree_add_uint(tree, hf_response_in, tvb, 0, 0, pd->response_frame);
    proto_item_set_generated(it);
  }
  if (pd->no_request) expert_add_info(pinfo, pdu_item, &ei_no_request);
}

void add_job(proto_tree* tree, packet_info* pinfo, tvbuff_t* tvb, const Job* j, proto_item* pdu_item,
             bool announce_incomplete) {
  proto_item* ti = proto_tree_add_string(tree, hf_job_function, tvb, 0, 0, j->function ? j->function : "");
  proto_item_set_generated(ti);
  proto_tree* jt = proto_item_add_subtree(ti, ett_job);
  proto_item* it;
  it = proto_tree_add_string(jt, hf_job_unique, tvb, 0, 0, j->unique ? j->unique : "");
  proto_item_set_generated(it);
  if (j->submits > 1) {
    it = proto_tree_add_uint(jt, hf_job_submits, tvb, 0, 0, j->submits);
    proto_item_set_generated(it);
  }
  it = proto_tree_add_string(jt, hf_job_outcome, tvb, 0, 0, outcome_name(j->outcome));
  proto_item_set_generated(it);
  struct { int hf; guint32 frame; } links[] = {
    {hf_job_submit_in, j->submit_frame}, {hf_job_created_in, j->created_frame},
    {hf_job_assigned_in, j->assign_frame}, {hf_job_end_in, j->end_frame}, {hf_job_result_in, j->result_frame},
  };
  for (auto& l : links) {
    if (!l.frame) continue;
    it = proto_tree_add_uint(jt, l.hf, tvb, 0, 0, l.frame);
    proto_item_set_generated(it);
  }
  if (j->created_frame && j->assign_frame && j->assign_frame >= j->created_frame)
    add_time(jt, hf_job_queue_time, tvb, j->created_ts, j->assign_ts);
  if (j->assign_frame && j->end_frame && j->end_frame >= j->assign_frame)
    add_time(jt, hf_job_run_time, tvb, j->assign_ts, j->end_ts);
  if (j->submit_frame && j->result_frame && j->result_frame >= j->submit_frame)
    add_time(jt, hf_job_total_time, tvb, j->submit_ts, j->result_ts);
  if (announce_incomplete && j->outcome == kOutcomeNone)
    expert_add_info(pinfo, pdu_item, &ei_job_incomplete);
}

}  // namespace gearman_plugin
