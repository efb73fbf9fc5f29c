// The citizen's e-mail address, the outbox, composing and sending mail.
#include "portal/mail_outbox.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "core/log.h"

namespace passwerk::portal {
namespace {

using storage::Row;
using storage::Tx;

constexpr std::string_view kNotice = "notice";
constexpr std::string_view kConfirmation = "confirmation";
constexpr std::string_view kRenewal = "renewal_reminder";
constexpr std::string_view kOrganisation = "organisation_request";
constexpr int64_t kDay = 86400;
constexpr int64_t kLeaseSeconds = 120;

Status Audit(Tx& tx, const Clock& clock, const std::string& actor, const std::string& action, const std::string& object,
             const nlohmann::json& detail, const std::string& request_id) {
  auto seq = audit::Append(tx, clock, {actor, action, object, detail.dump(), request_id});
  return seq.ok() ? Status::Ok() : seq.status();
}

std::string CitizenActor(const CitizenSession& session) { return "citizen:" + session.account_id; }

std::string AddressContext(int64_t account) { return "portal.contacts.email:" + std::to_string(account); }
std::string OutboxContext(std::string_view what, std::string_view kind, int64_t account) {
  return "portal.outbox." + std::string(what) + ":" + std::string(kind) + ":" + std::to_string(account);
}

bool IsAsciiPrintable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// RFC 2047 encoded-word (base64) for a non-ASCII header value.
std::string EncodeHeader(std::string_view value) {
  bool ascii = std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (ascii) return std::string(value);
  // Split into words of at most 45 bytes of input, never inside a UTF-8 sequence.
  std::string out;
  size_t at = 0;
  while (at < value.size()) {
    size_t end = std::min(value.size(), at + 45);
    while (end < value.size() && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + crypto::Base64Encode(value.substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

// Quoted-printable body (RFC 2045): CRLF lines, soft breaks at 76.
std::string QuotedPrintable(std::string_view text) {
  std::string out;
  size_t line_length = 0;
  auto emit = [&](std::string_view piece) {
    if (line_length + piece.size() > 75) {
      out += "=\r\n";
      line_length = 0;
    }
    out += piece;
    line_length += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      // Trailing white space before a line break must be encoded.
      if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
        char last = out.back();
        out.pop_back();
        char encoded[4];
        std::snprintf(encoded, sizeof encoded, "=%02X", static_cast<unsigned char>(last));
        out += encoded;
      }
      out += "\r\n";
      line_length = 0;
      continue;
    }
    if (c == '\r') continue;
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      // A dot alone at a line start is left to the SMTP client's dot-stuffing.
      emit(std::string_view(reinterpret_cast<const char*>(&text[i]), 1));
    } else {
      char encoded[4];
      std::snprintf(encoded, sizeof encoded, "=%02X", c);
      emit(encoded);
    }
  }
  if (!out.empty() && out.substr(out.size() - 2) != "\r\n") out += "\r\n";
  return out;
}

std::string RfcDate(int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return text;
}

// --- transports ---

void CurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UploadSource {
  std::string_view data;
  size_t at = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* source = static_cast<UploadSource*>(user);
  size_t n = std::min(size * count, source->data.size() - source->at);
  std::copy_n(source->data.data() + source->at, n, buffer);
  source->at += n;
  return n;
}

class SmtpTransport final : public MailTransport {
 public:
  explicit SmtpTransport(SmtpSettings settings) : settings_(std::move(settings)) { CurlGlobalInit(); }

  Status Send(const OutgoingMail& mail, std::string_view message) override {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return Unavailable("cannot start an SMTP client");
    UploadSource source{message, 0};
    std::string from = "<" + AddressOf(mail.from) + ">";
    std::string to = "<" + mail.to + ">";
    curl_slist* recipients = curl_slist_append(nullptr, to.c_str());
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &source);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout_seconds));
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    bool implicit_tls = settings_.url.rfind("smtps://", 0) == 0;
    if (!implicit_tls) {
      curl_easy_setopt(curl, CURLOPT_USE_SSL, settings_.starttls ? static_cast<long>(CURLUSESSL_ALL)
                                                                 : static_cast<long>(CURLUSESSL_NONE));
    }
    if (!settings_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (!settings_.username.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    CURLcode code = curl_easy_perform(curl);
    long response = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
    curl_slist_free_all(recipients);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK) {
      std::string why = error[0] != 0 ? std::string(error) : std::string(curl_easy_strerror(code));
      return Unavailable("the SMTP server did not take the mail: " + why +
                         (response != 0 ? " (reply " + std::to_string(response) + ")" : ""));
    }
    return Status::Ok();
  }

