// The connection pool both engines share: a fixed set of connections, each
// lent to one transaction at a time; a borrower waits while all are lent.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace passwerk::storage {

template <typename Connection>
class ConnectionPool {
 public:
  explicit ConnectionPool(std::vector<std::unique_ptr<Connection>> connections) : owned_(std::move(connections)) {
    for (auto& conn : owned_) idle_.push_back(conn.get());
  }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection lent for one transaction; given back when the lease ends,
  // also when the transaction's body throws.
  class Lease {
   public:
    explicit Lease(ConnectionPool& pool) : pool_(pool), conn_(pool.Acquire()) {}
    ~Lease() { pool_.Release(conn_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection* operator->() const { return conn_; }
    Connection& operator*() const { return *conn_; }

   private:
    ConnectionPool& pool_;
    Connection* conn_;
  };

  // Every connection, lent or not (for setting each one up once).
  const std::vector<std::unique_ptr<Connection>>& connections() const { return owned_; }

 private:
  Connection* Acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty(); });
    Connection* conn = idle_.back();
    idle_.pop_back();
    return conn;
  }

  void Release(Connection* conn) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(conn);
    }
    available_.notify_one();
  }

  std::vector<std::unique_ptr<Connection>> owned_;
  std::vector<Connection*> idle_;
  std::mutex mutex_;
  std::condition_variable available_;
};

}  // namespace passwerk::storage
