// The engine-neutral helpers of the storage contract: Row's conversions
// between the value kinds the engines return, QueryOne, and how QueryIn cuts
// keys into chunks (seen through a Tx that records what it is asked).
#include "storage/database.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace passwerk::storage {
namespace {

TEST(RowTest, IntegersFromEveryKind) {
  Row row({int64_t{42}, 2.9, std::string("-17"), std::string(), std::monostate{}, Blob{"x"}});
  EXPECT_EQ(row.size(), 6u);
  EXPECT_EQ(row.Int(0), 42);
  EXPECT_EQ(row.Int(1), 2) << "a double is truncated";
  EXPECT_EQ(row.Int(2), -17) << "PostgreSQL's text form";
  EXPECT_EQ(row.Int(3), 0) << "empty text";
  EXPECT_EQ(row.Int(4), 0) << "NULL";
  EXPECT_EQ(row.Int(5), 0) << "a blob is no number";
  EXPECT_EQ(Row({std::string("9223372036854775807")}).Int(0), INT64_MAX);
}

TEST(RowTest, DoublesFromEveryKind) {
  Row row({2.5, int64_t{3}, std::string("0.125"), std::string(), std::monostate{}});
  EXPECT_DOUBLE_EQ(row.Double(0), 2.5);
  EXPECT_DOUBLE_EQ(row.Double(1), 3.0);
  EXPECT_DOUBLE_EQ(row.Double(2), 0.125);
  EXPECT_DOUBLE_EQ(row.Double(3), 0.0);
  EXPECT_DOUBLE_EQ(row.Double(4), 0.0);
}

TEST(RowTest, TextOfTextAndBlobsEmptyOtherwise) {
  const std::string bytes("a\0b", 3);
  Row row({std::string("Erlangen"), Blob{bytes}, std::monostate{}, int64_t{7}});
  EXPECT_EQ(row.Text(0), "Erlangen");
  EXPECT_EQ(row.Text(1), bytes) << "every byte of a blob, NUL included";
  EXPECT_EQ(row.Text(2), "");
  EXPECT_EQ(row.Text(3), "") << "a number is not turned into text";
  EXPECT_THROW((void)row.Text(4), std::out_of_range);
}

TEST(RowTest, OptionalsAreEmptyOnlyForNull) {
  Row row({std::monostate{}, std::string(), int64_t{0}});
  EXPECT_TRUE(row.IsNull(0));
  EXPECT_FALSE(row.IsNull(1));
  EXPECT_EQ(row.OptText(0), std::nullopt);
  EXPECT_EQ(row.OptText(1), std::optional<std::string>(""));
  EXPECT_EQ(row.OptInt(0), std::nullopt);
  EXPECT_EQ(row.OptInt(2), std::optional<int64_t>(0));
  EXPECT_TRUE(std::holds_alternative<int64_t>(row.at(2)));
}

// Answers every query with one row per parameter (the parameter itself), and
// records the statements and parameters it was given.
class RecordingTx final : public Tx {
 public:
  Result<Rows> Query(std::string_view sql, const Params& params) override {
    if (fail_at_ >= 0 && static_cast<int>(sql_.size()) == fail_at_) return Unavailable("database is locked");
    sql_.emplace_back(sql);
    params_.push_back(params);
    Rows rows;
    if (!empty_) {
      for (const Value& p : params) rows.emplace_back(std::vector<Value>{p});
    }
    return rows;
  }
  Result<int64_t> Exec(std::string_view, const Params&) override { return Internal("not expected"); }

