// Tests of crm/sdk/peer_checks.hpp: how a peer's failure maps to the caller.
#include <crm/sdk/peer_checks.hpp>

#include <catch2/catch.hpp>

TEST_CASE("a peer that is down or not loaded cannot answer", "[sdk][peer-checks]") {
  CHECK(crm::peer_answer_of(crm::Error(CRM_E_UNAVAILABLE, "down")) == crm::PeerAnswer::unavailable);
  // The host's reply to an operation no loaded plugin offers (ABI 1.4's
  // status; Call::invoke maps an older host's text to it).
  CHECK(crm::peer_answer_of(crm::Error(CRM_E_NO_OPERATION, "no operation customer.get")) ==
        crm::PeerAnswer::unavailable);
}

TEST_CASE("a peer that says no is the caller's field's problem", "[sdk][peer-checks]") {
  CHECK(crm::peer_answer_of(crm::Error(CRM_E_NOT_FOUND, "customer not found")) == crm::PeerAnswer::no);
  CHECK(crm::peer_answer_of(crm::Error(CRM_E_FORBIDDEN, "forbidden")) == crm::PeerAnswer::no);
  CHECK(crm::peer_answer_of(crm::Error(CRM_E_INVALID, "validation failed")) == crm::PeerAnswer::no);
}

TEST_CASE("any other failure of the peer stays the peer's", "[sdk][peer-checks]") {
  CHECK(crm::peer_answer_of(crm::Error(CRM_E_INTERNAL, "internal error")) == crm::PeerAnswer::failed);
}
