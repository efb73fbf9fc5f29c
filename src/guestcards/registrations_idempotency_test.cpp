// Idempotent retries of registrations on every backend (storage/idempotency.h):
// a retry with the same key registers nothing again and gets the first answer,
// another body under the key is refused, keys of other callers are their own,
// concurrent requests with one key create once, the answer is sealed at rest
// in spa_tax, and it expires (retention deletes it) by the injected clock.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "guestcards/registrations.h"
#include "guestcards/testing/guest_card_fixture.h"
#include "storage/idempotency.h"
#include "storage/testing/backends.h"

namespace passwerk::guestcards {
namespace {

using Registrations = std::vector<RegistrationResult>;
using storage::IdempotentWrite;

class RegistrationIdempotencyTest : public testing::GuestCardFixture {
 protected:
  static constexpr int64_t kDay = 86400;

  // What the http layer makes of a request with `key` (http/idempotency.cpp).
  storage::Idempotent<Registrations> Write(const std::string& caller, const std::string& key, const std::string& body) {
    storage::IdempotencyRequest request;
    request.key_hash = storage::IdempotencyKeyHash(caller, key);
    request.request_hash = storage::IdempotencyRequestHash("POST", "/api/v1/registrations", "", body);
    request.now = clock_.NowUnix();
    request.ttl_seconds = kDay;
    return storage::Idempotent<Registrations>(request, [](const Registrations& r) {
      return storage::StoredAnswer{201, r.front().registration_number};
    });
  }

  Result<Registrations> Register(const LandlordSetup& landlord, storage::Idempotent<Registrations>* write,
                                 const std::string& arrival = "2026-03-29") {
    nlohmann::json body = Body(landlord.accommodation);
    body["arrival"] = arrival;
    auto input = ParseRegistration(body);
    EXPECT_TRUE(input.ok()) << input.status().ToString();
    return service_->RegisterAll(landlord.actor, {*input}, write);
  }

  struct Sent {
    Status status;
    IdempotentWrite::Outcome outcome;
    storage::StoredAnswer answer;
  };
  // One request under `key`: what the domain said, and what the key made of it.
  Sent Send(const LandlordSetup& landlord, const std::string& key, const std::string& body,
            const std::string& arrival = "2026-03-29") {
    auto write = Write(landlord.actor.id, key, body);
    auto result = Register(landlord, &write, arrival);
    return {result.ok() ? Status::Ok() : result.status(), write.outcome(), write.answer()};
  }

