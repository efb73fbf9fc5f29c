// The mailbox: threads, messages and attachments in segment `portal`.
#include "portal/mailbox.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "accounts/policy.h"
#include "audit/audit_log.h"
#include "core/utf8.h"
#include "portal/mail_outbox.h"

namespace passwerk::portal {

using storage::Row;
using storage::Tx;
using storage::Value;

struct Mailbox::ThreadRow {
  int64_t id = 0;
  std::string public_id;
  int64_t account = 0;
  int64_t municipality_id = 0;
  int64_t department_id = 0;
  std::string subject_enc;
  std::optional<std::string> case_kind;
  std::optional<std::string> case_id;
  std::string case_state;
  std::string state;
  std::optional<int64_t> assigned_user_id;
  std::string last_from;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::string department_name;
  std::string assigned_name;
};

namespace {

constexpr size_t kMaxSubject = kMaxSubjectLength;
constexpr size_t kMaxBody = kMaxBodyLength;

constexpr std::string_view kThreadColumns =
    "t.id, t.public_id, t.account_id, t.municipality_id, t.department_id, t.subject_enc, t.case_kind, t.case_id, "
    "t.case_state, t.state, t.assigned_user_id, t.last_from, t.created_at, t.updated_at, d.name, u.display_name";
constexpr std::string_view kThreadFrom =
    " FROM portal.threads t JOIN core.departments d ON d.id = t.department_id "
    "LEFT JOIN core.users u ON u.id = t.assigned_user_id ";

std::string SubjectContext(std::string_view thread) { return "portal.threads.subject:" + std::string(thread); }
std::string BodyContext(std::string_view message) { return "portal.messages.body:" + std::string(message); }
std::string NameContext(std::string_view attachment) { return "portal.attachments.name:" + std::string(attachment); }
std::string DataContext(std::string_view attachment) { return "portal.attachments.data:" + std::string(attachment); }

Status Audit(Tx& tx, const Clock& clock, const std::string& actor, const std::string& action, const std::string& object,
             const nlohmann::json& detail, const std::string& request_id) {
  auto seq = audit::Append(tx, clock, {actor, action, object, detail.dump(), request_id});
  return seq.ok() ? Status::Ok() : seq.status();
}

std::string CitizenActor(const CitizenSession& session) { return "citizen:" + session.account_id; }

std::string NotFoundMessage() { return "there is no such thread"; }

// Text as typed: valid UTF-8, "\r\n" as "\n", no other control characters
// but tabs; trimmed. The number of code points in `length`.
std::string CleanText(std::string_view text, bool multi_line, size_t& length) {
  std::string out;
  length = 0;
  size_t at = 0;
  while (at < text.size()) {
    char32_t code_point = 0;
    size_t n = utf8::DecodeUtf8(text, at, code_point);
    if (n == 0) {
      ++at;
      continue;
    }
    std::string_view piece = text.substr(at, n);
    at += n;
    if (code_point == '\r') continue;
    if (code_point == '\n' && !multi_line) code_point = ' ', piece = " ";
    if ((code_point < 0x20 && code_point != '\n' && code_point != '\t') || code_point == 0x7f) continue;
    out.append(piece);
    ++length;
  }
  size_t start = out.find_first_not_of(" \t\n");
  if (start == std::string::npos) {
    length = 0;
    return std::string();
  }
  size_t end = out.find_last_not_of(" \t\n");
  std::string trimmed = out.substr(start, end - start + 1);
  length -= (start + (out.size() - end - 1));  // the trimmed characters are single bytes
  return trimmed;
}

Mailbox::ThreadRow RowToThread(const Row& row) {
  Mailbox::ThreadRow t;
  t.id = row.Int(0);
  t.public_id = row.Text(1);
  t.account = row.Int(2);
  t.municipality_id = row.Int(3);
  t.department_id = row.Int(4);
  t.subject_enc = row.Text(5);
  t.case_kind = row.OptText(6);
  t.case_id = row.OptText(7);
  t.case_state = row.Text(8);
  t.state = row.Text(9);
  t.assigned_user_id = row.OptInt(10);
  t.last_from = row.Text(11);
  t.created_at = row.Int(12);
  t.updated_at = row.Int(13);
  t.department_name = row.Text(14);
  t.assigned_name = row.Text(15);
  return t;
}

// A message and its attachments sealed before the transaction: encrypting
// megabytes must not hold the writer.
struct SealedAttachment {
  std::string public_id;
  std::string name_enc;
  std::string type;
  int64_t size = 0;
  std::string data_enc;
  AttachmentInfo info;
};
struct SealedMessage {
  std::string public_id;
  std::string body;
  std::string body_enc;
  std::vector<SealedAttachment> attachments;
};

SealedMessage Seal(const crypto::SecretBox& secrets, const std::string& body,
                   const std::vector<NewAttachment>& attachments, const std::vector<std::string>& types) {
  SealedMessage sealed;
  sealed.public_id = crypto::RandomToken(12);
  sealed.body = body;
  sealed.body_enc = secrets.Encrypt(body, BodyContext(sealed.public_id));
  for (size_t i = 0; i < attachments.size(); ++i) {
    SealedAttachment a;
    a.public_id = crypto::RandomToken(12);
    a.type = types[i];
    a.size = static_cast<int64_t>(attachments[i].data.size());
    std::string name = CleanFileName(attachments[i].name, a.type);
    a.name_enc = secrets.Encrypt(name, NameContext(a.public_id));
    a.data_enc = secrets.Encrypt(attachments[i].data, DataContext(a.public_id));
    a.info = AttachmentInfo{a.public_id, name, a.type, a.size};
    sealed.attachments.push_back(std::move(a));
  }
  return sealed;
}

int64_t AttachmentBytes(const SealedMessage& sealed) {
  int64_t total = 0;
  for (const SealedAttachment& a : sealed.attachments) total += a.size;
  return total;
}

}  // namespace

std::string_view CaseKindName(CaseKind kind) {
  switch (kind) {
    case CaseKind::kApplication:
      return "application";
    case CaseKind::kCard:
      return "card";
    case CaseKind::kFeeItem:
      return "fee_item";
  }
  return "application";
}

std::optional<CaseKind> ParseCaseKind(std::string_view name) {
  for (CaseKind kind : {CaseKind::kApplication, CaseKind::kCard, CaseKind::kFeeItem}) {
    if (CaseKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view SenderName(Sender sender) { return sender == Sender::kCitizen ? "citizen" : "staff"; }

std::string_view ThreadStateName(ThreadState state) { return state == ThreadState::kOpen ? "open" : "closed"; }

std::optional<ThreadFilter> ParseThreadFilter(std::string_view name) {
  if (name == "all") return ThreadFilter::kAll;
  if (name == "open") return ThreadFilter::kOpen;
  if (name == "unanswered") return ThreadFilter::kUnanswered;
  if (name == "mine") return ThreadFilter::kMine;
  if (name == "closed") return ThreadFilter::kClosed;
  return std::nullopt;
}

Mailbox::Mailbox(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets, MailboxOptions options,
                 MailOutbox* outbox)
    : db_(db), clock_(clock), secrets_(secrets), options_(options), outbox_(outbox) {}

void Mailbox::AddDocumentSource(std::string source, DocumentSource read) { sources_[std::move(source)] = std::move(read); }

Result<std::string> Mailbox::CleanBody(std::string_view body, bool may_be_empty) const {
  size_t length = 0;
  std::string clean = CleanText(body, true, length);
  if (clean.empty() && !may_be_empty) return InvalidArgument("write a message", "body");
  if (length > kMaxBody) {
    return InvalidArgument("a message may have at most " + std::to_string(kMaxBody) + " characters", "body");
  }
  return clean;
}

Status Mailbox::CheckCitizenQuota(Tx& tx, int64_t account, int64_t new_bytes) {
  const int64_t since = clock_.NowUnix() - 86400;
  PW_ASSIGN_OR_RETURN(auto messages, tx.QueryOne("SELECT COUNT(*) FROM portal.messages m JOIN portal.threads t "
                                                 "ON t.id = m.thread_id WHERE t.account_id = $1 AND "
                                                 "m.sender = 'citizen' AND m.sent_at > $2",
                                                 {account, since}));
  PW_ASSIGN_OR_RETURN(auto bytes, tx.QueryOne("SELECT COALESCE(SUM(a.size), 0) FROM portal.attachments a "
                                              "JOIN portal.messages m ON m.id = a.message_id JOIN portal.threads t "
                                              "ON t.id = m.thread_id WHERE t.account_id = $1 AND "
                                              "m.sender = 'citizen' AND m.sent_at > $2",
                                              {account, since}));
  if (messages.Int(0) + 1 > options_.citizen_messages_per_day ||
      bytes.Int(0) + new_bytes > options_.citizen_bytes_per_day) {
    return ResourceExhausted("you have sent as much as one account may in a day; try again tomorrow");
  }
  return Status::Ok();
}

// --- reading rows ---

Result<Mailbox::ThreadRow> Mailbox::FindThread(Tx& tx, std::string_view thread_id) {
  if (thread_id.empty() || thread_id.size() > 64) return NotFound(NotFoundMessage());
  PW_ASSIGN_OR_RETURN(auto rows, tx.Query(std::string("SELECT ") + std::string(kThreadColumns) +
                                              std::string(kThreadFrom) + "WHERE t.public_id = $1",
                                          {std::string(thread_id)}));
  if (rows.empty()) return NotFound(NotFoundMessage());
  return RowToThread(rows[0]);
}

Result<Mailbox::ThreadRow> Mailbox::CitizenThreadRow(Tx& tx, const CitizenSession& session,
                                                     std::string_view thread_id) {
  PW_ASSIGN_OR_RETURN(ThreadRow row, FindThread(tx, thread_id));
  // Another account's thread does not exist for this citizen.
  if (row.account != session.account) return NotFound(NotFoundMessage());
  return row;
}

Result<Mailbox::ThreadRow> Mailbox::StaffThreadRow(Tx& tx, const accounts::Actor& actor, std::string_view thread_id,
                                                   bool write) {
  PW_ASSIGN_OR_RETURN(ThreadRow row, FindThread(tx, thread_id));
  auto action = write ? accounts::Action::kWriteThreads : accounts::Action::kReadThreads;
  // Another department's thread does not exist for this member of staff.
  if (!accounts::Can(actor, action, accounts::Resource::InDepartment(row.municipality_id, row.department_id))) {
    return NotFound(NotFoundMessage());
  }
  return row;
}

Result<ThreadSummary> Mailbox::Summarise(Tx& tx, const ThreadRow& row, Sender viewer) {
  ThreadSummary summary;
  summary.id = row.public_id;
  PW_ASSIGN_OR_RETURN(summary.subject, secrets_.Decrypt(row.subject_enc, SubjectContext(row.public_id)));
  summary.department_id = row.department_id;
  summary.department_name = row.department_name;
  summary.municipality_id = row.municipality_id;
  if (row.case_kind && row.case_id) {
    if (auto kind = ParseCaseKind(*row.case_kind)) summary.case_ref = CaseRef{*kind, *row.case_id};
  }
  summary.case_state = row.case_state;
  summary.state = row.state == "closed" ? ThreadState::kClosed : ThreadState::kOpen;
  summary.updated_at = row.updated_at;
  summary.created_at = row.created_at;
  summary.assigned_user_id = row.assigned_user_id;
  summary.assigned_name = row.assigned_name;
  summary.unanswered = summary.state == ThreadState::kOpen && row.last_from == "citizen";
  // Unread: what the other side sent and the viewer has not read.
  const std::string other(SenderName(viewer == Sender::kCitizen ? Sender::kStaff : Sender::kCitizen));
  PW_ASSIGN_OR_RETURN(auto count, tx.QueryOne("SELECT COUNT(*) FROM portal.messages WHERE thread_id = $1 AND "
                                              "sender = $2 AND read_at IS NULL",
                                              {row.id, other}));
  summary.unread = count.Int(0);
  return summary;
}

Result<std::vector<Message>> Mailbox::Messages(Tx& tx, const ThreadRow& row, bool staff_view) {
  std::vector<Message> messages;
  std::map<int64_t, size_t> index;
  PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT m.id, m.public_id, m.sender, m.body_enc, m.sent_at, m.read_at, "
                                          "u.display_name FROM portal.messages m LEFT JOIN core.users u "
                                          "ON u.id = m.staff_user_id WHERE m.thread_id = $1 ORDER BY m.id",
                                          {row.id}));
  for (const Row& r : rows) {
    Message message;
    message.id = r.Text(1);
    message.from = r.Text(2) == "citizen" ? Sender::kCitizen : Sender::kStaff;
    PW_ASSIGN_OR_RETURN(message.body, secrets_.Decrypt(r.Text(3), BodyContext(message.id)));
    message.sent_at = r.Int(4);
    message.read_at = r.OptInt(5);
    if (staff_view) message.staff_name = r.Text(6);
    index[r.Int(0)] = messages.size();
    messages.push_back(std::move(message));
  }
  PW_ASSIGN_OR_RETURN(auto files, tx.Query("SELECT a.message_id, a.public_id, a.name_enc, a.content_type, a.size "
                                           "FROM portal.attachments a JOIN portal.messages m ON m.id = a.message_id "
                                           "WHERE m.thread_id = $1 ORDER BY a.id",
                                           {row.id}));
  for (const Row& r : files) {
    auto at = index.find(r.Int(0));
    if (at == index.end()) continue;
    AttachmentInfo info;
    info.id = r.Text(1);
    PW_ASSIGN_OR_RETURN(info.name, secrets_.Decrypt(r.Text(2), NameContext(info.id)));
    info.type = r.Text(3);
    info.size = r.Int(4);
    messages[at->second].attachments.push_back(std::move(info));
  }
  return messages;
}

Result<Document> Mailbox::ReadAttachment(Tx& tx, const ThreadRow& row, std::string_view attachment_id) {
  if (attachment_id.empty() || attachment_id.size() > 64) return NotFound("there is no such attachment");
  PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT a.public_id, a.name_enc, a.content_type, a.data_enc, a.source, "
                                          "a.source_ref FROM portal.attachments a JOIN portal.messages m "
                                          "ON m.id = a.message_id WHERE a.public_id = $1 AND m.thread_id = $2",
                                          {std::string(attachment_id), row.id}));
  if (rows.empty()) return NotFound("there is no such attachment");
  const Row& r = rows[0];
  Document document;
  PW_ASSIGN_OR_RETURN(document.name, secrets_.Decrypt(r.Text(1), NameContext(r.Text(0))));
  document.type = r.Text(2);
  if (!r.IsNull(4)) {
    auto source = sources_.find(r.Text(4));
    if (source == sources_.end()) return Unavailable("the document is kept with its case and cannot be read here");
    PW_ASSIGN_OR_RETURN(Document linked, source->second(r.Text(5)));
    document.data = std::move(linked.data);
    return document;
  }
  PW_ASSIGN_OR_RETURN(document.data, secrets_.Decrypt(r.Text(3), DataContext(r.Text(0))));
  return document;
}

