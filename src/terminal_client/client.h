// The reference terminal client (docs/terminal-protocol.md §5): accept, sell,
// sync and status on top of the buffer file and an HTTP transport. What it
// prints is up to the caller (cli/terminal_command.cpp); this layer returns
// plain structs.
//
// Exactly once, also when the process is killed at any moment: a booking
// number is taken from the buffer's counter in the same SQLite transaction
// that stores the transaction (or on its own, before an online acceptance),
// so it is never reused; a transaction stays in the buffer until an upload
// answer lists it, and the server counts a (TID, booking number) once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "terminal_client/buffer.h"
#include "terminal_client/http_client.h"
#include "terminals/terminal_key.h"

namespace passwerk::terminal_client {

struct ClientOptions {
  std::optional<terminals::KeyFile> key;  // needed to log in; the TID comes from the buffer
  int batch = 100;                        // transactions per upload request (1–1000)
};

struct CardInput {
  std::string card_number;  // 12 digits (spaces and hyphens are dropped)
  int circulation_counter = 1;
  std::string issuing_office = "0";
};

struct AcceptRequest {
  CardInput card;
  std::string service_number;
  std::optional<std::string> package_number;
  std::string operator_number = "1";
  std::string at;  // local YYYY-MM-DDTHH:MM:SS; empty: now in Europe/Berlin
};

struct AcceptOutcome {
  bool online = false;  // the server decided
  bool allowed = false;
  std::string reason;  // denied: blocked, not_valid_today, no_such_package, package_used_up, …
  int64_t booking_number = 0;
  // online: accepted | duplicate | not_recorded (the server's word);
  // offline: buffered | not_recorded
  std::string result;
  std::string package_number;
  std::optional<int64_t> days_left;
  std::optional<int64_t> points_left;
  std::string valid_to;
  bool base_assumed = false;   // offline: the base package was assumed to cover the day
  std::string offline_reason;  // offline: why the server did not decide
};

struct SellRequest {
  CardInput card;
  std::string package_number;
  std::string payment_method;  // cash | card
  std::string operator_number = "1";
  std::string at;
};

struct SellOutcome {
  int64_t booking_number = 0;
  std::string package_number;
  std::string package_name;
  int64_t price_cents = 0;
  std::string payment_method;
  std::string valid_from, valid_to;
  bool uploaded = false;       // the server acknowledged it already
  std::string upload_problem;  // why it stays buffered
};

struct UploadTotals {
  int64_t sent = 0;
  int64_t accepted = 0;
  int64_t duplicate = 0;
  int64_t rejected = 0;
  int64_t conflicts = 0;
  int64_t batches = 0;
};

struct SyncOutcome {
  UploadTotals upload;
  int64_t pending = 0;  // left in the buffer
  bool sync_data_stored = false;
  int64_t services = 0, packages = 0, blocked_cards = 0;
  Status problem;  // why the sync stopped early; the buffer is kept
};

struct StatusReport {
  std::string tid;
  std::string vu_number;
  std::string municipality_number;
  int64_t pending = 0;
  int64_t next_booking_number = 0;
  std::vector<RejectedTransaction> rejected;
  std::optional<int64_t> last_sync;  // unix seconds
  std::string catalogue_as_of;
  int64_t services = 0, packages = 0, blocked_cards = 0;
};

// YYYY-MM-DDTHH:MM:SS of a real calendar day and time.
bool ValidLocalDateTime(std::string_view text);
// The local time in Europe/Berlin, as terminals write it.
std::string BerlinLocalDateTime(int64_t unix_seconds);

class TerminalClient {
 public:
  // `server` may be null (status needs none); the buffer and the clock must
  // outlive the client.
  TerminalClient(ClientOptions options, Buffer& buffer, HttpClient* server, const Clock& clock);

  Result<AcceptOutcome> Accept(AcceptRequest request);
  Result<SellOutcome> Sell(SellRequest request);
  Result<SyncOutcome> Sync();
  Result<StatusReport> Report();

 private:
  Status Login();
  Status EnsureSession();
  // A request with the session; after a 401 it logs in again once.
  Result<HttpResponse> Call(std::string_view method, std::string_view path, const std::string& body);
  Status Upload(UploadTotals& totals);
  Status FetchSyncData(SyncOutcome& outcome);
  Result<std::optional<Catalogue>> LoadCatalogue();
  Result<std::string> RequireMeta(std::string_view key, std::string_view why);
  Status TrackOnlineUse(const AcceptRequest& request, const std::string& package_number, const Date& day);

  ClientOptions options_;
  Buffer& buffer_;
  HttpClient* server_;
  const Clock& clock_;
  std::string session_;
};

}  // namespace passwerk::terminal_client