  int64_t SpaTaxCharged() {
    auto total = Column("SELECT CAST(COALESCE(SUM(amount_cents), 0) AS TEXT) FROM spa_tax.registration_guests");
    return std::stoll(total.at(0));
  }
};

TEST_P(RegistrationIdempotencyTest, ARetryGetsTheFirstAnswerAndRegistersNothingAgain) {
  auto first = Write(landlord_a_.actor.id, "batch-2026-03-29", "{a}");
  auto created = Register(landlord_a_, &first);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(first.outcome(), IdempotentWrite::Outcome::kNew);
  EXPECT_EQ(first.answer().body, created->front().registration_number);
  const int64_t charged = SpaTaxCharged();

  // The answer was lost; the client sends the same request again.
  auto retry = Write(landlord_a_.actor.id, "batch-2026-03-29", "{a}");
  auto again = Register(landlord_a_, &retry);
  EXPECT_FALSE(again.ok());
  ASSERT_EQ(retry.outcome(), IdempotentWrite::Outcome::kReplayed);
  EXPECT_EQ(retry.answer().status, 201);
  EXPECT_EQ(retry.answer().body, created->front().registration_number);
  EXPECT_EQ(Count("spa_tax.registrations"), 1);
  EXPECT_EQ(Count("card_link.links"), 2);
  EXPECT_EQ(Count("logistics.cards"), 2);
  EXPECT_EQ(SpaTaxCharged(), charged);
  EXPECT_EQ(Count("spa_tax.idempotency_keys"), 1);
}

TEST_P(RegistrationIdempotencyTest, AnotherBodyUnderTheKeyIsRefused) {
  ASSERT_TRUE(Send(landlord_a_, "k1", "{a}").status.ok());
  Sent other = Send(landlord_a_, "k1", "{b}", "2026-03-30");
  EXPECT_FALSE(other.status.ok());
  EXPECT_EQ(other.outcome, IdempotentWrite::Outcome::kKeyReused);
  EXPECT_EQ(Count("spa_tax.registrations"), 1);
}

TEST_P(RegistrationIdempotencyTest, AnotherCallersKeyIsAnotherKey) {
  Sent mine = Send(landlord_a_, "k1", "{a}");
  ASSERT_TRUE(mine.status.ok()) << mine.status.ToString();
  Sent theirs = Send(landlord_b_, "k1", "{a}");
  ASSERT_TRUE(theirs.status.ok()) << theirs.status.ToString();
  EXPECT_EQ(theirs.outcome, IdempotentWrite::Outcome::kNew);
  EXPECT_NE(theirs.answer.body, mine.answer.body);
  EXPECT_EQ(Count("spa_tax.registrations"), 2);
}

TEST_P(RegistrationIdempotencyTest, AFailedWriteKeepsNoAnswer) {
  auto first = Write(landlord_a_.actor.id, "k1", "{a}");
  nlohmann::json body = Body("no-such-accommodation");
  auto input = ParseRegistration(body);
  ASSERT_TRUE(input.ok());
  EXPECT_FALSE(service_->RegisterAll(landlord_a_.actor, {*input}, &first).ok());
  EXPECT_EQ(first.outcome(), IdempotentWrite::Outcome::kNew);
  EXPECT_EQ(Count("spa_tax.idempotency_keys"), 0);
  // The corrected request under the same key is new.
  auto retry = Write(landlord_a_.actor.id, "k1", "{a}");
  ASSERT_TRUE(Register(landlord_a_, &retry).ok());
  EXPECT_EQ(Count("spa_tax.registrations"), 1);
}

TEST_P(RegistrationIdempotencyTest, ConcurrentRequestsWithOneKeyRegisterOnce) {
  constexpr int kClients = 4;
  std::vector<std::optional<storage::Idempotent<Registrations>>> writes(kClients);
  std::vector<Status> results(kClients);
  for (auto& w : writes) w.emplace(Write(landlord_a_.actor.id, "same", "{a}"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto r = Register(landlord_a_, &*writes[i]);
      results[i] = r.ok() ? Status::Ok() : r.status();
    });
  }
  for (auto& t : threads) t.join();
  int created = 0;
  for (int i = 0; i < kClients; ++i) {
    if (writes[i]->outcome() == IdempotentWrite::Outcome::kNew) {
      EXPECT_TRUE(results[i].ok()) << results[i].ToString();
      ++created;
    } else {
      EXPECT_EQ(writes[i]->outcome(), IdempotentWrite::Outcome::kReplayed);
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(Count("spa_tax.registrations"), 1);
  for (auto& w : writes) EXPECT_EQ(w->answer().body, writes[0]->answer().body);
}

TEST_P(RegistrationIdempotencyTest, TheAnswerIsSealedAndOnlyTheKeysHashStored) {
  if (GetParam() == storage::testing::Backend::kSqliteMemory) GTEST_SKIP() << "no files to search";
  Sent first = Send(landlord_a_, "client-key-4711", "{a}");
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  const std::string number = first.answer.body;
  ASSERT_TRUE(test_db_->Reopen().ok());  // SQLite: checkpoint the WAL into the files
  std::string bytes = SegmentBytes(storage::Segment::kSpaTax);
  EXPECT_EQ(bytes.find("client-key-4711"), std::string::npos);
  // The registration number is in spa_tax anyway; the answer must not add it
  // in clear: only the registrations table may hold it.
  auto answers = Column("SELECT answer FROM spa_tax.idempotency_keys");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].find(number), std::string::npos);
  // Sealed to its key: the retry, after the reopening, opens it.
  service_ = std::make_unique<RegistrationService>(test_db_->db(), clock_, box_);
  EXPECT_EQ(Send(landlord_a_, "client-key-4711", "{a}").answer.body, number);
}

TEST_P(RegistrationIdempotencyTest, AnswersExpireAndRetentionDeletesThem) {
  ASSERT_TRUE(Send(landlord_a_, "k1", "{a}").status.ok());
  clock_.Advance(kDay / 2);
  ASSERT_TRUE(Send(landlord_a_, "k2", "{b}", "2026-03-30").status.ok());
  clock_.Advance(kDay / 2);  // k1 has expired, k2 not yet
  auto deleted = storage::DeleteExpiredAnswers(test_db_->db(), {storage::Segment::kSpaTax}, clock_.NowUnix(), 1);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(Count("spa_tax.idempotency_keys"), 1);
  // An expired key counts as new.
  Sent late = Send(landlord_a_, "k1", "{a}", "2026-03-31");
  ASSERT_TRUE(late.status.ok()) << late.status.ToString();
  EXPECT_EQ(late.outcome, IdempotentWrite::Outcome::kNew);
  EXPECT_EQ(Count("spa_tax.registrations"), 3);
}

TEST_P(RegistrationIdempotencyTest, AnExpiredRowNotYetDeletedCountsAsNew) {
  ASSERT_TRUE(Send(landlord_a_, "k1", "{a}").status.ok());
  clock_.Advance(kDay + 1);
  Sent late = Send(landlord_a_, "k1", "{b}", "2026-03-30");
  ASSERT_TRUE(late.status.ok()) << late.status.ToString();
  EXPECT_EQ(late.outcome, IdempotentWrite::Outcome::kNew);
  EXPECT_EQ(Count("spa_tax.registrations"), 2);
  EXPECT_EQ(Count("spa_tax.idempotency_keys"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistrationIdempotencyTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::guestcards