namespace {

// Inserts a sealed message into `thread` and brings the thread up to date.
Status InsertSealed(Tx& tx, int64_t thread, Sender from, std::optional<int64_t> staff_user, const SealedMessage& sealed,
                    const std::vector<LinkedDocument>& documents, const crypto::SecretBox& secrets, int64_t now) {
  PW_ASSIGN_OR_RETURN(auto inserted,
                      tx.QueryOne("INSERT INTO portal.messages (public_id, thread_id, sender, staff_user_id, body_enc, "
                                  "sent_at, read_at) VALUES ($1, $2, $3, $4, $5, $6, NULL) RETURNING id",
                                  {sealed.public_id, thread, std::string(SenderName(from)),
                                   staff_user ? Value(*staff_user) : Value(), storage::Blob{sealed.body_enc}, now}));
  const int64_t message = inserted.Int(0);
  for (const SealedAttachment& a : sealed.attachments) {
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO portal.attachments (public_id, message_id, name_enc, content_type, size, "
                               "data_enc, source, source_ref) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)",
                               {a.public_id, message, storage::Blob{a.name_enc}, a.type, a.size,
                                storage::Blob{a.data_enc}})
                           .status());
  }
  for (const LinkedDocument& d : documents) {
    std::string id = crypto::RandomToken(12);
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO portal.attachments (public_id, message_id, name_enc, content_type, size, "
                               "data_enc, source, source_ref) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)",
                               {id, message, storage::Blob{secrets.Encrypt(d.name, NameContext(id))}, d.type, d.size,
                                d.source, d.ref})
                           .status());
  }
  return tx
      .Exec("UPDATE portal.threads SET last_from = $1, updated_at = $2 WHERE id = $3",
            {std::string(SenderName(from)), now, thread})
      .status();
}

