#include "terminal_client/buffer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto.h"

namespace passwerk::terminal_client {
namespace {

class BufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("passwerk-buffer-" + crypto::RandomToken(6));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "buffer.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Buffer> OpenBuffer(const std::string& tid = "T-POOL-01") {
    auto buffer = Buffer::Open(path_, tid);
    EXPECT_TRUE(buffer.ok()) << buffer.status().ToString();
    return buffer.ok() ? std::move(*buffer) : nullptr;
  }

  static int64_t Add(Buffer& buffer) {
    auto number =
        buffer.AddTransaction("purchase", [](int64_t n) { return "{\"booking_number\":" + std::to_string(n) + "}"; });
    EXPECT_TRUE(number.ok()) << number.status().ToString();
    return number.ok() ? *number : -1;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(BufferTest, BookingNumbersNeverRepeatAcrossReopen) {
  std::vector<int64_t> seen;
  {
    auto buffer = OpenBuffer();
    seen.push_back(Add(*buffer));
    auto reserved = buffer->ReserveBookingNumber();  // an online acceptance: nothing stored under it
    ASSERT_TRUE(reserved.ok());
    seen.push_back(*reserved);
    seen.push_back(Add(*buffer));
  }
  {
    auto buffer = OpenBuffer();
    // Even after everything was acknowledged the counter goes on.
    ASSERT_TRUE(buffer->Acknowledge({{1, UploadResult::kAccepted, ""}, {3, UploadResult::kDuplicate, ""}}, 0).ok());
    EXPECT_EQ(*buffer->PendingCount(), 0);
    seen.push_back(Add(*buffer));
    seen.push_back(*buffer->ReserveBookingNumber());
  }
  auto buffer = OpenBuffer();
  seen.push_back(Add(*buffer));
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(*buffer->NextBookingNumber(), 7);
}

TEST_F(BufferTest, TheBodyCarriesTheBookingNumberItWasStoredUnder) {
  auto buffer = OpenBuffer();
  Add(*buffer);
  Add(*buffer);
  auto pending = buffer->Pending(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[1].booking_number, 2);
  EXPECT_EQ((*pending)[1].body, "{\"booking_number\":2}");
  EXPECT_EQ((*pending)[1].kind, "purchase");
}

TEST_F(BufferTest, ABufferBelongsToOneTerminal) {
  OpenBuffer("T-POOL-01");
  auto other = Buffer::Open(path_, "T-BUS-07");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("T-POOL-01"), std::string::npos);
}

TEST_F(BufferTest, OnlyAcknowledgedTransactionsLeaveAndRejectedOnesAreMovedAside) {
  {
    auto buffer = OpenBuffer();
    for (int i = 0; i < 6; ++i) Add(*buffer);
    auto counts = buffer->Acknowledge({{1, UploadResult::kAccepted, ""},
                                       {2, UploadResult::kDuplicate, ""},
                                       {3, UploadResult::kRejected, "payment.amount_cents: must be 2900"},
                                       {99, UploadResult::kAccepted, ""}},  // never pending: ignored
                                      1700000000);
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->deleted, 2);
    EXPECT_EQ(counts->rejected, 1);
  }
  auto buffer = OpenBuffer();
  auto pending = buffer->Pending(100);
  ASSERT_TRUE(pending.ok());
  std::vector<int64_t> left;
  for (const auto& t : *pending) left.push_back(t.booking_number);
  EXPECT_EQ(left, (std::vector<int64_t>{4, 5, 6}));
  auto rejected = buffer->Rejected();
  ASSERT_TRUE(rejected.ok());
  ASSERT_EQ(rejected->size(), 1u);
  EXPECT_EQ((*rejected)[0].booking_number, 3);
  EXPECT_EQ((*rejected)[0].reason, "payment.amount_cents: must be 2900");
  EXPECT_EQ((*rejected)[0].body, "{\"booking_number\":3}");
  EXPECT_EQ((*rejected)[0].rejected_at, 1700000000);
  // Answering the same again changes nothing.
  auto again = buffer->Acknowledge({{3, UploadResult::kRejected, "other"}, {1, UploadResult::kAccepted, ""}}, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->deleted + again->rejected, 0);
  EXPECT_EQ((*buffer->Rejected())[0].reason, "payment.amount_cents: must be 2900");
  EXPECT_EQ(*buffer->PendingCount(), 3);
}

