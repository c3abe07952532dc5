// tests/messages/reserve_answer_test.cpp — a reservation's answer runs exactly once, even when
// the message carrying it is dropped (the router counts on it to answer or retry every route).
#include "messages/account_protocol.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace qg {

TEST_CASE("reserve answer: called once with the reply, later calls do nothing") {
  std::vector<ReserveReply> got;
  {
    ReserveAnswer answer([&](ReserveReply r) { got.push_back(std::move(r)); });
    ReserveReply ok;
    ok.reservation_id = "res_1";
    answer(ok);
    answer(ReserveReply{});
  }
  REQUIRE(got.size() == 1);
  CHECK(got[0].ok());
  CHECK(got[0].reservation_id == "res_1");
}

TEST_CASE("reserve answer: dropped unanswered, it answers a refusal (the router tries the next account)") {
  std::vector<ReserveReply> got;
  {
    auto answer = std::make_shared<ReserveAnswer>([&](ReserveReply r) { got.push_back(std::move(r)); });
    auto copy = answer;  // as a message holds it: the last owner gone is the drop
  }
  REQUIRE(got.size() == 1);
  CHECK_FALSE(got[0].ok());
  CHECK(got[0].error.empty());
  CHECK_FALSE(got[0].refusal.empty());
}

}  // namespace qg