Message MessageOf(const SealedMessage& sealed, Sender from, int64_t now, std::string staff_name,
                  const std::vector<LinkedDocument>& documents) {
  Message message;
  message.id = sealed.public_id;
  message.from = from;
  message.body = sealed.body;
  message.sent_at = now;
  message.staff_name = std::move(staff_name);
  for (const SealedAttachment& a : sealed.attachments) message.attachments.push_back(a.info);
  for (const LinkedDocument& d : documents) message.attachments.push_back({"", d.name, d.type, d.size});
  return message;
}

}  // namespace

// --- the citizen ---

Result<std::vector<Addressee>> Mailbox::Addressees() {
  std::vector<Addressee> out;
  Status done1 = db_.Read([&](Tx& tx) -> Status {
    out.clear();
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT d.id, d.name, m.name FROM core.departments d "
                                            "JOIN core.municipalities m ON m.id = d.municipality_id "
                                            "ORDER BY m.name, d.name"));
    for (const Row& r : rows) out.push_back({r.Int(0), r.Text(1), r.Text(2)});
    return Status::Ok();
  });
  if (!done1.ok()) return done1;
  return out;
}

Result<std::vector<ThreadSummary>> Mailbox::CitizenThreads(const CitizenSession& session) {
  std::vector<ThreadSummary> out;
  Status done2 = db_.Read([&](Tx& tx) -> Status {
    out.clear();
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query(std::string("SELECT ") + std::string(kThreadColumns) +
                                                std::string(kThreadFrom) +
                                                "WHERE t.account_id = $1 ORDER BY t.updated_at DESC, t.id DESC",
                                            {session.account}));
    for (const Row& r : rows) {
      PW_ASSIGN_OR_RETURN(ThreadSummary summary, Summarise(tx, RowToThread(r), Sender::kCitizen));
      summary.assigned_user_id.reset();
      summary.assigned_name.clear();
      out.push_back(std::move(summary));
    }
    return Status::Ok();
  });
  if (!done2.ok()) return done2;
  return out;
}