TEST_F(BufferTest, PendingComesOldestFirstInBatches) {
  auto buffer = OpenBuffer();
  for (int i = 0; i < 5; ++i) Add(*buffer);
  auto first = buffer->Pending(2);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].booking_number, 1);
  ASSERT_TRUE(buffer->Acknowledge({{1, UploadResult::kAccepted, ""}, {2, UploadResult::kAccepted, ""}}, 0).ok());
  auto second = buffer->Pending(2);
  EXPECT_EQ((*second)[0].booking_number, 3);
}

TEST_F(BufferTest, AReservedNumberTakesTheOfflineAcceptanceAndTheHoldingChangesWithIt) {
  auto buffer = OpenBuffer();
  LocalHolding sold;
  sold.card_number = "103000000042";
  sold.circulation_counter = 1;
  sold.package_number = "9001";
  sold.holding.valid_from = {2026, 7, 14};
  sold.holding.valid_to = {2026, 7, 20};
  auto sale = buffer->AddTransaction(
      "purchase", [](int64_t) { return std::string("{}"); }, sold);
  ASSERT_TRUE(sale.ok());
  auto holdings = buffer->Holdings("103000000042", 1);
  ASSERT_EQ(holdings->size(), 1u);
  EXPECT_EQ((*holdings)[0].id, *sale);
  EXPECT_TRUE(*buffer->HasPendingSale("103000000042", 1));

  auto number = buffer->ReserveBookingNumber();
  ASSERT_TRUE(number.ok());
  LocalHolding used = (*holdings)[0];
  used.holding.uses = 1;
  used.holding.used_days = {{2026, 7, 15}};
  ASSERT_TRUE(buffer->AddReservedTransaction(*number, "acceptance", "{}", used).ok());
  // A number the counter never handed out is refused.
  EXPECT_FALSE(buffer->AddReservedTransaction(*number + 5, "acceptance", "{}", std::nullopt).ok());
  // So is one used already.
  EXPECT_FALSE(buffer->AddReservedTransaction(*number, "acceptance", "{}", std::nullopt).ok());

  holdings = buffer->Holdings("103000000042", 1);
  EXPECT_EQ((*holdings)[0].holding.uses, 1);
  EXPECT_EQ((*holdings)[0].holding.used_days, (std::vector<Date>{{2026, 7, 15}}));
  EXPECT_TRUE(buffer->Holdings("103000000042", 2)->empty());
  EXPECT_EQ(*buffer->PendingCount(), 2);

  ASSERT_TRUE(buffer->Acknowledge({{*sale, UploadResult::kAccepted, ""}}, 0).ok());
  EXPECT_FALSE(*buffer->HasPendingSale("103000000042", 1));
  // What the terminal sold stays known for offline decisions after upload.
  EXPECT_EQ(buffer->Holdings("103000000042", 1)->size(), 1u);
  ASSERT_TRUE(buffer->PruneHoldings({2026, 7, 21}).ok());
  EXPECT_TRUE(buffer->Holdings("103000000042", 1)->empty());
}

TEST_F(BufferTest, SyncDataReplacesTheBlockedListAndOlderCirculationsAreBlockedToo) {
  auto buffer = OpenBuffer();
  ASSERT_TRUE(buffer->StoreSyncData("{}", {{"103000000042", 2}, {"103000000059", 1}}, {{"last_sync", "5"}}).ok());
  EXPECT_TRUE(*buffer->IsBlocked("103000000042", 2));
  EXPECT_TRUE(*buffer->IsBlocked("103000000042", 1));
  EXPECT_FALSE(*buffer->IsBlocked("103000000042", 3));  // re-issued after the block
  EXPECT_EQ(*buffer->BlockedCount(), 2);
  ASSERT_TRUE(buffer->StoreSyncData("{\"x\":1}", {{"103000000059", 1}}, {}).ok());
  EXPECT_FALSE(*buffer->IsBlocked("103000000042", 2));
  EXPECT_EQ(*buffer->BlockedCount(), 1);
  EXPECT_EQ(**buffer->GetMeta("catalogue"), "{\"x\":1}");
  EXPECT_EQ(**buffer->GetMeta("last_sync"), "5");
  EXPECT_FALSE(buffer->GetMeta("session")->has_value());
}

TEST_F(BufferTest, TwoHandlesOnOneFileShareTheCounter) {
  // Two commands of one terminal may run at once (a sale during a sync).
  auto a = OpenBuffer();
  auto b = OpenBuffer();
  std::vector<int64_t> numbers;
  for (int i = 0; i < 10; ++i) {
    numbers.push_back(Add(i % 2 ? *a : *b));
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(numbers[i], i + 1);
}

}  // namespace
}  // namespace passwerk::terminal_client
