// The mailbox (Postfach, seed 002's Postkorb) between a citizen and the
// office (segment `portal`): one thread per case (an application, a card, a
// fee item) or per question to a department, its messages and attachments.
// Subjects, bodies, file names and contents are sealed with the data keys.
//
// Citizens reach only their own account's threads; staff only the threads of
// their departments, and every staff read is audited (the one access policy:
// threads.read, threads.write). Other areas open and post to the thread of
// their case (OpenCaseThread, PostToCase); documents that belong to a case
// stay with the case and are linked, not copied (AddDocumentSource).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/actor.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/status.h"
#include "portal/attachments.h"
#include "portal/citizen_accounts.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::portal {

class MailOutbox;

// The longest subject and message, in characters (code points).
inline constexpr int kMaxSubjectLength = 200;
inline constexpr int kMaxBodyLength = 10000;

enum class CaseKind { kApplication, kCard, kFeeItem };
std::string_view CaseKindName(CaseKind kind);  // "application", "card", "fee_item"
std::optional<CaseKind> ParseCaseKind(std::string_view name);

struct CaseRef {
  CaseKind kind = CaseKind::kApplication;
  std::string id;  // the case's public id in its own area
};

enum class Sender { kCitizen, kStaff };
std::string_view SenderName(Sender sender);  // "citizen", "staff"

enum class ThreadState { kOpen, kClosed };
std::string_view ThreadStateName(ThreadState state);  // "open", "closed"

struct Message {
  std::string id;
  Sender from = Sender::kCitizen;
  std::string body;
  std::vector<AttachmentInfo> attachments;
  int64_t sent_at = 0;
  std::optional<int64_t> read_at;  // when the other side read it
  // Staff views only: who wrote a staff message (empty: the office itself,
  // such as a notice another area posted). Citizens see the department.
  std::string staff_name;
};

struct ThreadSummary {
  std::string id;
  std::string subject;
  int64_t department_id = 0;
  std::string department_name;
  int64_t municipality_id = 0;
  std::optional<CaseRef> case_ref;
  std::string case_state;  // the case's processing state as its area names it; empty for questions
  ThreadState state = ThreadState::kOpen;
  int64_t unread = 0;  // messages from the other side not yet read by the viewer
  int64_t updated_at = 0;
  int64_t created_at = 0;
  // Staff views: whom it is assigned to, and whether the citizen waits for an answer.
  std::optional<int64_t> assigned_user_id;
  std::string assigned_name;
  bool unanswered = false;
};

struct Thread {
  ThreadSummary summary;
  std::vector<Message> messages;
};

// A department a citizen may write to.
struct Addressee {
  int64_t department_id = 0;
  std::string department_name;
  std::string municipality_name;
};

// A staff member a thread may be assigned to.
struct Assignee {
  int64_t user_id = 0;
  std::string display_name;
};

enum class ThreadFilter { kAll, kOpen, kUnanswered, kMine, kClosed };
std::optional<ThreadFilter> ParseThreadFilter(std::string_view name);  // "all", "open", "unanswered", "mine", "closed"

// A document another area keeps with its case (an application's evidence):
// the message links to it by `source` and `ref`.
struct LinkedDocument {
  std::string source;  // the area's name for its documents, e.g. "application_document"
  std::string ref;     // the document's id there
  std::string name;
  std::string type;  // application/pdf, image/png, image/jpeg
  int64_t size = 0;
};
// Reads a linked document's content from its area.
using DocumentSource = std::function<Result<Document>(const std::string& ref)>;

struct MailboxOptions {
  AttachmentLimits attachments;
  int64_t retention_days = 730;  // after closing
  // What one citizen account may send in 24 hours (ResourceExhausted beyond):
  // the storage of a municipality is not anybody's to fill.
  int64_t citizen_messages_per_day = 50;
  int64_t citizen_bytes_per_day = 100 * 1024 * 1024;
};

class Mailbox {
 public:
  Mailbox(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets, MailboxOptions options,
          MailOutbox* outbox);

  // --- the citizen (their own account's threads only; NotFound otherwise) ---
  Result<std::vector<Addressee>> Addressees();
  Result<std::vector<ThreadSummary>> CitizenThreads(const CitizenSession& session);
  Result<ThreadSummary> StartQuestion(const CitizenSession& session, int64_t department_id, std::string_view subject,
                                      std::string_view body, std::vector<NewAttachment> attachments,
                                      storage::Idempotent<ThreadSummary>* idempotent = nullptr,
                                      const std::string& request_id = "");
  Result<Thread> CitizenThread(const CitizenSession& session, std::string_view thread_id);
  Result<Message> CitizenPost(const CitizenSession& session, std::string_view thread_id, std::string_view body,
                              std::vector<NewAttachment> attachments,
                              storage::Idempotent<Message>* idempotent = nullptr, const std::string& request_id = "");
  Result<Document> CitizenAttachment(const CitizenSession& session, std::string_view thread_id,
                                     std::string_view attachment_id);
  Status CitizenMarkRead(const CitizenSession& session, std::string_view thread_id);
  // Unread messages over all the account's threads (the portal's start page).
  Result<int64_t> CitizenUnread(const CitizenSession& session);