Result<int64_t> Mailbox::CitizenUnread(const CitizenSession& session) {
  int64_t unread = 0;
  Status done3 = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM portal.messages m JOIN portal.threads t "
                                              "ON t.id = m.thread_id WHERE t.account_id = $1 AND m.sender = 'staff' "
                                              "AND m.read_at IS NULL",
                                              {session.account}));
    unread = row.Int(0);
    return Status::Ok();
  });
  if (!done3.ok()) return done3;
  return unread;
}

Result<ThreadSummary> Mailbox::StartQuestion(const CitizenSession& session, int64_t department_id,
                                             std::string_view subject, std::string_view body,
                                             std::vector<NewAttachment> attachments,
                                             storage::Idempotent<ThreadSummary>* idempotent,
                                             const std::string& request_id) {
  size_t subject_length = 0;
  std::string clean_subject = CleanText(subject, false, subject_length);
  if (clean_subject.empty()) return InvalidArgument("give the message a subject", "subject");
  if (subject_length > kMaxSubject) {
    return InvalidArgument("a subject may have at most " + std::to_string(kMaxSubject) + " characters", "subject");
  }
  PW_ASSIGN_OR_RETURN(std::string clean_body, CleanBody(body, false));
  PW_ASSIGN_OR_RETURN(auto types, CheckAttachments(attachments, options_.attachments));
  const std::string thread_id = crypto::RandomToken(12);
  const std::string subject_enc = secrets_.Encrypt(clean_subject, SubjectContext(thread_id));
  SealedMessage sealed = Seal(secrets_, clean_body, attachments, types);
  const int64_t now = clock_.NowUnix();
  ThreadSummary summary;
  Status written = storage::WriteIdempotently<ThreadSummary>(
      db_, idempotent, {storage::Segment::kPortal, &secrets_}, summary, [&](Tx& tx) -> Status {
        PW_ASSIGN_OR_RETURN(auto departments, tx.Query("SELECT municipality_id, name FROM core.departments "
                                                       "WHERE id = $1",
                                                       {department_id}));
        if (departments.empty()) return NotFound("there is no such department", "department_id");
        PW_RETURN_IF_ERROR(CheckCitizenQuota(tx, session.account, AttachmentBytes(sealed)));
        PW_ASSIGN_OR_RETURN(auto inserted,
                            tx.QueryOne("INSERT INTO portal.threads (public_id, account_id, municipality_id, "
                                        "department_id, subject_enc, case_kind, case_id, case_state, state, "
                                        "assigned_user_id, last_from, created_at, updated_at, closed_at) VALUES "
                                        "($1, $2, $3, $4, $5, NULL, NULL, NULL, 'open', NULL, 'citizen', $6, $6, NULL) "
                                        "RETURNING id",
                                        {thread_id, session.account, departments[0].Int(0), department_id,
                                         storage::Blob{subject_enc}, now}));
        PW_RETURN_IF_ERROR(
            InsertSealed(tx, inserted.Int(0), Sender::kCitizen, std::nullopt, sealed, {}, secrets_, now));
        summary = ThreadSummary{};
        summary.id = thread_id;
        summary.subject = clean_subject;
        summary.department_id = department_id;
        summary.department_name = departments[0].Text(1);
        summary.municipality_id = departments[0].Int(0);
        summary.created_at = now;
        summary.updated_at = now;
        summary.unanswered = true;
        return Audit(tx, clock_, CitizenActor(session), "thread.create", "thread:" + thread_id,
                     {{"department_id", department_id}, {"attachments", sealed.attachments.size()}},
                     request_id);
      });
  if (!written.ok()) return written;
  return summary;
}

