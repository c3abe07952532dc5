// actors/account/account_reserve.cpp — the account actor's admissions: admit, write the
// ReservationCreated, answer once it is durable (see account_actor_state.hpp).
#include "actors/account/account_actor_state.hpp"

#include "quota/admission.hpp"
#include "quota/reservation_ids.hpp"

#include <spdlog/spdlog.h>

namespace qg::account_detail {

namespace {

// The release behind a ReservationCreated the log could not take (on_error: reject): the
// journal writes both once it can, counting nothing.
void release_unwritten(self_ptr self, const std::string& id) {
  const Event release{0, self->state.opts.clock(), self->state.account.id,
                      ReservationReleased{id, "event log unavailable"}};
  persist(self, {release}, [](const std::string&, std::uint64_t) {},
          [self, id] {
            if (self->state.account.reservations.count(id)) release_unwritten(self, id);
          });
}

ReserveReply refused(std::string why) {
  ReserveReply r;
  r.refusal = std::move(why);
  return r;
}

ReserveReply log_unavailable(const std::string& error) {
  ReserveReply r;
  r.error = "event log unavailable: " + error;
  return r;
}

// Where a reservation's reply goes. `any_thread`: it may run on the journal's thread (a
// ReserveAnswer, messages/account_protocol.hpp), not only on this actor's (a response promise).
struct ReplyTo {
  std::function<void(ReserveReply)> fn;
  bool any_thread = false;
  void operator()(ReserveReply r) const { fn(std::move(r)); }
};

// A ReservationCreated the log could not take (the journal holds it and writes it once it can):
// admitted anyway (on_error: allow), else refused with `release` behind it, which keeps memory
// and log in step, counting nothing (on_error: reject).
void unwritten_admission(const ReplyTo& reply, const ReserveReply& admitted, bool allow, const std::string& err,
                         const std::function<void()>& release) {
  if (allow) {
    spdlog::warn("journal failed, admitting anyway (on_error: allow): {}", err);
    return reply(admitted);
  }
  release();
  reply(log_unavailable(err));
}

ReservationCreated new_reservation(const ReserveCommand& cmd) {
  return ReservationCreated{new_reservation_id(), cmd.model, cmd.estimate, 0, cmd.request_id, cmd.dialect,
                            cmd.asked, cmd.client, cmd.pinned};
}

// Admission, then the ReservationCreated written; `reply` runs once: at once for a refusal (or
// when the log is down and on_error: allow admits without waiting), else once the
// ReservationCreated is durable — on the journal's thread, right after its commit, when
// `reply.any_thread` (the admission then does not wait for this actor to take the journal's
// reply from its mailbox; docs/EVENT_LOG.md §3), else here. After a version conflict it runs
// again, same id.
void reserve(self_ptr self, ReservationCreated created, TimeMs ttl_ms, ReplyTo reply) {
  auto& st = self->state;
  const TimeMs now = st.opts.clock();
  created.expires_at = now + ttl_ms;
  const Admission a = admit(st.account, st.breaker, st.opts.journal_health.get(),
                            {st.opts.allow_unpersisted, st.opts.max_held_events, st.opts.settings.breaker},
                            created, now);
  if (a.verdict == Admission::Verdict::refuse) return reply(refused(a.reason));
  if (a.verdict == Admission::Verdict::journal_unavailable) return reply(log_unavailable(a.reason));
  if (a.probe) begin_probe(st.breaker, now);
  const bool log_down = !a.wait_for_commit;
  // The admission, shared by the answers below (whichever runs copies it once).
  auto admitted = std::make_shared<ReserveReply>();
  admitted->reservation_id = created.id;
  admitted->provider = st.account.spec.provider;
  admitted->base_url = st.account.spec.base_url;
  admitted->prefix = st.account.spec.prefix;
  // Durable and admitted: the journal answers the waiting worker itself (it runs the notice
  // only for an append it wrote; a conflict or a failed write comes back here). On a log this
  // node alone writes it takes a failed write too, on the journal's thread, with the release
  // proposed to this actor (the append is then quiet: no reply comes back, persist).
  DurableNoticePtr notice;
  if (reply.any_thread && !log_down) {
    notice = std::make_shared<DurableNotice>(DurableNotice{[reply, admitted] { reply(*admitted); }, {}});
    if (st.opts.node.empty())
      notice->unwritten = [reply, admitted, allow = st.opts.allow_unpersisted,
                           account = caf::actor_cast<account_actor>(self)](const std::string& err) {
        unwritten_admission(reply, *admitted, allow, err, [&] {
          caf::anon_send(account, propose_atom::value,
                         EventPayload{ReservationReleased{admitted->reservation_id, "event log unavailable"}});
        });
      };
  }
  const bool journal_answers = notice != nullptr;
  persist(self, one_event(Event{0, now, st.account.id, created}),
          [self, reply, admitted, answered = log_down, journal_answers](const std::string& err, std::uint64_t) {
            if (answered || (err.empty() && journal_answers)) return;  // answered below / by the journal
            if (err.empty()) return reply(*admitted);
            unwritten_admission(reply, *admitted, self->state.opts.allow_unpersisted, err,
                                [&] { release_unwritten(self, admitted->reservation_id); });
          },
          [self, created, ttl_ms, reply, log_down]() mutable {
            if (log_down) return;  // answered already; the reservation stands as written
            reserve(self, std::move(created), ttl_ms, std::move(reply));
          },
          Append::now, std::move(notice));
  if (log_down) reply(*admitted);  // admitted without waiting (on_error: allow, log down)
}

}  // namespace

caf::result<ReserveReply> reserve(self_ptr self, const ReserveCommand& cmd) {
  auto rp = self->make_response_promise<ReserveReply>();
  // A response promise is delivered on this actor's thread only.
  reserve(self, new_reservation(cmd), cmd.ttl_ms,
          ReplyTo{[rp](ReserveReply r) mutable { rp.deliver(std::move(r)); }, false});
  return rp;
}

void reserve(self_ptr self, const ReserveCommand& cmd, const ReserveAnswerPtr& answer) {
  reserve(self, new_reservation(cmd), cmd.ttl_ms, ReplyTo{[answer](ReserveReply r) { (*answer)(std::move(r)); }, true});
}

}  // namespace qg::account_detail
