// Online applications for social passes and volunteer cards (segment
// `applications`, on the citizen side's storage handle; docs/applications.md).
//
// A citizen fills a scheme's form (forms.h) as a draft, uploads evidence,
// submits, follows the status, answers questions in the mailbox thread of the
// application, and withdraws while it is undecided. A volunteer's
// organisation confirms through a one-time link. The clerks of the scheme's
// department — and nobody else — work the queue: every read is audited; they
// approve (the card service issues the card, or renews it for a renewal),
// reject with a reason, ask for information, keep internal notes; a scheme may
// require a second clerk to confirm an approval.
//
// Answers, documents, notes and reasons are sealed with the data keys. Each
// change of status happens in one transaction with its audit entry, the
// mailbox thread's state and message, and (on approval) the card and its link
// to the citizen's account.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/actor.h"
#include "applications/forms.h"
#include "cards/cards.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/status.h"
#include "portal/attachments.h"
#include "portal/citizen_accounts.h"
#include "portal/mail_outbox.h"
#include "portal/mailbox.h"
#include "storage/database.h"
#include "storage/idempotency.h"

namespace passwerk::applications {

enum class ApplicationStatus {
  kDraft,
  kSubmitted,
  kAwaitingConfirmation,  // the organisation has not answered yet
  kInReview,
  kNeedsInformation,
  kPendingSecondApproval,
  kApproved,
  kRejected,
  kWithdrawn,
};
extern const std::vector<ApplicationStatus> kAllStatuses;
std::string_view StatusName(ApplicationStatus status);  // the JSON values: "draft", "in_review", …
std::optional<ApplicationStatus> ParseStatus(std::string_view name);
// Undecided: may still be withdrawn, decided or changed.
bool IsOpen(ApplicationStatus status);

enum class Decision { kApprove, kReject, kRequestInformation };
std::optional<Decision> ParseDecision(std::string_view name);  // "approve", "reject", "request_information"

struct DocumentInfo {
  std::string id;
  std::string field;  // the form's document field
  std::string name;
  std::string type;
  int64_t size = 0;
  int64_t uploaded_at = 0;
};

struct Note {
  std::string author;
  std::string text;
  int64_t at = 0;
};

enum class ConfirmationState { kPending, kConfirmed, kDeclined };
std::string_view ConfirmationStateName(ConfirmationState state);  // "pending", "confirmed", "declined"

struct ConfirmationInfo {
  ConfirmationState state = ConfirmationState::kPending;
  int64_t sent_at = 0;
  int64_t expires_at = 0;
  int resends = 0;
  std::string reason;  // a decline's
  std::optional<int64_t> answered_at;
};

// An event in the application's life (the status page and the clerk's view).
struct Event {
  int64_t at = 0;
  std::string kind;  // "created", "renewal_started", "submitted", "confirmed", "declined", "review_started",
                     // "information_requested", "information_provided", "first_approval", "approved",
                     // "rejected", "withdrawn"
};

struct Application {
  std::string id;         // public id
  std::string reference;  // "SP-2026-000042", from submission on
  std::string scheme;     // slug
  int64_t scheme_id = 0;  // FormVersion(scheme_id, form_version) gives its form
  std::string scheme_name;
  cards::SchemeKind kind = cards::SchemeKind::kSocialPass;
  int64_t municipality_id = 0;
  int64_t department_id = 0;
  std::string department_name;
  bool renewal = false;
  std::string renews;  // the public id of the application renewed
  ApplicationStatus status = ApplicationStatus::kDraft;
  int form_version = 0;
  nlohmann::json answers = nlohmann::json::object();
  std::vector<DocumentInfo> documents;
  std::vector<Event> events;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> submitted_at;
  std::optional<int64_t> decided_at;
  std::string reason;  // of a rejection or of a request for information
  std::string thread_id;
  std::vector<std::string> card_numbers;  // issued or renewed on approval
  std::optional<Date> valid_until;        // of the main card, once approved
  std::optional<ConfirmationInfo> confirmation;
  // Staff views only.
  std::vector<Note> notes;
  std::string first_approver;  // four eyes: who approved first
};

// What a clerk's queue row shows.
struct QueueItem {
  std::string id;
  std::string reference;
  std::string scheme;
  std::string scheme_name;
  int64_t department_id = 0;
  ApplicationStatus status = ApplicationStatus::kSubmitted;
  bool renewal = false;
  std::string applicant;  // "Erika Mustermann"
  int64_t submitted_at = 0;
  int64_t updated_at = 0;
};

struct QueueFilter {
  std::optional<ApplicationStatus> status;  // absent: every status but draft
  std::string scheme;                       // slug; empty: all
  std::optional<bool> renewal;
  std::optional<Date> from;   // submitted on or after (Europe/Berlin)
  std::optional<Date> until;  // submitted on or before
  std::optional<int64_t> department_id;
  // Submitted (not yet opened) before everything else; within each, oldest
  // submission first. Without: by submission, oldest first.
  bool unprocessed_first = true;
  int page = 1;
  int per_page = 25;
};

struct QueuePage {
  std::vector<QueueItem> items;
  int64_t total = 0;
  int page = 1;
  int per_page = 25;
};

// A card offered for renewal: it runs out within its form's reminder window.
struct RenewalOffer {
  std::string application_id;  // the application that issued it
  std::string scheme;
  std::string scheme_name;
  std::string card_number;
  Date valid_until;
  std::string draft_id;  // a renewal already begun
};

// A form a citizen may apply with.
struct FormOffer {
  std::string scheme;
  std::string scheme_name;
  cards::SchemeKind kind = cards::SchemeKind::kSocialPass;
  std::string municipality_name;
  int64_t department_id = 0;
  std::string department_name;
  int version = 0;
  std::shared_ptr<const FormDefinition> form;
};

// What the organisation's link shows: only what it confirms.
struct ConfirmationRequest {
  std::string organisation;
  std::string contact;
  std::string scheme_name;
  std::string municipality_name;
  std::vector<std::pair<const Field*, nlohmann::json>> shown;  // the form's fields and their answers
  std::shared_ptr<const FormDefinition> form;
  ConfirmationState state = ConfirmationState::kPending;
  int64_t expires_at = 0;
};

// Counts for the statistics: by status, scheme and month of submission.
struct StatisticsCell {
  std::string scheme;
  std::string month;  // "2026-12"
  ApplicationStatus status = ApplicationStatus::kSubmitted;
  std::optional<int64_t> count;  // absent: fewer than kMinimumCell, suppressed
};
inline constexpr int64_t kMinimumCell = 5;

struct RetentionReport {
  int64_t documents_deleted = 0;
  int64_t applications_deleted = 0;
};

struct ApplicationOptions {
  portal::AttachmentLimits documents{10 * 1024 * 1024, 20};  // per file; files per application
  int64_t draft_limit_per_account = 10;                      // open drafts at once
};

class ApplicationService {
 public:
  ApplicationService(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets,
                     cards::CardService& cards, portal::CitizenAccounts& citizens, portal::Mailbox& mailbox,
                     portal::MailOutbox* outbox, ApplicationOptions options);