Result<Thread> Mailbox::CitizenThread(const CitizenSession& session, std::string_view thread_id) {
  Thread thread;
  Status done4 = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, CitizenThreadRow(tx, session, thread_id));
    PW_ASSIGN_OR_RETURN(thread.summary, Summarise(tx, row, Sender::kCitizen));
    thread.summary.assigned_user_id.reset();
    thread.summary.assigned_name.clear();
    PW_ASSIGN_OR_RETURN(thread.messages, Messages(tx, row, false));
    return Status::Ok();
  });
  if (!done4.ok()) return done4;
  return thread;
}

Result<Message> Mailbox::CitizenPost(const CitizenSession& session, std::string_view thread_id, std::string_view body,
                                     std::vector<NewAttachment> attachments, storage::Idempotent<Message>* idempotent,
                                     const std::string& request_id) {
  PW_ASSIGN_OR_RETURN(std::string clean_body, CleanBody(body, !attachments.empty()));
  PW_ASSIGN_OR_RETURN(auto types, CheckAttachments(attachments, options_.attachments));
  SealedMessage sealed = Seal(secrets_, clean_body, attachments, types);
  const int64_t now = clock_.NowUnix();
  Message message;
  Status written = storage::WriteIdempotently<Message>(
      db_, idempotent, {storage::Segment::kPortal, &secrets_}, message, [&](Tx& tx) -> Status {
        PW_ASSIGN_OR_RETURN(ThreadRow row, CitizenThreadRow(tx, session, thread_id));
        if (row.state == "closed") {
          return FailedPrecondition("this thread is closed; write a new message instead", "thread");
        }
        PW_RETURN_IF_ERROR(CheckCitizenQuota(tx, session.account, AttachmentBytes(sealed)));
        PW_RETURN_IF_ERROR(InsertSealed(tx, row.id, Sender::kCitizen, std::nullopt, sealed, {}, secrets_, now));
        message = MessageOf(sealed, Sender::kCitizen, now, "", {});
        return Audit(tx, clock_, CitizenActor(session), "thread.message", "thread:" + row.public_id,
                     {{"message", sealed.public_id}, {"attachments", sealed.attachments.size()}}, request_id);
      });
  if (!written.ok()) return written;
  return message;
}

Result<Document> Mailbox::CitizenAttachment(const CitizenSession& session, std::string_view thread_id,
                                            std::string_view attachment_id) {
  Document document;
  Status done5 = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, CitizenThreadRow(tx, session, thread_id));
    PW_ASSIGN_OR_RETURN(document, ReadAttachment(tx, row, attachment_id));
    return Status::Ok();
  });
  if (!done5.ok()) return done5;
  return document;
}

Status Mailbox::CitizenMarkRead(const CitizenSession& session, std::string_view thread_id) {
  const int64_t now = clock_.NowUnix();
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, CitizenThreadRow(tx, session, thread_id));
    return tx
        .Exec("UPDATE portal.messages SET read_at = $1 WHERE thread_id = $2 AND sender = 'staff' AND read_at IS NULL",
              {now, row.id})
        .status();
  });
}

// --- staff ---

