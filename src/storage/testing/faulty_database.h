// Test support: a Database wrapper that fails the Nth storage call (query,
// exec or commit) with kUnavailable, as a full disk or lost connection would.
// Tests loop N upwards until the operation succeeds and check after every
// failure that nothing was half-written (SQLite's do_faultsim_test, in small).
#pragma once

#include <atomic>
#include <memory>

#include "storage/database.h"

namespace passwerk::storage::testing {

class FaultyDatabase final : public Database {
 public:
  explicit FaultyDatabase(Database& inner) : inner_(inner) {}

  // Fail the call with this 1-based index from now on; 0 disables faults.
  void FailAt(int64_t n) {
    fail_at_ = n;
    calls_ = 0;
  }
  int64_t calls() const { return calls_; }
  bool fired() const { return fired_; }

  Engine engine() const override { return inner_.engine(); }
  Status Ping() override { return inner_.Ping(); }

  Status Write(const std::function<Status(Tx&)>& body) override {
    return inner_.Write([&](Tx& tx) -> Status {
      FaultyTx faulty(tx, *this);
      PW_RETURN_IF_ERROR(body(faulty));
      return Tick("commit");  // a failing commit rolls everything back
    });
  }
  Status Read(const std::function<Status(Tx&)>& body) override {
    return inner_.Read([&](Tx& tx) -> Status {
      FaultyTx faulty(tx, *this);
      return body(faulty);
    });
  }

 private:
  class FaultyTx final : public Tx {
   public:
    FaultyTx(Tx& inner, FaultyDatabase& owner) : inner_(inner), owner_(owner) {}
    Result<Rows> Query(std::string_view sql, const Params& params) override {
      PW_RETURN_IF_ERROR(owner_.Tick(sql));
      return inner_.Query(sql, params);
    }
    Result<int64_t> Exec(std::string_view sql, const Params& params) override {
      PW_RETURN_IF_ERROR(owner_.Tick(sql));
      return inner_.Exec(sql, params);
    }

   private:
    Tx& inner_;
    FaultyDatabase& owner_;
  };

  Status Tick(std::string_view what) {
    int64_t n = ++calls_;
    if (fail_at_ > 0 && n == fail_at_) {
      fired_ = true;
      return Unavailable("injected fault", std::string("fault injected at call ") + std::to_string(n) + ": " +
                                               std::string(what.substr(0, 80)));
    }
    return Status::Ok();
  }

  Database& inner_;
  std::atomic<int64_t> fail_at_{0};
  std::atomic<int64_t> calls_{0};
  std::atomic<bool> fired_{false};
};

}  // namespace passwerk::storage::testing