  // --- forms ---
  // Validates the definition, checks that its scheme belongs to the
  // municipality and is of its kind, and stores it as the scheme's next
  // version (the same text again changes nothing); the version.
  Result<int> LoadForm(const accounts::Actor& actor, int64_t municipality_id, std::string_view definition);
  // The forms citizens may apply with (the latest version of each scheme's).
  Result<std::vector<FormOffer>> Offers();
  Result<FormOffer> Offer(std::string_view scheme);

  // --- the applicant (their own account's applications only; NotFound otherwise) ---
  // A draft for the scheme, prefilled from the sign-in's attributes. With
  // `renews`, a renewal of that approved application: prefilled from it.
  Result<Application> CreateDraft(const portal::CitizenSession& session, std::string_view scheme,
                                  std::string_view renews = "");
  Result<std::vector<Application>> CitizenApplications(const portal::CitizenSession& session);
  Result<Application> CitizenApplication(const portal::CitizenSession& session, std::string_view id);
  // Merges `answers` (field → value; null clears) into a draft or an
  // application that needs information. Values of the wrong type or unknown
  // fields are refused (InvalidArgument naming the field); the other problems
  // of the answers so far are returned in `problems`.
  Result<Application> UpdateAnswers(const portal::CitizenSession& session, std::string_view id,
                                    const nlohmann::json& answers, std::vector<FieldError>* problems = nullptr);
  Result<DocumentInfo> AddDocument(const portal::CitizenSession& session, std::string_view id, std::string_view field,
                                   portal::NewAttachment file, storage::Idempotent<DocumentInfo>* idempotent = nullptr);
  Status RemoveDocument(const portal::CitizenSession& session, std::string_view id, std::string_view document_id);
  Result<portal::Document> CitizenDocument(const portal::CitizenSession& session, std::string_view id,
                                           std::string_view document_id);
  // Validates completely (FailedPrecondition with every problem in `problems`),
  // assigns the reference, opens the mailbox thread, sends the organisation's
  // request when the form has one. Submitting a submitted application again
  // answers with it unchanged (a double click creates nothing twice).
  // `organisation_link`: the path sent to the organisation, when one was
  // asked (the demo prints it; it is stored only as a hash).
  Result<Application> Submit(const portal::CitizenSession& session, std::string_view id,
                             std::vector<FieldError>* problems = nullptr,
                             storage::Idempotent<Application>* idempotent = nullptr,
                             std::string* organisation_link = nullptr);
  Result<Application> Withdraw(const portal::CitizenSession& session, std::string_view id);
  // Deletes a draft (nothing was sent).
  Status DeleteDraft(const portal::CitizenSession& session, std::string_view id);
  // Sends the organisation's request again (limited by the form).
  Status ResendConfirmation(const portal::CitizenSession& session, std::string_view id,
                            std::string* organisation_link = nullptr);
  // The PDF copy of what was submitted.
  Result<std::string> ReceiptPdf(const portal::CitizenSession& session, std::string_view id, std::string_view lang);
  // The account's cards that run out soon (the portal's banner).
  Result<std::vector<RenewalOffer>> RenewalsDue(const portal::CitizenSession& session);