Result<std::vector<ThreadSummary>> Mailbox::StaffThreads(const accounts::Actor& actor, ThreadFilter filter,
                                                         std::optional<int64_t> department_id) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kReadThreads));
  std::string where = "WHERE 1 = 1";
  std::vector<Value> params;
  auto param = [&](Value v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  switch (filter) {
    case ThreadFilter::kAll:
      break;
    case ThreadFilter::kOpen:
      where += " AND t.state = 'open'";
      break;
    case ThreadFilter::kUnanswered:
      where += " AND t.state = 'open' AND t.last_from = 'citizen'";
      break;
    case ThreadFilter::kMine:
      where += " AND t.state = 'open' AND t.assigned_user_id = " + param(actor.user ? actor.user->id : int64_t{-1});
      break;
    case ThreadFilter::kClosed:
      where += " AND t.state = 'closed'";
      break;
  }
  if (department_id) where += " AND t.department_id = " + param(*department_id);
  if (actor.user) {
    // Only the departments the user belongs to can pass the policy below;
    // asking the database for those only keeps the list short.
    if (actor.user->department_ids.empty()) return std::vector<ThreadSummary>();
    std::string in;
    for (int64_t d : actor.user->department_ids) in += (in.empty() ? "" : ", ") + param(d);
    where += " AND t.department_id IN (" + in + ")";
  }
  std::vector<ThreadSummary> out;
  Status done6 = db_.Write([&](Tx& tx) -> Status {
    out.clear();
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query(std::string("SELECT ") + std::string(kThreadColumns) +
                                                std::string(kThreadFrom) + where +
                                                " ORDER BY t.updated_at DESC, t.id DESC LIMIT 500",
                                            params));
    for (const Row& r : rows) {
      ThreadRow row = RowToThread(r);
      if (!accounts::Can(actor, accounts::Action::kReadThreads,
                         accounts::Resource::InDepartment(row.municipality_id, row.department_id))) {
        continue;
      }
      PW_ASSIGN_OR_RETURN(ThreadSummary summary, Summarise(tx, row, Sender::kStaff));
      out.push_back(std::move(summary));
    }
    // Subjects are what citizens wrote: a list is a read, and audited.
    nlohmann::json detail = {{"count", out.size()}, {"filter", static_cast<int>(filter)}};
    if (department_id) detail["department_id"] = *department_id;
    return accounts::AuditAs(tx, clock_, actor, "threads.list", "threads", detail);
  });
  if (!done6.ok()) return done6;
  return out;
}

Result<ThreadSummary> Mailbox::StaffSummary(const accounts::Actor& actor, std::string_view thread_id) {
  ThreadSummary summary;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, StaffThreadRow(tx, actor, thread_id, false));
    PW_ASSIGN_OR_RETURN(summary, Summarise(tx, row, Sender::kStaff));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return summary;
}

Result<Thread> Mailbox::StaffThread(const accounts::Actor& actor, std::string_view thread_id) {
  Thread thread;
  Status done7 = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, StaffThreadRow(tx, actor, thread_id, false));
    PW_ASSIGN_OR_RETURN(thread.summary, Summarise(tx, row, Sender::kStaff));
    PW_ASSIGN_OR_RETURN(thread.messages, Messages(tx, row, true));
    return accounts::AuditAs(tx, clock_, actor, "thread.read", "thread:" + row.public_id,
                             {{"department_id", row.department_id}, {"messages", thread.messages.size()}});
  });
  if (!done7.ok()) return done7;
  return thread;
}

Result<Message> Mailbox::StaffPost(const accounts::Actor& actor, std::string_view thread_id, std::string_view body,
                                   std::vector<NewAttachment> attachments, storage::Idempotent<Message>* idempotent) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kWriteThreads));
  PW_ASSIGN_OR_RETURN(std::string clean_body, CleanBody(body, !attachments.empty()));
  PW_ASSIGN_OR_RETURN(auto types, CheckAttachments(attachments, options_.attachments));
  SealedMessage sealed = Seal(secrets_, clean_body, attachments, types);
  const int64_t now = clock_.NowUnix();
  std::optional<int64_t> author;
  std::string author_name;
  if (actor.user) {
    author = actor.user->id;
    author_name = actor.user->display_name;
  }
  Message message;
  Status written = storage::WriteIdempotently<Message>(
      db_, idempotent, {storage::Segment::kPortal, &secrets_}, message, [&](Tx& tx) -> Status {
        PW_ASSIGN_OR_RETURN(ThreadRow row, StaffThreadRow(tx, actor, thread_id, true));
        if (row.state == "closed") return FailedPrecondition("this thread is closed; reopen it first", "thread");
        PW_RETURN_IF_ERROR(InsertSealed(tx, row.id, Sender::kStaff, author, sealed, {}, secrets_, now));
        if (outbox_ != nullptr) PW_RETURN_IF_ERROR(outbox_->QueueNotice(tx, row.account));
        message = MessageOf(sealed, Sender::kStaff, now, author_name, {});
        return accounts::AuditAs(tx, clock_, actor, "thread.message", "thread:" + row.public_id,
                                 {{"message", sealed.public_id}, {"attachments", sealed.attachments.size()}});
      });
  if (!written.ok()) return written;
  if (outbox_ != nullptr) outbox_->Wake();
  return message;
}

Result<Document> Mailbox::StaffAttachment(const accounts::Actor& actor, std::string_view thread_id,
                                          std::string_view attachment_id) {
  Document document;
  Status done8 = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, StaffThreadRow(tx, actor, thread_id, false));
    PW_ASSIGN_OR_RETURN(document, ReadAttachment(tx, row, attachment_id));
    return accounts::AuditAs(tx, clock_, actor, "thread.attachment", "thread:" + row.public_id,
                             {{"attachment", std::string(attachment_id)}});
  });
  if (!done8.ok()) return done8;
  return document;
}

Status Mailbox::StaffMarkRead(const accounts::Actor& actor, std::string_view thread_id) {
  const int64_t now = clock_.NowUnix();
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, StaffThreadRow(tx, actor, thread_id, false));
    return tx
        .Exec("UPDATE portal.messages SET read_at = $1 WHERE thread_id = $2 AND sender = 'citizen' AND "
              "read_at IS NULL",
              {now, row.id})
        .status();
  });
}