  std::string Describe() const override {
    // Without credentials: a user in the URL is cut off.
    std::string url = settings_.url;
    size_t scheme = url.find("://");
    size_t at = url.find('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) url.erase(scheme + 3, at - scheme - 2);
    return url;
  }

 private:
  SmtpSettings settings_;
};

// Writes each mail as an .eml file (the demo: no mail server needed).
class FileTransport final : public MailTransport {
 public:
  explicit FileTransport(std::filesystem::path dir) : dir_(std::move(dir)) {}

  Status Send(const OutgoingMail&, std::string_view message) override {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return Unavailable("cannot create the mail directory " + dir_.string(), ec.message());
    std::string name = std::to_string(std::time(nullptr)) + "-" + crypto::RandomToken(6);
    std::filesystem::path tmp = dir_ / (name + ".tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << message;
      out.flush();
      if (!out) return Unavailable("cannot write the mail into " + dir_.string());
    }
    std::filesystem::rename(tmp, dir_ / (name + ".eml"), ec);
    if (ec) return Unavailable("cannot write the mail into " + dir_.string(), ec.message());
    return Status::Ok();
  }

  std::string Describe() const override { return "file://" + dir_.string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace

Status CheckEmailAddress(std::string_view address) {
  auto refuse = [] { return InvalidArgument("enter an e-mail address such as name@example.org", "email"); };
  if (address.empty() || address.size() > 254 || !IsAsciiPrintable(address)) return refuse();
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || at + 1 >= address.size()) return refuse();
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  for (char c : local) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&*+-/=?^_`{|}~.").find(c) !=
                                                                std::string_view::npos;
    if (!ok) return refuse();
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return refuse();
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return refuse();
  }
  for (char c : domain) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return refuse();
  }
  return Status::Ok();
}

std::string AddressOf(std::string_view from) {
  size_t open = from.rfind('<');
  size_t close = from.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
    return std::string(from.substr(open + 1, close - open - 1));
  }
  return std::string(from);
}

std::string ComposeMail(const OutgoingMail& mail, int64_t now, std::string_view message_id) {
  std::string from = mail.from;
  size_t open = from.rfind('<');
  if (open != std::string::npos && open > 0) {
    std::string name = from.substr(0, open);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    from = EncodeHeader(name) + " <" + AddressOf(mail.from) + ">";
  }
  std::string out;
  out += "From: " + from + "\r\n";
  out += "To: <" + mail.to + ">\r\n";
  out += "Subject: " + EncodeHeader(mail.subject) + "\r\n";
  out += "Date: " + RfcDate(now) + "\r\n";
  std::string domain = AddressOf(mail.from);
  domain = domain.substr(domain.rfind('@') == std::string::npos ? 0 : domain.rfind('@') + 1);
  out += "Message-ID: <" + std::string(message_id) + "@" + domain + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  out += QuotedPrintable(mail.text);
  return out;
}

Result<std::unique_ptr<MailTransport>> MakeMailTransport(const SmtpSettings& settings) {
  if (settings.url.empty()) return std::unique_ptr<MailTransport>();
  if (settings.url.rfind("file://", 0) == 0) {
    std::string dir = settings.url.substr(7);
    if (dir.empty()) return InvalidArgument("smtp_url file:// needs a directory", "smtp_url");
    return std::unique_ptr<MailTransport>(std::make_unique<FileTransport>(dir));
  }
  if (settings.url.rfind("smtp://", 0) != 0 && settings.url.rfind("smtps://", 0) != 0) {
    return InvalidArgument("smtp_url must start with smtp://, smtps:// or file://", "smtp_url");
  }
  return std::unique_ptr<MailTransport>(std::make_unique<SmtpTransport>(settings));
}

int64_t RetryDelaySeconds(int64_t attempts, int64_t base_seconds) {
  int64_t delay = std::max<int64_t>(1, base_seconds);
  for (int64_t i = 1; i < attempts && delay < 3600; ++i) delay *= 2;
  return std::min<int64_t>(delay, 3600);
}

MailOutbox::MailOutbox(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets,
                       MailOptions options)
    : db_(db),
      clock_(clock),
      secrets_(secrets),
      options_(std::move(options)),
      address_key_(secrets.DeriveKey("portal.contact_address")) {}

void MailOutbox::SetPublicUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::lock_guard lock(url_mutex_);
  options_.public_url = std::move(url);
}

std::string MailOutbox::PublicUrl() const {
  std::lock_guard lock(url_mutex_);
  return options_.public_url;
}

std::string MailOutbox::AddressHash(std::string_view address) const {
  std::string lower(address);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return crypto::HexEncode(address_key_.Mac(lower));
}

Result<std::optional<EmailContact>> MailOutbox::Contact(const CitizenSession& session) {
  std::optional<EmailContact> contact;
  Status done1 = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT email_enc, confirmed_at, notify FROM portal.contacts "
                                            "WHERE account_id = $1",
                                            {session.account}));
    if (rows.empty()) return Status::Ok();
    PW_ASSIGN_OR_RETURN(std::string address, secrets_.Decrypt(rows[0].Text(0), AddressContext(session.account)));
    contact = EmailContact{address, !rows[0].IsNull(1), rows[0].Int(2) != 0};
    return Status::Ok();
  });
  if (!done1.ok()) return done1;
  return contact;
}

Status MailOutbox::SetAddress(const CitizenSession& session, std::string_view address, std::string_view lang,
                              const std::string& request_id) {
  PW_RETURN_IF_ERROR(CheckEmailAddress(address));
  const int64_t now = clock_.NowUnix();
  const std::string hash = AddressHash(address);
  const std::string token = crypto::RandomToken(24);
  const std::string link = PublicUrl() + "/portal/email/confirm?token=" + token;
  const std::string language = lang == "en" ? "en" : "de";
  Status written = db_.Write([&](Tx& tx) -> Status {
    // The contact row first: on PostgreSQL its lock makes a second request of
    // the same account wait here and count this one's send below.
    storage::Blob sealed{secrets_.Encrypt(address, AddressContext(session.account))};
    // A new address starts unconfirmed; its notices wait for the confirmation.
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO portal.contacts (account_id, email_enc, email_hash, confirmed_at, notify, "
                               "token_hash, token_expires_at, updated_at) VALUES ($1, $2, $3, NULL, 1, $4, $5, $6) "
                               "ON CONFLICT (account_id) DO UPDATE SET email_enc = excluded.email_enc, "
                               "email_hash = excluded.email_hash, confirmed_at = NULL, token_hash = excluded.token_hash, "
                               "token_expires_at = excluded.token_expires_at, updated_at = excluded.updated_at",
                               {session.account, sealed, hash, crypto::Sha256Hex(token),
                                now + options_.confirmation_valid_seconds, now})
                           .status());
    PW_ASSIGN_OR_RETURN(auto by_account, tx.QueryOne("SELECT COUNT(*) FROM portal.confirmation_sends "
                                                     "WHERE account_id = $1 AND sent_at > $2",
                                                     {session.account, now - kDay}));
    PW_ASSIGN_OR_RETURN(auto by_address, tx.QueryOne("SELECT COUNT(*) FROM portal.confirmation_sends "
                                                     "WHERE email_hash = $1 AND sent_at > $2",
                                                     {hash, now - kDay}));
    if (by_account.Int(0) >= options_.confirmations_per_account ||
        by_address.Int(0) >= options_.confirmations_per_address) {
      return ResourceExhausted("too many confirmation mails today; try again tomorrow");
    }
    PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.confirmation_sends WHERE sent_at <= $1", {now - kDay}).status());
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO portal.confirmation_sends (account_id, email_hash, sent_at) "
                               "VALUES ($1, $2, $3)",
                               {session.account, hash, now})
                           .status());
    // Mail queued for the old address goes nowhere now.
    PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.outbox WHERE account_id = $1", {session.account}).status());
    PW_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO portal.outbox (kind, account_id, recipient_enc, link_enc, lang, attempts, "
                "next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
                {std::string(kConfirmation), session.account,
                 storage::Blob{secrets_.Encrypt(address, OutboxContext("recipient", kConfirmation, session.account))},
                 storage::Blob{secrets_.Encrypt(link, OutboxContext("link", kConfirmation, session.account))}, language,
                 now})
            .status());
    return Audit(tx, clock_, CitizenActor(session), "email.set", "account:" + session.account_id, nlohmann::json::object(),
                 request_id);
  });
  if (written.ok()) Wake();
  return written;
}

Result<EmailContact> MailOutbox::PendingConfirmation(std::string_view token) {
  if (token.empty() || token.size() > 200) return NotFound("this confirmation link is not valid", "token");
  const int64_t now = clock_.NowUnix();
  EmailContact contact;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT account_id, token_expires_at, email_enc, notify FROM "
                                            "portal.contacts WHERE token_hash = $1",
                                            {crypto::Sha256Hex(token)}));
    if (rows.empty() || rows[0].Int(1) < now) {
      return NotFound("this confirmation link is not valid any more; ask for a new one in the portal", "token");
    }
    PW_ASSIGN_OR_RETURN(contact.address, secrets_.Decrypt(rows[0].Text(2), AddressContext(rows[0].Int(0))));
    contact.confirmed = false;
    contact.notify = rows[0].Int(3) != 0;
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return contact;
}

Result<EmailContact> MailOutbox::Confirm(std::string_view token, const std::string& request_id) {
  if (token.empty() || token.size() > 200) return InvalidArgument("this confirmation link is not valid", "token");
  const int64_t now = clock_.NowUnix();
  EmailContact contact;
  Status confirmed = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT c.account_id, c.token_expires_at, a.public_id, c.email_enc, "
                                            "c.notify FROM portal.contacts c JOIN portal.accounts a "
                                            "ON a.id = c.account_id WHERE c.token_hash = $1",
                                            {crypto::Sha256Hex(token)}));
    if (rows.empty() || rows[0].Int(1) < now) {
      return NotFound("this confirmation link is not valid any more; ask for a new one in the portal", "token");
    }
    PW_ASSIGN_OR_RETURN(contact.address, secrets_.Decrypt(rows[0].Text(3), AddressContext(rows[0].Int(0))));
    contact.confirmed = true;
    contact.notify = rows[0].Int(4) != 0;
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE portal.contacts SET confirmed_at = $1, token_hash = NULL, "
                               "token_expires_at = NULL, updated_at = $1 WHERE account_id = $2",
                               {now, rows[0].Int(0)})
                           .status());
    return Audit(tx, clock_, "citizen:" + rows[0].Text(2), "email.confirm", "account:" + rows[0].Text(2),
                 nlohmann::json::object(), request_id);
  });
  if (!confirmed.ok()) return confirmed;
  return contact;
}

Status MailOutbox::SetNotify(const CitizenSession& session, bool notify, const std::string& request_id) {
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE portal.contacts SET notify = $1, updated_at = $2 "
                                                 "WHERE account_id = $3",
                                                 {int64_t{notify ? 1 : 0}, clock_.NowUnix(), session.account}));
    if (changed == 0) return NotFound("give an e-mail address first", "email");
    if (!notify) {
      PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.outbox WHERE account_id = $1 AND kind = $2",
                                 {session.account, std::string(kNotice)})
                             .status());
    }
    return Audit(tx, clock_, CitizenActor(session), "email.notify", "account:" + session.account_id,
                 {{"notify", notify}}, request_id);
  });
}

Status MailOutbox::RemoveAddress(const CitizenSession& session, const std::string& request_id) {
  return db_.Write([&](Tx& tx) -> Status {
    PW_RETURN_IF_ERROR(DeleteForAccount(tx, session.account));
    return Audit(tx, clock_, CitizenActor(session), "email.remove", "account:" + session.account_id,
                 nlohmann::json::object(), request_id);
  });
}

Status MailOutbox::DeleteForAccount(Tx& tx, int64_t account) {
  // The record of confirmation mails sent stays for its day: removing an
  // address (or the account) must not reset the rate limits.
  PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.outbox WHERE account_id = $1", {account}).status());
  return tx.Exec("DELETE FROM portal.contacts WHERE account_id = $1", {account}).status();
}

Result<int64_t> MailOutbox::DeleteExpired() {
  int64_t deleted = 0;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(deleted, tx.Exec("DELETE FROM portal.confirmation_sends WHERE sent_at <= $1",
                                         {clock_.NowUnix() - kDay}));
    return Status::Ok();
  });
  if (!done.ok()) return done;
  return deleted;
}

Status MailOutbox::QueueNotice(Tx& tx, int64_t account) { return QueueAccountMail(tx, account, kNotice); }

Status MailOutbox::QueueRenewalReminder(Tx& tx, int64_t account) { return QueueAccountMail(tx, account, kRenewal); }

Status MailOutbox::QueueAccountMail(Tx& tx, int64_t account, std::string_view kind) {
  PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT email_enc FROM portal.contacts WHERE account_id = $1 AND "
                                          "confirmed_at IS NOT NULL AND notify = 1",
                                          {account}));
  if (rows.empty()) return Status::Ok();
  // One waiting mail of a kind is enough: it says only that something is new or due.
  PW_ASSIGN_OR_RETURN(auto queued, tx.Query("SELECT 1 FROM portal.outbox WHERE account_id = $1 AND kind = $2",
                                            {account, std::string(kind)}));
  if (!queued.empty()) return Status::Ok();
  PW_ASSIGN_OR_RETURN(std::string address, secrets_.Decrypt(rows[0].Text(0), AddressContext(account)));
  const int64_t now = clock_.NowUnix();
  return tx
      .Exec("INSERT INTO portal.outbox (kind, account_id, recipient_enc, link_enc, lang, attempts, next_attempt_at, "
            "created_at) VALUES ($1, $2, $3, NULL, 'de', 0, $4, $4)",
            {std::string(kind), account,
             storage::Blob{secrets_.Encrypt(address, OutboxContext("recipient", kind, account))}, now})
      .status();
}

Status MailOutbox::QueueOrganisationRequest(Tx& tx, std::string_view address, std::string_view link, int valid_days) {
  PW_RETURN_IF_ERROR(CheckEmailAddress(address));
  if (link.empty() || link.front() != '/') return InvalidArgument("the link is a path of the portal", "link");
  const int64_t now = clock_.NowUnix();
  // The link text carries the validity, so that the mail can say how long it holds.
  const std::string payload = std::to_string(valid_days) + " " + std::string(link);
  return tx
      .Exec("INSERT INTO portal.outbox (kind, account_id, recipient_enc, link_enc, lang, attempts, next_attempt_at, "
            "created_at) VALUES ($1, NULL, $2, $3, 'de', 0, $4, $4)",
            {std::string(kOrganisation),
             storage::Blob{secrets_.Encrypt(std::string(address), OutboxContext("recipient", kOrganisation, 0))},
             storage::Blob{secrets_.Encrypt(payload, OutboxContext("link", kOrganisation, 0))}, now})
      .status();
}

OutgoingMail MailOutbox::Render(std::string_view kind, std::string_view to, std::string_view lang,
                                std::string_view link) const {
  OutgoingMail mail;
  mail.from = options_.from;
  mail.to = std::string(to);
  const std::string mailbox = PublicUrl() + "/portal/mailbox";
  std::string german;
  std::string english;
  if (kind == kConfirmation) {
    mail.subject = "Bitte bestätigen Sie Ihre E-Mail-Adresse / Please confirm your e-mail address";
    german = "Guten Tag,\n\nbitte bestätigen Sie, dass Sie unter dieser Adresse Benachrichtigungen aus dem Passwerk-"
             "Bürgerportal erhalten möchten:\n\n" +
             std::string(link) +
             "\n\nDer Link gilt 24 Stunden. Wenn Sie das nicht veranlasst haben, ignorieren Sie diese E-Mail.\n";
    english = "Hello,\n\nplease confirm that you want notifications from the Passwerk citizen portal at this "
              "address:\n\n" +
              std::string(link) + "\n\nThe link is valid for 24 hours. If this was not you, ignore this e-mail.\n";
  } else if (kind == kNotice) {
    mail.subject = "Neue Nachricht in Ihrem Postfach / New message in your mailbox";
    german = "Guten Tag,\n\nin Ihrem Postfach im Bürgerportal liegt etwas Neues für Sie. Melden Sie sich an, um es "
             "zu lesen:\n\n" +
             mailbox +
             "\n\nAus Datenschutzgründen steht der Inhalt nicht in dieser E-Mail. Benachrichtigungen können Sie im "
             "Portal abschalten.\n";
    english = "Hello,\n\nthere is something new for you in your mailbox in the citizen portal. Sign in to read it:\n\n" +
              mailbox +
              "\n\nTo protect your privacy, the content is not in this e-mail. You can switch notifications off in "
              "the portal.\n";
  } else if (kind == kRenewal) {
    const std::string applications = PublicUrl() + "/portal/applications";
    mail.subject = "Ihre Karte läuft bald ab / Your card runs out soon";
    german = "Guten Tag,\n\neine Ihrer Karten läuft bald ab. Sie können die Verlängerung im Bürgerportal beantragen; "
             "das Formular ist mit Ihren letzten Angaben vorausgefüllt:\n\n" +
             applications + "\n";
    english = "Hello,\n\none of your cards runs out soon. You can apply for its renewal in the citizen portal; the "
              "form is prefilled with what you gave last time:\n\n" +
              applications + "\n";
  } else if (kind == kOrganisation) {
    // The payload is "<days> <link>" (QueueOrganisationRequest).
    const size_t space = link.find(' ');
    const std::string days = space == std::string_view::npos ? "14" : std::string(link.substr(0, space));
    const std::string url =
        PublicUrl() + (space == std::string_view::npos ? std::string(link) : std::string(link.substr(space + 1)));
    mail.subject = "Bitte bestätigen Sie ein ehrenamtliches Engagement / Please confirm a volunteer's engagement";
    german = "Guten Tag,\n\njemand, der sich in Ihrer Organisation ehrenamtlich engagiert, hat eine Ehrenamtskarte "
             "beantragt und Sie als Ansprechperson genannt. Bitte bestätigen Sie das Engagement oder lehnen Sie die "
             "Bestätigung mit einer Begründung ab. Sie brauchen dafür kein Konto:\n\n" +
             url + "\n\nDer Link gilt " + days +
             " Tage und kann nur einmal verwendet werden. Wenn Sie damit nichts zu tun haben, ignorieren Sie diese "
             "E-Mail.\n";
    english = "Hello,\n\nsomeone who volunteers with your organisation has applied for a volunteer card and named you "
              "as the contact person. Please confirm the engagement, or decline with a reason. You need no account:"
              "\n\n" +
              url + "\n\nThe link is valid for " + days +
              " days and can be used once. If this has nothing to do with you, ignore this e-mail.\n";
  } else {
    mail.subject = "Passwerk: Testnachricht / test message";
    german = "Diese Testnachricht zeigt, dass Passwerk E-Mails versenden kann.\n";
    english = "This test message shows that Passwerk can send e-mail.\n";
  }
  // Not "-- ": mail programs take that for a signature and fold the second language away.
  const std::string separator = "\n----------------------------------------\n\n";
  mail.text = lang == "en" ? english + separator + german : german + separator + english;
  if (lang == "en") {
    size_t slash = mail.subject.find(" / ");
    if (slash != std::string::npos) mail.subject = mail.subject.substr(slash + 3) + " / " + mail.subject.substr(0, slash);
  }
  return mail;
}

OutgoingMail MailOutbox::TestMail(std::string_view to) const { return Render("test", to, "de", ""); }

Result<DeliveryReport> MailOutbox::DeliverDue(MailTransport& transport, int64_t max_mails,
                                              const std::function<bool()>& stop) {
  DeliveryReport report;
  for (int64_t n = 0; n < max_mails && !(stop && stop()); ++n) {
    const int64_t now = clock_.NowUnix();
    // Lease the next due row: another server process skips it meanwhile.
    std::optional<Row> leased;
    Status done2 = db_.Write([&](Tx& tx) -> Status {
      leased.reset();
      PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, kind, recipient_enc, link_enc, lang, attempts, created_at, "
                                              "account_id "
                                              "FROM portal.outbox WHERE next_attempt_at <= $1 AND "
                                              "(lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at, id "
                                              "LIMIT 1",
                                              {now}));
      if (rows.empty()) return Status::Ok();
      PW_ASSIGN_OR_RETURN(int64_t taken, tx.Exec("UPDATE portal.outbox SET lease_until = $1 WHERE id = $2 AND "
                                                 "(lease_until IS NULL OR lease_until <= $3)",
                                                 {now + kLeaseSeconds, rows[0].Int(0), now}));
      if (taken == 1) leased = rows[0];
      return Status::Ok();
    });
    if (!done2.ok()) return done2;
    if (!leased) break;
    const int64_t id = leased->Int(0);
    const std::string kind = leased->Text(1);
    const int64_t attempts = leased->Int(5);
    const int64_t account = leased->IsNull(7) ? 0 : leased->Int(7);
    auto recipient = secrets_.Decrypt(leased->Text(2), OutboxContext("recipient", kind, account));
    std::string link;
    if (!leased->IsNull(3)) {
      auto opened = secrets_.Decrypt(leased->Text(3), OutboxContext("link", kind, account));
      if (opened.ok()) link = *opened;
    }
    Status sent = recipient.status();
    if (sent.ok()) {
      OutgoingMail mail = Render(kind, *recipient, leased->Text(4), link);
      sent = transport.Send(mail, ComposeMail(mail, now, crypto::RandomToken(12)));
    }
    const int64_t after = clock_.NowUnix();
    if (sent.ok()) {
      Status done3 = db_.Write([&](Tx& tx) -> Status {
        return tx.Exec("DELETE FROM portal.outbox WHERE id = $1", {id}).status();
      });
      if (!done3.ok()) return done3;
      ++report.sent;
      continue;
    }
    const bool expired = after - leased->Int(6) >= options_.retry_seconds;
    Status done4 = db_.Write([&](Tx& tx) -> Status {
      if (expired) {
        PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.outbox WHERE id = $1", {id}).status());
        return Audit(tx, clock_, "system", "mail.dropped", "outbox:" + std::to_string(id),
                     {{"kind", kind}, {"attempts", attempts + 1}, {"error", sent.message()}}, "mail");
      }
      return tx
          .Exec("UPDATE portal.outbox SET attempts = $1, next_attempt_at = $2, lease_until = NULL, last_error = $3 "
                "WHERE id = $4",
                {attempts + 1, after + RetryDelaySeconds(attempts + 1, options_.retry_base_seconds),
                 sent.message().substr(0, 500), id})
          .status();
    });
    if (!done4.ok()) return done4;
    log::Warn("mail not delivered", {{"kind", kind},
                                     {"attempts", attempts + 1},
                                     {"dropped", expired},
                                     {"transport", transport.Describe()},
                                     {"error", sent.message()}});
    if (expired) {
      ++report.dropped;
    } else {
      ++report.deferred;
    }
  }
  return report;
}

Result<int64_t> MailOutbox::Pending() {
  int64_t count = 0;
  Status done5 = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM portal.outbox"));
    count = row.Int(0);
    return Status::Ok();
  });
  if (!done5.ok()) return done5;
  return count;
}

Result<std::optional<int64_t>> MailOutbox::NextDue() {
  std::optional<int64_t> due;
  Status done6 = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > "
                                              "next_attempt_at THEN lease_until ELSE next_attempt_at END) "
                                              "FROM portal.outbox"));
    due = row.OptInt(0);
    return Status::Ok();
  });
  if (!done6.ok()) return done6;
  return due;
}

}  // namespace passwerk::portal