  // --- staff (threads.read / threads.write within their departments) ---
  // Audited as threads.list; `department_id` narrows to one department.
  Result<std::vector<ThreadSummary>> StaffThreads(const accounts::Actor& actor, ThreadFilter filter,
                                                  std::optional<int64_t> department_id = std::nullopt);
  // The thread without its messages (what an assignment or closing answers
  // with); not audited: it shows the actor what they just changed.
  Result<ThreadSummary> StaffSummary(const accounts::Actor& actor, std::string_view thread_id);
  // Audited as thread.read.
  Result<Thread> StaffThread(const accounts::Actor& actor, std::string_view thread_id);
  Result<Message> StaffPost(const accounts::Actor& actor, std::string_view thread_id, std::string_view body,
                            std::vector<NewAttachment> attachments,
                            storage::Idempotent<Message>* idempotent = nullptr);
  // Audited as thread.attachment.
  Result<Document> StaffAttachment(const accounts::Actor& actor, std::string_view thread_id,
                                   std::string_view attachment_id);
  Status StaffMarkRead(const accounts::Actor& actor, std::string_view thread_id);
  // `user_id`: a member of the thread's department; nullopt unassigns.
  Status Assign(const accounts::Actor& actor, std::string_view thread_id, std::optional<int64_t> user_id);
  Result<std::vector<Assignee>> Assignees(const accounts::Actor& actor, std::string_view thread_id);
  Status Close(const accounts::Actor& actor, std::string_view thread_id);
  Status Reopen(const accounts::Actor& actor, std::string_view thread_id);

  // --- other areas: the thread of a case ---
  // The case's thread, opened when there is none yet (one per case); its id.
  Result<std::string> OpenCaseThread(int64_t account, int64_t department_id, const CaseRef& case_ref,
                                     std::string_view subject, std::string_view case_state,
                                     const std::string& request_id);
  // Posts from the office (no staff member) to the case's thread, linking the
  // case's documents; notifies the citizen.
  Result<Message> PostToCase(const CaseRef& case_ref, std::string_view body, std::vector<LinkedDocument> documents,
                             const std::string& request_id);
  Status SetCaseState(const CaseRef& case_ref, std::string_view case_state, const std::string& request_id);
  // The same three within another area's write on this handle, so that the
  // case's change and its thread commit together; after the commit the
  // caller calls CaseWritten() (it wakes the mail sender).
  Result<std::string> OpenCaseThread(storage::Tx& tx, int64_t account, int64_t department_id, const CaseRef& case_ref,
                                     std::string_view subject, std::string_view case_state,
                                     const std::string& request_id);
  Result<Message> PostToCase(storage::Tx& tx, const CaseRef& case_ref, std::string_view body,
                             std::vector<LinkedDocument> documents, const std::string& request_id);
  Status SetCaseState(storage::Tx& tx, const CaseRef& case_ref, std::string_view case_state,
                      const std::string& request_id);
  void CaseWritten() const;
  void AddDocumentSource(std::string source, DocumentSource read);

  // --- retention and account deletion ---
  // Deletes threads closed more than retention_days ago; the number deleted.
  Result<int64_t> DeleteExpired();
  // Deletes every thread of the account within `tx` (account deletion).
  Result<int64_t> DeleteAccountThreads(storage::Tx& tx, int64_t account);

  struct ThreadRow;  // a thread as stored (mailbox.cpp)

 private:
  Result<ThreadRow> FindThread(storage::Tx& tx, std::string_view thread_id);
  Result<ThreadRow> CitizenThreadRow(storage::Tx& tx, const CitizenSession& session, std::string_view thread_id);
  Result<ThreadRow> StaffThreadRow(storage::Tx& tx, const accounts::Actor& actor, std::string_view thread_id,
                                   bool write);
  Result<ThreadSummary> Summarise(storage::Tx& tx, const ThreadRow& row, Sender viewer);
  Result<std::vector<Message>> Messages(storage::Tx& tx, const ThreadRow& row, bool staff_view);
  Result<Document> ReadAttachment(storage::Tx& tx, const ThreadRow& row, std::string_view attachment_id);
  Result<int64_t> DeleteThreads(storage::Tx& tx, const std::string& where, const std::vector<storage::Value>& params);
  // The message text as stored (CleanText), or InvalidArgument (field "body").
  Result<std::string> CleanBody(std::string_view body, bool may_be_empty) const;
  Status SetState(const accounts::Actor& actor, std::string_view thread_id, ThreadState state);
  // Within the citizen's write: their messages and attachment bytes of the
  // last 24 hours, with this one, within the daily limits.
  Status CheckCitizenQuota(storage::Tx& tx, int64_t account, int64_t new_bytes);

  storage::Database& db_;
  const Clock& clock_;
  const crypto::SecretBox& secrets_;
  MailboxOptions options_;
  MailOutbox* outbox_;
  std::map<std::string, DocumentSource> sources_;
};

}  // namespace passwerk::portal