Status Mailbox::Assign(const accounts::Actor& actor, std::string_view thread_id, std::optional<int64_t> user_id) {
  const int64_t now = clock_.NowUnix();
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, StaffThreadRow(tx, actor, thread_id, true));
    if (user_id) {
      PW_ASSIGN_OR_RETURN(auto members, tx.Query("SELECT 1 FROM core.users u JOIN core.department_members dm "
                                                 "ON dm.user_id = u.id WHERE u.id = $1 AND dm.department_id = $2 "
                                                 "AND u.disabled = 0",
                                                 {*user_id, row.department_id}));
      if (members.empty()) {
        return InvalidArgument("assign the thread to a member of its department", "user_id");
      }
    }
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE portal.threads SET assigned_user_id = $1, updated_at = $2 WHERE id = $3",
                               {user_id ? Value(*user_id) : Value(), now, row.id})
                           .status());
    return accounts::AuditAs(tx, clock_, actor, "thread.assign", "thread:" + row.public_id,
                             {{"user_id", user_id ? nlohmann::json(*user_id) : nlohmann::json(nullptr)}});
  });
}

Result<std::vector<Assignee>> Mailbox::Assignees(const accounts::Actor& actor, std::string_view thread_id) {
  std::vector<Assignee> out;
  Status done9 = db_.Read([&](Tx& tx) -> Status {
    out.clear();
    PW_ASSIGN_OR_RETURN(ThreadRow row, StaffThreadRow(tx, actor, thread_id, false));
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT u.id, u.display_name FROM core.users u JOIN "
                                            "core.department_members dm ON dm.user_id = u.id WHERE "
                                            "dm.department_id = $1 AND u.disabled = 0 ORDER BY u.display_name",
                                            {row.department_id}));
    for (const Row& r : rows) out.push_back({r.Int(0), r.Text(1)});
    return Status::Ok();
  });
  if (!done9.ok()) return done9;
  return out;
}

Status Mailbox::Close(const accounts::Actor& actor, std::string_view thread_id) {
  return SetState(actor, thread_id, ThreadState::kClosed);
}

Status Mailbox::Reopen(const accounts::Actor& actor, std::string_view thread_id) {
  return SetState(actor, thread_id, ThreadState::kOpen);
}

Status Mailbox::SetState(const accounts::Actor& actor, std::string_view thread_id, ThreadState state) {
  const int64_t now = clock_.NowUnix();
  const std::string name(ThreadStateName(state));
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(ThreadRow row, StaffThreadRow(tx, actor, thread_id, true));
    if (row.state == name) return Status::Ok();  // already so: nothing changes, nothing to audit
    const bool closing = state == ThreadState::kClosed;
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE portal.threads SET state = $1, closed_at = $2, updated_at = $3 WHERE id = $4",
                               {name, closing ? storage::Value(now) : storage::Value(), now, row.id})
                           .status());
    return accounts::AuditAs(tx, clock_, actor, closing ? "thread.close" : "thread.reopen",
                             "thread:" + row.public_id, nlohmann::json::object());
  });
}

// --- other areas ---

Result<std::string> Mailbox::OpenCaseThread(int64_t account, int64_t department_id, const CaseRef& case_ref,
                                            std::string_view subject, std::string_view case_state,
                                            const std::string& request_id) {
  std::string id;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(id, OpenCaseThread(tx, account, department_id, case_ref, subject, case_state, request_id));
    return Status::Ok();
  });
  if (!done.ok()) return done;
  return id;
}

Result<std::string> Mailbox::OpenCaseThread(Tx& tx, int64_t account, int64_t department_id, const CaseRef& case_ref,
                                            std::string_view subject, std::string_view case_state,
                                            const std::string& request_id) {
  if (case_ref.id.empty() || case_ref.id.size() > 64) return InvalidArgument("a case needs its id", "case");
  size_t length = 0;
  std::string clean_subject = CleanText(subject, false, length);
  if (clean_subject.empty() || length > kMaxSubject) return InvalidArgument("a case thread needs a subject", "subject");
  const std::string thread_id = crypto::RandomToken(12);
  const std::string subject_enc = secrets_.Encrypt(clean_subject, SubjectContext(thread_id));
  const int64_t now = clock_.NowUnix();
  const std::string kind(CaseKindName(case_ref.kind));
  PW_ASSIGN_OR_RETURN(auto departments,
                      tx.Query("SELECT municipality_id FROM core.departments WHERE id = $1", {department_id}));
  if (departments.empty()) return NotFound("there is no such department", "department_id");
  // One thread per case, also when two calls race: the second finds the first's.
  PW_ASSIGN_OR_RETURN(int64_t inserted,
                      tx.Exec("INSERT INTO portal.threads (public_id, account_id, municipality_id, department_id, "
                              "subject_enc, case_kind, case_id, case_state, state, assigned_user_id, last_from, "
                              "created_at, updated_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', "
                              "NULL, 'staff', $9, $9, NULL) ON CONFLICT (case_kind, case_id) DO NOTHING",
                              {thread_id, account, departments[0].Int(0), department_id, storage::Blob{subject_enc},
                               kind, case_ref.id, std::string(case_state), now}));
  if (inserted == 0) {
    PW_ASSIGN_OR_RETURN(auto existing, tx.QueryOne("SELECT public_id FROM portal.threads WHERE case_kind = $1 "
                                                   "AND case_id = $2",
                                                   {kind, case_ref.id}));
    return existing.Text(0);
  }
  PW_RETURN_IF_ERROR(Audit(tx, clock_, "system", "thread.open_case", "thread:" + thread_id,
                           {{"case_kind", kind}, {"case_id", case_ref.id}, {"department_id", department_id}},
                           request_id));
  return thread_id;
}