  std::vector<std::string> sql_;
  std::vector<Params> params_;
  int fail_at_ = -1;
  bool empty_ = false;
};

std::vector<Value> Keys(int n) {
  std::vector<Value> keys;
  for (int i = 1; i <= n; ++i) keys.emplace_back(int64_t{i});
  return keys;
}

Status Collect(Tx& tx, const std::vector<Value>& keys, size_t chunk, std::vector<int64_t>& seen) {
  return QueryIn(
      tx, "SELECT id FROM core.t WHERE id IN", keys,
      [&](const Row& row) {
        seen.push_back(row.Int(0));
        return Status::Ok();
      },
      chunk);
}

TEST(QueryInTest, ChunksOfOneSizePaddedWithTheLastKey) {
  RecordingTx tx;
  std::vector<int64_t> seen;
  ASSERT_TRUE(Collect(tx, Keys(7), 3, seen).ok());
  ASSERT_EQ(tx.sql_.size(), 3u);
  for (const std::string& sql : tx.sql_) EXPECT_EQ(sql, "SELECT id FROM core.t WHERE id IN ($1, $2, $3)");
  EXPECT_EQ(tx.params_[0], (Params{int64_t{1}, int64_t{2}, int64_t{3}}));
  EXPECT_EQ(tx.params_[1], (Params{int64_t{4}, int64_t{5}, int64_t{6}}));
  EXPECT_EQ(tx.params_[2], (Params{int64_t{7}, int64_t{7}, int64_t{7}})) << "padded by repeating the last key";
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 7, 7}));
}

TEST(QueryInTest, AnExactMultipleNeedsNoPadding) {
  RecordingTx tx;
  std::vector<int64_t> seen;
  ASSERT_TRUE(Collect(tx, Keys(6), 3, seen).ok());
  EXPECT_EQ(tx.sql_.size(), 2u);
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(QueryInTest, FewerKeysThanAChunkMakeASmallerStatement) {
  RecordingTx tx;
  std::vector<int64_t> seen;
  ASSERT_TRUE(Collect(tx, Keys(2), 100, seen).ok());
  ASSERT_EQ(tx.sql_.size(), 1u);
  EXPECT_EQ(tx.sql_[0], "SELECT id FROM core.t WHERE id IN ($1, $2)");
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2}));
}

TEST(QueryInTest, AChunkOfZeroIsOne) {
  RecordingTx tx;
  std::vector<int64_t> seen;
  ASSERT_TRUE(Collect(tx, Keys(3), 0, seen).ok());
  ASSERT_EQ(tx.sql_.size(), 3u);
  EXPECT_EQ(tx.sql_[0], "SELECT id FROM core.t WHERE id IN ($1)");
}

TEST(QueryInTest, NoKeysNoQuery) {
  RecordingTx tx;
  std::vector<int64_t> seen;
  ASSERT_TRUE(Collect(tx, {}, 100, seen).ok());
  EXPECT_TRUE(tx.sql_.empty());
  EXPECT_TRUE(seen.empty());
}

TEST(QueryInTest, ErrorsStopAtOnce) {
  RecordingTx failing;
  failing.fail_at_ = 1;
  std::vector<int64_t> seen;
  Status status = Collect(failing, Keys(10), 3, seen);
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(failing.sql_.size(), 1u) << "no chunk after the failing one";
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3}));

  RecordingTx tx;
  int calls = 0;
  Status stopped = QueryIn(
      tx, "SELECT id FROM core.t WHERE id IN", Keys(10),
      [&](const Row&) {
        ++calls;
        return calls == 2 ? FailedPrecondition("enough") : Status::Ok();
      },
      3);
  EXPECT_EQ(stopped.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(tx.sql_.size(), 1u);
}

TEST(QueryOneTest, TheFirstRowOrNotFound) {
  RecordingTx tx;
  auto first = tx.QueryOne("SELECT $1, $2", {int64_t{5}, int64_t{6}});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->Int(0), 5);
  tx.empty_ = true;
  EXPECT_EQ(tx.QueryOne("SELECT 1 WHERE 0").status().code(), ErrorCode::kNotFound);
  tx.fail_at_ = static_cast<int>(tx.sql_.size());
  EXPECT_EQ(tx.QueryOne("SELECT 1").status().code(), ErrorCode::kUnavailable) << "errors are not NotFound";
}

TEST(SegmentTest, NamesAreTheSchemaNamesInMigrationOrder) {
  const std::vector<Segment>& all = AllSegments();
  ASSERT_EQ(all.size(), 13u);
  EXPECT_EQ(all.front(), Segment::kCore);
  EXPECT_EQ(all.back(), Segment::kApplications);
  std::vector<std::string> names;
  for (Segment segment : all) names.emplace_back(SegmentName(segment));
  EXPECT_EQ(names, (std::vector<std::string>{"core", "audit", "cards", "checks", "spa_tax", "marketing", "card_link",
                                             "card_usage", "logistics", "history", "settlement",
                                             "portal", "applications"}));
}

}  // namespace
}  // namespace passwerk::storage
