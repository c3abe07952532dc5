// tests/persistence/journal_calls.hpp — blocking calls into a journal actor from a test thread
// (shared by the SQLite and PostgreSQL journal tests).
#pragma once

#include "messages/journal_protocol.hpp"

#include <caf/all.hpp>

#include <cstdint>

namespace qg::test {

inline AppendResult append_sync(caf::actor_system& sys, const journal_actor& j, EventBatch batch) {
  caf::scoped_actor self{sys};
  AppendResult out = AppendResult::failed("no reply");
  self->request(j, caf::infinite, append_atom::value, std::move(batch))
      .receive([&](const AppendResult& r) { out = r; }, [&](const caf::error& e) { out.error = to_string(e); });
  return out;
}

// flush_atom / snapshot_atom: the seq they answer.
template <class Atom>
std::uint64_t ask(caf::actor_system& sys, const journal_actor& j, Atom atom) {
  caf::scoped_actor self{sys};
  std::uint64_t seq = 0;
  self->request(j, caf::infinite, atom).receive([&](std::uint64_t s) { seq = s; }, [](const caf::error&) {});
  return seq;
}

}  // namespace qg::test