Result<Message> Mailbox::PostToCase(const CaseRef& case_ref, std::string_view body,
                                    std::vector<LinkedDocument> documents, const std::string& request_id) {
  Message message;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(message, PostToCase(tx, case_ref, body, documents, request_id));
    return Status::Ok();
  });
  if (!done.ok()) return done;
  CaseWritten();
  return message;
}

Result<Message> Mailbox::PostToCase(Tx& tx, const CaseRef& case_ref, std::string_view body,
                                    std::vector<LinkedDocument> documents, const std::string& request_id) {
  PW_ASSIGN_OR_RETURN(std::string clean_body, CleanBody(body, !documents.empty()));
  for (const LinkedDocument& d : documents) {
    if (d.source.empty() || !sources_.contains(d.source)) {
      return InvalidArgument("a linked document needs a registered source", "documents");
    }
  }
  SealedMessage sealed = Seal(secrets_, clean_body, {}, {});
  const int64_t now = clock_.NowUnix();
  PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT public_id FROM portal.threads WHERE case_kind = $1 AND "
                                          "case_id = $2",
                                          {std::string(CaseKindName(case_ref.kind)), case_ref.id}));
  if (rows.empty()) return NotFound("the case has no thread yet", "case");
  PW_ASSIGN_OR_RETURN(ThreadRow row, FindThread(tx, rows[0].Text(0)));
  PW_RETURN_IF_ERROR(InsertSealed(tx, row.id, Sender::kStaff, std::nullopt, sealed, documents, secrets_, now));
  if (row.state == "closed") {
    PW_RETURN_IF_ERROR(
        tx.Exec("UPDATE portal.threads SET state = 'open', closed_at = NULL WHERE id = $1", {row.id}).status());
  }
  if (outbox_ != nullptr) PW_RETURN_IF_ERROR(outbox_->QueueNotice(tx, row.account));
  PW_RETURN_IF_ERROR(Audit(tx, clock_, "system", "thread.message", "thread:" + row.public_id,
                           {{"message", sealed.public_id}, {"documents", documents.size()}}, request_id));
  return MessageOf(sealed, Sender::kStaff, now, "", documents);
}

Status Mailbox::SetCaseState(const CaseRef& case_ref, std::string_view case_state, const std::string& request_id) {
  return db_.Write([&](Tx& tx) -> Status { return SetCaseState(tx, case_ref, case_state, request_id); });
}

Status Mailbox::SetCaseState(Tx& tx, const CaseRef& case_ref, std::string_view case_state,
                             const std::string& request_id) {
  const int64_t now = clock_.NowUnix();
  const std::string kind(CaseKindName(case_ref.kind));
  PW_ASSIGN_OR_RETURN(int64_t changed, tx.Exec("UPDATE portal.threads SET case_state = $1, updated_at = $2 "
                                               "WHERE case_kind = $3 AND case_id = $4",
                                               {std::string(case_state), now, kind, case_ref.id}));
  if (changed == 0) return NotFound("the case has no thread yet", "case");
  return Audit(tx, clock_, "system", "thread.case_state", kind + ":" + case_ref.id,
               {{"state", std::string(case_state)}}, request_id);
}

void Mailbox::CaseWritten() const {
  if (outbox_ != nullptr) outbox_->Wake();
}

// --- retention and deletion ---

Result<int64_t> Mailbox::DeleteThreads(Tx& tx, const std::string& where, const std::vector<Value>& params) {
  const std::string threads = "SELECT id FROM portal.threads WHERE " + where;
  PW_RETURN_IF_ERROR(tx.Exec("DELETE FROM portal.attachments WHERE message_id IN (SELECT id FROM portal.messages "
                             "WHERE thread_id IN (" +
                                 threads + "))",
                             params)
                         .status());
  PW_RETURN_IF_ERROR(
      tx.Exec("DELETE FROM portal.messages WHERE thread_id IN (" + threads + ")", params).status());
  return tx.Exec("DELETE FROM portal.threads WHERE " + where, params);
}

Result<int64_t> Mailbox::DeleteExpired() {
  const int64_t cutoff = clock_.NowUnix() - options_.retention_days * 86400;
  int64_t deleted = 0;
  Status done12 = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(deleted, DeleteThreads(tx, "state = 'closed' AND closed_at < $1", {cutoff}));
    if (deleted == 0) return Status::Ok();
    return Audit(tx, clock_, "system", "threads.retention", "threads",
                 {{"deleted", deleted}, {"closed_before", cutoff}}, "retention");
  });
  if (!done12.ok()) return done12;
  return deleted;
}

Result<int64_t> Mailbox::DeleteAccountThreads(Tx& tx, int64_t account) {
  return DeleteThreads(tx, "account_id = $1", {account});
}

}  // namespace passwerk::portal
