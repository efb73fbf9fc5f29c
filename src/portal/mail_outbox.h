// E-mail for the citizen side (segment `portal`): the citizen's address,
// confirmed by a link before anything else is sent to it, and an outbox in
// the database that a sender drains over SMTP. A notice says that something
// new waits in the mailbox, never what: the outbox holds no message content,
// only the kind of mail, the sealed address and, for a confirmation, the
// sealed link. Rows survive restarts; a failed delivery is retried with
// growing pauses until mail_retry_days.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/status.h"
#include "portal/citizen_accounts.h"
#include "storage/database.h"

namespace passwerk::portal {

// A mail ready for the transport.
struct OutgoingMail {
  std::string from;  // "Name <address>" or "address"
  std::string to;    // an address
  std::string subject;
  std::string text;  // plain text, UTF-8, lines separated by "\n"
};

// Whether `address` is a plain addr-spec we send to: local@domain, printable
// ASCII without spaces, quotes, angle brackets or line breaks, at most 254
// characters, a domain with a dot. InvalidArgument (field "email") otherwise.
Status CheckEmailAddress(std::string_view address);

// The RFC 5322 message: From, To, Subject (RFC 2047 when not ASCII), Date,
// Message-ID, MIME-Version, text/plain UTF-8 quoted-printable, CRLF lines.
std::string ComposeMail(const OutgoingMail& mail, int64_t now, std::string_view message_id);

// The address part of `from` ("Passwerk <noreply@example.org>" → "noreply@example.org").
std::string AddressOf(std::string_view from);

// Delivers a composed mail: SMTP (libcurl: STARTTLS, AUTH) or a drop directory.
class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Unavailable when the server did not take it (retry later).
  virtual Status Send(const OutgoingMail& mail, std::string_view message) = 0;
  virtual std::string Describe() const = 0;  // for logs, without credentials
};

struct SmtpSettings {
  std::string url;       // smtp://host:port, smtps://host:port, file://DIR
  bool starttls = true;  // smtp:// only: refuse to send without STARTTLS
  std::string username;
  std::string password;
  std::string ca_file;
  int timeout_seconds = 30;
};

// nullptr when `url` is empty (mail waits in the outbox).
Result<std::unique_ptr<MailTransport>> MakeMailTransport(const SmtpSettings& settings);

struct EmailContact {
  std::string address;
  bool confirmed = false;
  bool notify = true;
};

struct MailOptions {
  std::string from = "Passwerk <noreply@localhost>";
  std::string public_url;  // where the links in a mail point
  int64_t retry_seconds = 7 * 86400;  // then dropped
  int64_t retry_base_seconds = 30;    // the first pause; doubles up to an hour
  int confirmations_per_account = 5;  // per 24 hours
  int confirmations_per_address = 3;  // per 24 hours
  int64_t confirmation_valid_seconds = 24 * 3600;
};

// What one delivery run did.
struct DeliveryReport {
  int64_t sent = 0;
  int64_t deferred = 0;  // refused now, retried later
  int64_t dropped = 0;   // past mail_retry_days (audited)
};

class MailOutbox {
 public:
  MailOutbox(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets, MailOptions options);

  // --- the citizen's address ---
  Result<std::optional<EmailContact>> Contact(const CitizenSession& session);
  // Sets (or changes) the address, unconfirmed, and queues a confirmation
  // mail with a one-time link; ResourceExhausted past the daily limits.
  // `lang`: "de" or "en", the language of the mail's first part.
  Status SetAddress(const CitizenSession& session, std::string_view address, std::string_view lang,
                    const std::string& request_id);
  // The address a confirmation link would confirm, without confirming it
  // (the page the link opens shows it); NotFound when the link is used,
  // expired or unknown.
  Result<EmailContact> PendingConfirmation(std::string_view token);
  // Confirms the address whose link carries `token` (once, unexpired); the
  // address as it is now.
  Result<EmailContact> Confirm(std::string_view token, const std::string& request_id);
  Status SetNotify(const CitizenSession& session, bool notify, const std::string& request_id);
  Status RemoveAddress(const CitizenSession& session, const std::string& request_id);

  // Within a mailbox write: queues "something new in your mailbox" when the
  // account has a confirmed address and notices on, unless one is queued.
  Status QueueNotice(storage::Tx& tx, int64_t account);
  // Within an application's write: the renewal reminder to the account's
  // confirmed address (when it has one and notices on). The mail names no
  // card and no person; it links to the portal's applications.
  Status QueueRenewalReminder(storage::Tx& tx, int64_t account);
  // Within an application's write: the request to a volunteer's
  // organisation, with its one-time link (a path of the portal; the mail
  // carries it under the public URL), valid `valid_days`. The mail names
  // nobody; the link shows what is to be confirmed. The address is checked
  // (CheckEmailAddress) and sealed.
  Status QueueOrganisationRequest(storage::Tx& tx, std::string_view address, std::string_view link, int valid_days);
  // Deletes the account's address and queued mail within `tx` (account
  // deletion, removing the address); the day's record of confirmation mails
  // stays, so that neither resets the rate limits.
  Status DeleteForAccount(storage::Tx& tx, int64_t account);
  // Deletes the records of confirmation mails older than a day (retention).
  Result<int64_t> DeleteExpired();

  // Sends what is due through `transport`; each row is leased first, so two
  // server processes never send the same row at once. A row is deleted once
  // the server took it.
  // Stops between mails once `stop` holds.
  Result<DeliveryReport> DeliverDue(MailTransport& transport, int64_t max_mails = 50,
                                    const std::function<bool()>& stop = nullptr);
  // Queued mails (metrics, tests).
  Result<int64_t> Pending();
  // When the next queued mail is due (nullopt: nothing queued).
  Result<std::optional<int64_t>> NextDue();

  // Where links point, once the server knows its address (port 0 in tests).
  void SetPublicUrl(std::string url);

  // Called after a commit that queued mail (the sender thread waits on it).
  void OnQueued(std::function<void()> wake) {
    std::lock_guard lock(wake_mutex_);
    wake_ = std::move(wake);
  }
  void Wake() const {
    std::lock_guard lock(wake_mutex_);
    if (wake_) wake_();
  }

  // The test mail of `passwerk mail test`.
  OutgoingMail TestMail(std::string_view to) const;

 private:
  std::string AddressHash(std::string_view address) const;
  // A mail of `kind` to the account's confirmed address (notices on), unless one waits already.
  Status QueueAccountMail(storage::Tx& tx, int64_t account, std::string_view kind);
  std::string PublicUrl() const;
  OutgoingMail Render(std::string_view kind, std::string_view to, std::string_view lang, std::string_view link) const;

  storage::Database& db_;
  const Clock& clock_;
  const crypto::SecretBox& secrets_;
  MailOptions options_;
  crypto::PreparedHmac address_key_;
  std::function<void()> wake_;
  mutable std::mutex wake_mutex_;
  mutable std::mutex url_mutex_;
};

// The pause after failed attempt number `attempts` (1, 2, …): `base_seconds`,
// doubling, at most an hour.
int64_t RetryDelaySeconds(int64_t attempts, int64_t base_seconds);

}  // namespace passwerk::portal