  // --- the organisation (a link, no account) ---
  Result<ConfirmationRequest> ConfirmationByToken(std::string_view token);
  Status AnswerConfirmation(std::string_view token, bool confirmed, std::string_view reason,
                            const std::string& request_id);

  // --- staff (applications.read / applications.decide within their departments) ---
  // Audited as applications.list.
  Result<QueuePage> Queue(const accounts::Actor& actor, const QueueFilter& filter);
  // Audited as application.read; a submitted application goes into review.
  Result<Application> StaffApplication(const accounts::Actor& actor, std::string_view id);
  // Audited as application.document.
  Result<portal::Document> StaffDocument(const accounts::Actor& actor, std::string_view id,
                                         std::string_view document_id);
  Result<Application> Decide(const accounts::Actor& actor, std::string_view id, Decision decision,
                             std::string_view reason, storage::Idempotent<Application>* idempotent = nullptr);
  Status AddNote(const accounts::Actor& actor, std::string_view id, std::string_view text);
  // The office sends the organisation a fresh link (the old one stops
  // working), outside the applicant's resend limit; the link's path.
  Result<std::string> ReissueConfirmation(const accounts::Actor& actor, std::string_view id);
  // Every application of the department as CSV (audited as applications.export).
  Result<std::string> ExportCsv(const accounts::Actor& actor, int64_t department_id);
  // Counts by scheme, month and status over the actor's departments (statistics.read).
  Result<std::vector<StatisticsCell>> Statistics(const accounts::Actor& actor);

  // --- background ---
  // Queues the renewal e-mail for cards entering their reminder window; the number queued.
  Result<int64_t> SendRenewalReminders();
  Result<RetentionReport> DeleteExpired();
  // Account deletion: withdraws the account's open applications and deletes
  // all of its applications within `tx`.
  Result<portal::DeletionFinding> DeletionParticipant(storage::Tx& tx, int64_t account, bool apply,
                                                      const std::string& request_id);
  // The mailbox reads an application's documents through this (source "application_document").
  Result<portal::Document> LinkedDocument(const std::string& ref);

  // The form of an application's version (cached).
  Result<std::shared_ptr<const FormDefinition>> FormVersion(int64_t scheme_id, int version);

 public:
  struct Row;  // a stored application (opaque outside applications.cpp)

 private:
  Result<Row> LoadOwn(storage::Tx& tx, const portal::CitizenSession& session, std::string_view id);
  Result<Row> LoadForStaff(storage::Tx& tx, const accounts::Actor& actor, std::string_view id,
                           accounts::Action action);
  Result<Application> ToApplication(storage::Tx& tx, const Row& row, bool staff);
  Result<std::string> NextReference(storage::Tx& tx, const FormDefinition& form);
  // FormVersion within a transaction of the caller.
  Result<std::shared_ptr<const FormDefinition>> FormIn(storage::Tx& tx, int64_t scheme_id, int version);
  Status Audit(storage::Tx& tx, const std::string& actor, const std::string& action, const std::string& object,
               const nlohmann::json& detail, const std::string& request_id);
  Status SetState(storage::Tx& tx, const Row& row, ApplicationStatus status, const std::string& event);
  Result<std::string> Approve(storage::Tx& tx, const accounts::Actor& actor, Row& row, const FormDefinition& form,
                              std::vector<std::string>& card_numbers);
  Date Today() const;

  storage::Database& db_;
  const Clock& clock_;
  const crypto::SecretBox& secrets_;
  cards::CardService& cards_;
  portal::CitizenAccounts& citizens_;
  portal::Mailbox& mailbox_;
  portal::MailOutbox* outbox_;
  ApplicationOptions options_;
  std::mutex forms_mutex_;
  std::map<std::pair<int64_t, int>, std::shared_ptr<const FormDefinition>> forms_;
};

}  // namespace passwerk::applications
