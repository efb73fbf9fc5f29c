// Online applications: the applicant's drafts and submissions, the
// organisation's confirmation, the clerk's queue and decisions, renewal
// reminders and retention. Everything in segment `applications` on the
// citizen side's handle; a status change, its mailbox thread and (on
// approval) the cards commit in one transaction.
#include "applications/applications.h"

#include <algorithm>
#include <cmath>

#include "accounts/accounts.h"
#include "accounts/policy.h"
#include "audit/audit_log.h"
#include "cards/card_number.h"
#include "core/csv.h"
#include "core/pdf.h"

namespace passwerk::applications {

using json = nlohmann::json;
using storage::Tx;
using storage::Value;

struct ApplicationService::Row {
  int64_t id = 0;
  std::string public_id;
  std::string reference;
  int64_t account = 0;
  int64_t scheme_id = 0;
  int form_version = 0;
  int64_t municipality_id = 0;
  int64_t department_id = 0;
  std::optional<int64_t> renews_id;
  ApplicationStatus status = ApplicationStatus::kDraft;
  std::string answers_enc;
  std::string reason_enc;
  std::string events_enc;
  std::string thread_id;
  std::optional<int64_t> first_approver_id;
  std::string card_ids;
  std::string valid_until;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> submitted_at;
  std::optional<int64_t> decided_at;
};

namespace {

constexpr std::string_view kColumns =
    "id, public_id, reference, account_id, scheme_id, form_version, municipality_id, department_id, renews_id, "
    "status, answers_enc, reason_enc, events_enc, thread_id, first_approver_id, card_ids, valid_until, created_at, "
    "updated_at, submitted_at, decided_at";
constexpr int64_t kDay = 86400;
constexpr size_t kMaxReason = 4000;
constexpr size_t kMaxNote = 4000;

struct StatusEntry {
  ApplicationStatus status;
  std::string_view name;
};
constexpr StatusEntry kStatusNames[] = {
    {ApplicationStatus::kDraft, "draft"},
    {ApplicationStatus::kSubmitted, "submitted"},
    {ApplicationStatus::kAwaitingConfirmation, "awaiting_confirmation"},
    {ApplicationStatus::kInReview, "in_review"},
    {ApplicationStatus::kNeedsInformation, "needs_information"},
    {ApplicationStatus::kPendingSecondApproval, "pending_second_approval"},
    {ApplicationStatus::kApproved, "approved"},
    {ApplicationStatus::kRejected, "rejected"},
    {ApplicationStatus::kWithdrawn, "withdrawn"},
};

std::string AnswersContext(std::string_view id) { return "applications.answers:" + std::string(id); }
std::string ApplicantContext(std::string_view id) { return "applications.applicant:" + std::string(id); }
std::string ReasonContext(std::string_view id) { return "applications.reason:" + std::string(id); }
std::string EventsContext(std::string_view id) { return "applications.events:" + std::string(id); }
std::string NoteContext(std::string_view id) { return "applications.notes:" + std::string(id); }
std::string DocNameContext(std::string_view id) { return "applications.documents.name:" + std::string(id); }
std::string DocDataContext(std::string_view id) { return "applications.documents.data:" + std::string(id); }
std::string DeclineContext(std::string_view id) { return "applications.confirmations.reason:" + std::string(id); }

std::string CitizenActor(const portal::CitizenSession& session) { return "citizen:" + session.account_id; }

portal::CaseRef CaseOf(const std::string& public_id) { return {portal::CaseKind::kApplication, public_id}; }

std::vector<int64_t> SplitIds(const std::string& text) {
  std::vector<int64_t> ids;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) ids.push_back(std::stoll(text.substr(start, end - start)));
    start = end + 1;
  }
  return ids;
}

std::string JoinIds(const std::vector<int64_t>& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

// A reason or a note: valid UTF-8, no control characters but line breaks, trimmed.
Result<std::string> CleanReason(std::string_view text, size_t max, const char* field) {
  std::string out;
  for (char c : text) {
    if (c == '\r') continue;
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
      return InvalidArgument(std::string("the ") + field + " contains characters that are not allowed", field);
    }
    out.push_back(c);
  }
  size_t begin = out.find_first_not_of(" \n\t");
  if (begin == std::string::npos) return std::string();
  out = out.substr(begin, out.find_last_not_of(" \n\t") - begin + 1);
  if (out.size() > max) return InvalidArgument(std::string("the ") + field + " is too long", field);
  return out;
}

int QueueRank(ApplicationStatus status) { return status == ApplicationStatus::kSubmitted ? 0 : 1; }

int64_t BerlinMidnight(const Date& date) {
  const int64_t utc = DaysFromCivil(date) * kDay;
  return utc - BerlinOffsetSeconds(utc);
}

std::string ApplicantName(const json& answers) {
  auto get = [&](const char* key) { return answers.contains(key) && answers.at(key).is_string() ? answers.at(key).get<std::string>() : std::string(); };
  std::string name = get("given_name");
  const std::string family = get("family_name");
  if (!family.empty()) name += (name.empty() ? "" : " ") + family;
  return name;
}

}  // namespace

const std::vector<ApplicationStatus> kAllStatuses = [] {
  std::vector<ApplicationStatus> all;
  for (const StatusEntry& s : kStatusNames) all.push_back(s.status);
  return all;
}();

std::string_view StatusName(ApplicationStatus status) {
  for (const auto& s : kStatusNames) {
    if (s.status == status) return s.name;
  }
  return "draft";
}

std::optional<ApplicationStatus> ParseStatus(std::string_view name) {
  for (const auto& s : kStatusNames) {
    if (s.name == name) return s.status;
  }
  return std::nullopt;
}

bool IsOpen(ApplicationStatus status) {
  return status != ApplicationStatus::kApproved && status != ApplicationStatus::kRejected &&
         status != ApplicationStatus::kWithdrawn;
}

std::optional<Decision> ParseDecision(std::string_view name) {
  if (name == "approve") return Decision::kApprove;
  if (name == "reject") return Decision::kReject;
  if (name == "request_information") return Decision::kRequestInformation;
  return std::nullopt;
}

std::string_view ConfirmationStateName(ConfirmationState state) {
  switch (state) {
    case ConfirmationState::kPending:
      return "pending";
    case ConfirmationState::kConfirmed:
      return "confirmed";
    case ConfirmationState::kDeclined:
      return "declined";
  }
  return "pending";
}

namespace {
ConfirmationState ParseConfirmationState(const std::string& text) {
  if (text == "confirmed") return ConfirmationState::kConfirmed;
  if (text == "declined") return ConfirmationState::kDeclined;
  return ConfirmationState::kPending;
}
}  // namespace

ApplicationService::ApplicationService(storage::Database& db, const Clock& clock, const crypto::SecretBox& secrets,
                                       cards::CardService& cards, portal::CitizenAccounts& citizens,
                                       portal::Mailbox& mailbox, portal::MailOutbox* outbox,
                                       ApplicationOptions options)
    : db_(db),
      clock_(clock),
      secrets_(secrets),
      cards_(cards),
      citizens_(citizens),
      mailbox_(mailbox),
      outbox_(outbox),
      options_(options) {}

Date ApplicationService::Today() const { return BerlinDate(clock_.NowUnix()); }

Status ApplicationService::Audit(Tx& tx, const std::string& actor, const std::string& action,
                                 const std::string& object, const json& detail, const std::string& request_id) {
  auto seq = audit::Append(tx, clock_, {actor, action, object, detail.dump(), request_id});
  return seq.ok() ? Status::Ok() : seq.status();
}

// --- forms ---

Result<int> ApplicationService::LoadForm(const accounts::Actor& actor, int64_t municipality_id,
                                         std::string_view definition) {
  PW_ASSIGN_OR_RETURN(FormDefinition form, ParseForm(definition));
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kManageSchemes,
                                       accounts::Resource::InMunicipality(municipality_id)));
  PW_ASSIGN_OR_RETURN(cards::Scheme scheme, cards_.FindScheme(form.scheme));
  if (scheme.municipality_id != municipality_id) {
    return InvalidArgument("the scheme \"" + form.scheme + "\" belongs to another municipality", "scheme");
  }
  if (scheme.kind != form.kind) return InvalidArgument("the form's kind is not the scheme's kind", "kind");
  const std::string text(definition);
  const std::string digest = crypto::Sha256Hex(text);
  int version = 0;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto latest, tx.Query("SELECT version, digest FROM applications.forms WHERE scheme_id = $1 "
                                              "ORDER BY version DESC LIMIT 1",
                                              {scheme.id}));
    if (!latest.empty() && latest[0].Text(1) == digest) {
      version = static_cast<int>(latest[0].Int(0));
      return Status::Ok();
    }
    version = latest.empty() ? 1 : static_cast<int>(latest[0].Int(0)) + 1;
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO applications.forms (scheme_id, version, definition, digest, loaded_at) "
                               "VALUES ($1, $2, $3, $4, $5)",
                               {scheme.id, int64_t{version}, text, digest, clock_.NowUnix()})
                           .status());
    return accounts::AuditAs(tx, clock_, actor, "form.load", "scheme:" + scheme.slug,
                             {{"version", version}, {"digest", digest}});
  });
  if (!done.ok()) return done;
  return version;
}

Result<std::shared_ptr<const FormDefinition>> ApplicationService::FormVersion(int64_t scheme_id, int version) {
  std::shared_ptr<const FormDefinition> form;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(form, FormIn(tx, scheme_id, version));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return form;
}

Result<std::shared_ptr<const FormDefinition>> ApplicationService::FormIn(Tx& tx, int64_t scheme_id, int version) {
  {
    std::lock_guard lock(forms_mutex_);
    auto it = forms_.find({scheme_id, version});
    if (it != forms_.end()) return it->second;
  }
  // Within the caller's transaction: a second connection could wait forever
  // for the one this transaction holds (a pool of one, or an exhausted pool).
  PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT definition FROM applications.forms WHERE scheme_id = $1 AND "
                                          "version = $2",
                                          {scheme_id, int64_t{version}}));
  if (rows.empty()) return NotFound("no such form");
  const std::string text = rows[0].Text(0);
  PW_ASSIGN_OR_RETURN(FormDefinition form, ParseForm(text));
  auto shared = std::make_shared<const FormDefinition>(std::move(form));
  std::lock_guard lock(forms_mutex_);
  forms_[{scheme_id, version}] = shared;
  return std::shared_ptr<const FormDefinition>(shared);
}

Result<std::vector<FormOffer>> ApplicationService::Offers() {
  std::vector<FormOffer> offers;
  std::vector<std::pair<int64_t, int>> versions;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows,
                        tx.Query("SELECT f.scheme_id, f.version, s.slug, s.name, s.kind, s.department_id, d.name, "
                                 "m.name FROM applications.forms f JOIN core.schemes s ON s.id = f.scheme_id "
                                 "JOIN core.departments d ON d.id = s.department_id "
                                 "JOIN core.municipalities m ON m.id = s.municipality_id "
                                 "WHERE f.version = (SELECT MAX(g.version) FROM applications.forms g "
                                 "WHERE g.scheme_id = f.scheme_id) ORDER BY m.name, s.name"));
    for (const storage::Row& r : rows) {
      FormOffer offer;
      offer.scheme = r.Text(2);
      offer.scheme_name = r.Text(3);
      offer.kind = cards::ParseSchemeKind(r.Text(4)).value_or(cards::SchemeKind::kSocialPass);
      offer.department_id = r.OptInt(5).value_or(0);
      offer.department_name = r.Text(6);
      offer.municipality_name = r.Text(7);
      offer.version = static_cast<int>(r.Int(1));
      versions.emplace_back(r.Int(0), offer.version);
      offers.push_back(std::move(offer));
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  for (size_t i = 0; i < offers.size(); ++i) {
    PW_ASSIGN_OR_RETURN(offers[i].form, FormVersion(versions[i].first, versions[i].second));
  }
  return offers;
}

Result<FormOffer> ApplicationService::Offer(std::string_view scheme) {
  PW_ASSIGN_OR_RETURN(auto offers, Offers());
  for (FormOffer& offer : offers) {
    if (offer.scheme == scheme) return std::move(offer);
  }
  return NotFound("there is no application form for this scheme", "scheme");
}

// --- rows ---

namespace {

ApplicationService::Row ToRow(const storage::Row& r) {
  ApplicationService::Row row;
  row.id = r.Int(0);
  row.public_id = r.Text(1);
  row.reference = r.Text(2);
  row.account = r.Int(3);
  row.scheme_id = r.Int(4);
  row.form_version = static_cast<int>(r.Int(5));
  row.municipality_id = r.Int(6);
  row.department_id = r.Int(7);
  row.renews_id = r.OptInt(8);
  row.status = ParseStatus(r.Text(9)).value_or(ApplicationStatus::kDraft);
  row.answers_enc = r.Text(10);
  row.reason_enc = r.Text(11);
  row.events_enc = r.Text(12);
  row.thread_id = r.Text(13);
  row.first_approver_id = r.OptInt(14);
  row.card_ids = r.Text(15);
  row.valid_until = r.Text(16);
  row.created_at = r.Int(17);
  row.updated_at = r.Int(18);
  row.submitted_at = r.OptInt(19);
  row.decided_at = r.OptInt(20);
  return row;
}

}  // namespace

namespace {

constexpr std::string_view kSelect = "SELECT ";

std::string SelectApplications(std::string_view where) {
  return std::string(kSelect) + std::string(kColumns) + " FROM applications.applications WHERE " + std::string(where);
}

}  // namespace

Result<ApplicationService::Row> ApplicationService::LoadOwn(Tx& tx, const portal::CitizenSession& session,
                                                            std::string_view id) {
  if (id.empty() || id.size() > 64) return NotFound("no such application");
  PW_ASSIGN_OR_RETURN(auto rows, tx.Query(SelectApplications("public_id = $1 AND account_id = $2"),
                                          {std::string(id), session.account}));
  if (rows.empty()) return NotFound("no such application");
  return ToRow(rows[0]);
}

Result<ApplicationService::Row> ApplicationService::LoadForStaff(Tx& tx, const accounts::Actor& actor,
                                                                 std::string_view id, accounts::Action action) {
  if (id.empty() || id.size() > 64) return NotFound("no such application");
  PW_ASSIGN_OR_RETURN(auto rows,
                      tx.Query(SelectApplications("public_id = $1 AND status <> 'draft'"), {std::string(id)}));
  if (rows.empty()) return NotFound("no such application");
  Row row = ToRow(rows[0]);
  // Staff of other departments learn nothing, not even that it exists.
  Status allowed =
      accounts::Require(actor, action, accounts::Resource::InDepartment(row.municipality_id, row.department_id));
  if (allowed.code() == ErrorCode::kPermissionDenied) {
    // A token without the scope hears which scope is missing.
    if (accounts::LacksScope(actor, action)) return allowed;
    return NotFound("no such application");
  }
  PW_RETURN_IF_ERROR(allowed);
  return row;
}

Result<Application> ApplicationService::ToApplication(Tx& tx, const Row& row, bool staff) {
  Application a;
  a.id = row.public_id;
  a.reference = row.reference;
  a.scheme_id = row.scheme_id;
  a.municipality_id = row.municipality_id;
  a.department_id = row.department_id;
  a.renewal = row.renews_id.has_value();
  a.status = row.status;
  a.form_version = row.form_version;
  a.created_at = row.created_at;
  a.updated_at = row.updated_at;
  a.submitted_at = row.submitted_at;
  a.decided_at = row.decided_at;
  a.thread_id = row.thread_id;
  if (!row.valid_until.empty()) a.valid_until = ParseIsoDate(row.valid_until);
  PW_ASSIGN_OR_RETURN(auto scheme, tx.QueryOne("SELECT s.slug, s.name, s.kind, d.name FROM core.schemes s JOIN "
                                               "core.departments d ON d.id = $2 WHERE s.id = $1",
                                               {row.scheme_id, row.department_id}));
  a.scheme = scheme.Text(0);
  a.scheme_name = scheme.Text(1);
  a.kind = cards::ParseSchemeKind(scheme.Text(2)).value_or(cards::SchemeKind::kSocialPass);
  a.department_name = scheme.Text(3);
  PW_ASSIGN_OR_RETURN(std::string answers, secrets_.Decrypt(row.answers_enc, AnswersContext(row.public_id)));
  a.answers = json::parse(answers, nullptr, false);
  if (!a.answers.is_object()) return Internal("stored answers are not a JSON object");
  if (!row.reason_enc.empty()) {
    PW_ASSIGN_OR_RETURN(a.reason, secrets_.Decrypt(row.reason_enc, ReasonContext(row.public_id)));
  }
  PW_ASSIGN_OR_RETURN(std::string events, secrets_.Decrypt(row.events_enc, EventsContext(row.public_id)));
  for (const json& e : json::parse(events, nullptr, false)) {
    if (e.is_object()) a.events.push_back({e.value("at", int64_t{0}), e.value("kind", std::string())});
  }
  if (row.renews_id) {
    PW_ASSIGN_OR_RETURN(auto renewed, tx.Query("SELECT public_id FROM applications.applications WHERE id = $1",
                                               {*row.renews_id}));
    if (!renewed.empty()) a.renews = renewed[0].Text(0);
  }
  PW_ASSIGN_OR_RETURN(auto docs, tx.Query("SELECT public_id, field, name_enc, content_type, size, uploaded_at FROM "
                                          "applications.documents WHERE application_id = $1 ORDER BY id",
                                          {row.id}));
  for (const storage::Row& d : docs) {
    DocumentInfo info;
    info.id = d.Text(0);
    info.field = d.Text(1);
    PW_ASSIGN_OR_RETURN(info.name, secrets_.Decrypt(d.Text(2), DocNameContext(info.id)));
    info.type = d.Text(3);
    info.size = d.Int(4);
    info.uploaded_at = d.Int(5);
    a.documents.push_back(std::move(info));
  }
  if (!row.card_ids.empty()) {
    for (int64_t card_id : SplitIds(row.card_ids)) {
      PW_ASSIGN_OR_RETURN(auto card, tx.Query("SELECT card_number FROM cards.cards WHERE id = $1", {card_id}));
      if (!card.empty()) a.card_numbers.push_back(card[0].Text(0));
    }
  }
  PW_ASSIGN_OR_RETURN(auto confirmation,
                      tx.Query("SELECT state, sent_at, expires_at, resends, reason_enc, answered_at FROM "
                               "applications.confirmations WHERE application_id = $1",
                               {row.id}));
  if (!confirmation.empty()) {
    const storage::Row& c = confirmation[0];
    ConfirmationInfo info;
    info.state = ParseConfirmationState(c.Text(0));
    info.sent_at = c.Int(1);
    info.expires_at = c.Int(2);
    info.resends = static_cast<int>(c.Int(3));
    if (!c.IsNull(4)) {
      PW_ASSIGN_OR_RETURN(info.reason, secrets_.Decrypt(c.Text(4), DeclineContext(row.public_id)));
    }
    info.answered_at = c.OptInt(5);
    a.confirmation = info;
  }
  if (staff) {
    PW_ASSIGN_OR_RETURN(auto notes, tx.Query("SELECT n.body_enc, n.created_at, u.display_name FROM "
                                             "applications.notes n LEFT JOIN core.users u ON u.id = n.user_id "
                                             "WHERE n.application_id = $1 ORDER BY n.id",
                                             {row.id}));
    for (const storage::Row& n : notes) {
      PW_ASSIGN_OR_RETURN(std::string text, secrets_.Decrypt(n.Text(0), NoteContext(row.public_id)));
      a.notes.push_back({n.Text(2), std::move(text), n.Int(1)});
    }
    if (row.first_approver_id) {
      PW_ASSIGN_OR_RETURN(auto user, tx.Query("SELECT display_name FROM core.users WHERE id = $1",
                                              {*row.first_approver_id}));
      if (!user.empty()) a.first_approver = user[0].Text(0);
    }
  }
  return a;
}

Status ApplicationService::SetState(Tx& tx, const Row& row, ApplicationStatus status, const std::string& event) {
  PW_ASSIGN_OR_RETURN(std::string events_text, secrets_.Decrypt(row.events_enc, EventsContext(row.public_id)));
  json events = json::parse(events_text, nullptr, false);
  if (!events.is_array()) events = json::array();
  const int64_t now = clock_.NowUnix();
  events.push_back({{"at", now}, {"kind", event}});
  // The status it had when read: a concurrent change (two clerks, a
  // withdrawal meanwhile) makes this one fail instead of overwriting it.
  PW_ASSIGN_OR_RETURN(int64_t changed,
                      tx.Exec("UPDATE applications.applications SET status = $1, queue_rank = $2, events_enc = $3, "
                              "updated_at = $4 WHERE id = $5 AND status = $6",
                              {std::string(StatusName(status)), int64_t{QueueRank(status)},
                               storage::Blob{secrets_.Encrypt(events.dump(), EventsContext(row.public_id))}, now,
                               row.id, std::string(StatusName(row.status))}));
  if (changed != 1) return FailedPrecondition("the application was changed meanwhile; reload it");
  if (!row.thread_id.empty()) {
    PW_RETURN_IF_ERROR(mailbox_.SetCaseState(tx, CaseOf(row.public_id), StatusName(status), "applications"));
  }
  return Status::Ok();
}

Result<std::string> ApplicationService::NextReference(Tx& tx, const FormDefinition& form) {
  const int64_t year = Today().year;
  PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO applications.references_issued (prefix, year, last_number) VALUES ($1, $2, "
                             "0) ON CONFLICT (prefix, year) DO NOTHING",
                             {form.reference_prefix, year})
                         .status());
  PW_ASSIGN_OR_RETURN(auto row, tx.QueryOne("UPDATE applications.references_issued SET last_number = last_number + 1 "
                                            "WHERE prefix = $1 AND year = $2 RETURNING last_number",
                                            {form.reference_prefix, year}));
  std::string number = std::to_string(row.Int(0));
  if (number.size() < 6) number.insert(0, 6 - number.size(), '0');
  return form.reference_prefix + "-" + std::to_string(year) + "-" + number;
}

// --- the applicant ---

Result<Application> ApplicationService::CreateDraft(const portal::CitizenSession& session, std::string_view scheme,
                                                    std::string_view renews) {
  PW_ASSIGN_OR_RETURN(FormOffer offer, Offer(scheme));
  if (session.assurance < offer.form->assurance) {
    return PermissionDenied("this application needs a sign-in at the level \"" +
                            std::string(accounts::AssuranceName(offer.form->assurance)) + "\"");
  }
  PW_ASSIGN_OR_RETURN(cards::Scheme card_scheme, cards_.FindScheme(offer.scheme));
  const FormDefinition& form = *offer.form;
  json answers = json::object();
  if (auto attributes = citizens_.SessionAttributes(session)) {
    for (const Field* f : form.Fields()) {
      std::string value;
      switch (f->prefill) {
        case Prefill::kGivenName:
          value = attributes->given_name;
          break;
        case Prefill::kFamilyName:
          value = attributes->family_name;
          break;
        case Prefill::kBirthDate:
          value = ParseIsoDate(attributes->birth_date) ? attributes->birth_date : "";
          break;
        case Prefill::kStreet:
          value = attributes->street;
          break;
        case Prefill::kPostalCode:
          value = attributes->postal_code;
          break;
        case Prefill::kCity:
          value = attributes->locality;
          break;
        case Prefill::kEmail:
          value = attributes->email;
          break;
        case Prefill::kNone:
          break;
      }
      if (!value.empty()) answers[f->id] = value;
    }
  }
  const std::string public_id = crypto::RandomToken(12);
  const int64_t now = clock_.NowUnix();
  Application created;
  Status done = db_.Write([&](Tx& tx) -> Status {
    std::optional<int64_t> renews_id;
    if (!renews.empty()) {
      PW_ASSIGN_OR_RETURN(Row previous, LoadOwn(tx, session, renews));
      if (previous.status != ApplicationStatus::kApproved || previous.scheme_id != card_scheme.id) {
        return FailedPrecondition("only an approved application of this scheme is renewed", "renews");
      }
      PW_ASSIGN_OR_RETURN(auto open, tx.Query("SELECT public_id FROM applications.applications WHERE renews_id = $1 "
                                              "AND status NOT IN ('approved', 'rejected', 'withdrawn')",
                                              {previous.id}));
      if (!open.empty()) return AlreadyExists("a renewal of this application is already under way", "renews");
      PW_ASSIGN_OR_RETURN(std::string before, secrets_.Decrypt(previous.answers_enc, AnswersContext(previous.public_id)));
      // The last answers, then what the sign-in knows now (an address may have changed).
      json merged = json::parse(before, nullptr, false);
      if (!merged.is_object()) merged = json::object();
      for (const auto& [key, value] : answers.items()) {
        const Field* f = form.FindField(key);
        if (f != nullptr && !f->keep_on_renewal) merged[key] = value;
      }
      answers = CleanAnswers(form, merged);
      renews_id = previous.id;
    }
    PW_ASSIGN_OR_RETURN(auto drafts, tx.Query("SELECT COUNT(*) FROM applications.applications WHERE account_id = $1 "
                                              "AND status = 'draft'",
                                              {session.account}));
    if (drafts[0].Int(0) >= options_.draft_limit_per_account) {
      return ResourceExhausted("finish or delete one of your drafts first");
    }
    json events = json::array({{{"at", now}, {"kind", renews_id ? "renewal_started" : "created"}}});
    PW_ASSIGN_OR_RETURN(
        auto row,
        tx.QueryOne("INSERT INTO applications.applications (public_id, reference, account_id, scheme_id, form_version, "
                    "municipality_id, department_id, renews_id, status, queue_rank, answers_enc, applicant_enc, "
                    "reason_enc, events_enc, thread_id, first_approver_id, card_ids, valid_until, reminded_at, "
                    "created_at, updated_at, submitted_at, decided_at, documents_deleted_at) VALUES ($1, NULL, $2, $3, "
                    "$4, $5, $6, $7, 'draft', 1, $8, NULL, NULL, $9, NULL, NULL, NULL, NULL, NULL, $10, $10, NULL, "
                    "NULL, NULL) RETURNING " +
                        std::string(kColumns),
                    {public_id, session.account, card_scheme.id, int64_t{offer.version}, card_scheme.municipality_id,
                     card_scheme.department_id, renews_id ? Value(*renews_id) : Value(),
                     storage::Blob{secrets_.Encrypt(answers.dump(), AnswersContext(public_id))},
                     storage::Blob{secrets_.Encrypt(events.dump(), EventsContext(public_id))}, now}));
    PW_ASSIGN_OR_RETURN(created, ToApplication(tx, ToRow(row), false));
    return Audit(tx, CitizenActor(session), "application.create", "application:" + public_id,
                 {{"scheme", offer.scheme}, {"renewal", renews_id.has_value()}}, "");
  });
  if (!done.ok()) return done;
  return created;
}

Result<std::vector<Application>> ApplicationService::CitizenApplications(const portal::CitizenSession& session) {
  std::vector<Application> out;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query(SelectApplications("account_id = $1 ORDER BY updated_at DESC, id DESC "
                                                               "LIMIT 200"),
                                            {session.account}));
    for (const storage::Row& r : rows) {
      PW_ASSIGN_OR_RETURN(Application a, ToApplication(tx, ToRow(r), false));
      out.push_back(std::move(a));
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return out;
}

Result<Application> ApplicationService::CitizenApplication(const portal::CitizenSession& session,
                                                           std::string_view id) {
  Application a;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
    PW_ASSIGN_OR_RETURN(a, ToApplication(tx, row, false));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return a;
}

namespace {
bool Editable(ApplicationStatus status) {
  return status == ApplicationStatus::kDraft || status == ApplicationStatus::kNeedsInformation;
}

std::set<std::string> DocumentFields(const Application& a) {
  std::set<std::string> fields;
  for (const DocumentInfo& d : a.documents) fields.insert(d.field);
  return fields;
}
}  // namespace

Result<Application> ApplicationService::UpdateAnswers(const portal::CitizenSession& session, std::string_view id,
                                                      const json& answers, std::vector<FieldError>* problems) {
  if (!answers.is_object()) return InvalidArgument("answers must be an object of field ids and values", "answers");
  Application updated;
  std::vector<FieldError> found;
  Status done = db_.Write([&](Tx& tx) -> Status {
    found.clear();
    PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
    if (!Editable(row.status)) {
      return FailedPrecondition("the application was sent and cannot be changed now", "status");
    }
    PW_ASSIGN_OR_RETURN(auto form, FormIn(tx, row.scheme_id, row.form_version));
    PW_ASSIGN_OR_RETURN(std::string before, secrets_.Decrypt(row.answers_enc, AnswersContext(row.public_id)));
    json merged = json::parse(before, nullptr, false);
    if (!merged.is_object()) merged = json::object();
    for (const auto& [key, value] : answers.items()) {
      const Field* f = form->FindField(key);
      if (f == nullptr) return InvalidArgument("\"" + key + "\" is not a field of this form", key);
      if (f->type == FieldType::kDocument) return InvalidArgument("documents are uploaded, not answered", key);
      if (row.renews_id && f->keep_on_renewal) {
        return InvalidArgument("a renewal keeps \"" + key + "\" from the last application", key);
      }
      if (value.is_null()) {
        merged.erase(key);
      } else {
        merged[key] = value;
      }
    }
    // Type errors are refused: what is stored is always of the form's types.
    for (const FieldError& e : ValidateAnswers(*form, merged, {}, Today(), false)) {
      // A string is the type of text, date and choice answers only.
      const Field* f = form->FindField(e.field);
      const bool string_type = f != nullptr && f->type != FieldType::kInteger && f->type != FieldType::kBoolean &&
                               f->type != FieldType::kPersons;
      if (e.code == "invalid" && answers.contains(e.field) && (!answers.at(e.field).is_string() || !string_type)) {
        return InvalidArgument(e.field + " " + e.message, e.field);
      }
      found.push_back(e);
    }
    const json clean = CleanAnswers(*form, merged);
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET answers_enc = $1, updated_at = $2 WHERE id = $3",
                               {storage::Blob{secrets_.Encrypt(clean.dump(), AnswersContext(row.public_id))},
                                clock_.NowUnix(), row.id})
                           .status());
    row.answers_enc = secrets_.Encrypt(clean.dump(), AnswersContext(row.public_id));
    PW_ASSIGN_OR_RETURN(updated, ToApplication(tx, row, false));
    return Status::Ok();
  });
  if (!done.ok()) return done;
  if (problems != nullptr) *problems = std::move(found);
  return updated;
}

Result<DocumentInfo> ApplicationService::AddDocument(const portal::CitizenSession& session, std::string_view id,
                                                     std::string_view field, portal::NewAttachment file,
                                                     storage::Idempotent<DocumentInfo>* idempotent) {
  PW_ASSIGN_OR_RETURN(auto types, portal::CheckAttachments({file}, {options_.documents.max_bytes, 1}));
  DocumentInfo info;
  info.id = crypto::RandomToken(12);
  info.field = std::string(field);
  info.type = types.at(0);
  info.name = portal::CleanFileName(file.name, info.type);
  info.size = static_cast<int64_t>(file.data.size());
  info.uploaded_at = clock_.NowUnix();
  const std::string name_enc = secrets_.Encrypt(info.name, DocNameContext(info.id));
  const std::string data_enc = secrets_.Encrypt(file.data, DocDataContext(info.id));
  file.data.clear();
  Status done = storage::WriteIdempotently(
      db_, idempotent, {storage::Segment::kApplications, &secrets_}, info, [&](Tx& tx) -> Status {
        PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
        if (!Editable(row.status)) {
          return FailedPrecondition("documents are added to a draft or when the office asks for them", "status");
        }
        PW_ASSIGN_OR_RETURN(auto form, FormIn(tx, row.scheme_id, row.form_version));
        const Field* f = form->FindField(field);
        if (f == nullptr || f->type != FieldType::kDocument) {
          return InvalidArgument("\"" + std::string(field) + "\" is not a document of this form", "field");
        }
        PW_ASSIGN_OR_RETURN(auto count, tx.Query("SELECT COUNT(*) FROM applications.documents WHERE "
                                                 "application_id = $1",
                                                 {row.id}));
        if (count[0].Int(0) >= options_.documents.max_count) {
          return ResourceExhausted("an application holds at most " + std::to_string(options_.documents.max_count) +
                                   " documents");
        }
        PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO applications.documents (public_id, application_id, field, name_enc, "
                                   "content_type, size, data_enc, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                   {info.id, row.id, info.field, storage::Blob{name_enc}, info.type, info.size,
                                    storage::Blob{data_enc}, info.uploaded_at})
                               .status());
        PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET updated_at = $1 WHERE id = $2",
                                   {info.uploaded_at, row.id})
                               .status());
        return Audit(tx, CitizenActor(session), "application.document_add", "application:" + row.public_id,
                     {{"document", info.id}, {"field", info.field}, {"size", info.size}}, "");
      });
  if (!done.ok()) return done;
  return info;
}

Status ApplicationService::RemoveDocument(const portal::CitizenSession& session, std::string_view id,
                                          std::string_view document_id) {
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
    if (!Editable(row.status)) return FailedPrecondition("the documents of a sent application stay with it", "status");
    PW_ASSIGN_OR_RETURN(int64_t deleted, tx.Exec("DELETE FROM applications.documents WHERE application_id = $1 AND "
                                                 "public_id = $2",
                                                 {row.id, std::string(document_id)}));
    if (deleted == 0) return NotFound("no such document");
    return Audit(tx, CitizenActor(session), "application.document_remove", "application:" + row.public_id,
                 {{"document", std::string(document_id)}}, "");
  });
}

namespace {
Result<portal::Document> ReadDocument(Tx& tx, const crypto::SecretBox& secrets, int64_t application,
                                      std::string_view document_id) {
  PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT name_enc, content_type, data_enc FROM applications.documents "
                                          "WHERE application_id = $1 AND public_id = $2",
                                          {application, std::string(document_id)}));
  if (rows.empty()) return NotFound("no such document");
  portal::Document doc;
  PW_ASSIGN_OR_RETURN(doc.name, secrets.Decrypt(rows[0].Text(0), DocNameContext(document_id)));
  doc.type = rows[0].Text(1);
  PW_ASSIGN_OR_RETURN(doc.data, secrets.Decrypt(rows[0].Text(2), DocDataContext(document_id)));
  return doc;
}
}  // namespace

Result<portal::Document> ApplicationService::CitizenDocument(const portal::CitizenSession& session,
                                                             std::string_view id, std::string_view document_id) {
  portal::Document doc;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
    PW_ASSIGN_OR_RETURN(doc, ReadDocument(tx, secrets_, row.id, document_id));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return doc;
}

Result<portal::Document> ApplicationService::LinkedDocument(const std::string& ref) {
  portal::Document doc;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT application_id FROM applications.documents WHERE public_id = $1",
                                            {ref}));
    if (rows.empty()) return NotFound("the document was deleted with its application's retention");
    PW_ASSIGN_OR_RETURN(doc, ReadDocument(tx, secrets_, rows[0].Int(0), ref));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return doc;
}

namespace {
// The organisation's one-time link: its token, and the path that carries it.
struct OrganisationToken {
  std::string token;
  std::string hash;
  std::string path;
};
OrganisationToken NewOrganisationToken() {
  OrganisationToken t;
  t.token = crypto::RandomToken(24);
  t.hash = crypto::Sha256Hex(t.token);
  t.path = "/portal/organisation/confirm?token=" + t.token;
  return t;
}

std::string AnswerText(const json& answers, const std::string& field) {
  if (!answers.contains(field)) return "";
  const json& v = answers.at(field);
  return v.is_string() ? v.get<std::string>() : v.dump();
}
}  // namespace

Result<Application> ApplicationService::Submit(const portal::CitizenSession& session, std::string_view id,
                                               std::vector<FieldError>* problems,
                                               storage::Idempotent<Application>* idempotent,
                                               std::string* organisation_link) {
  Application submitted;
  std::vector<FieldError> found;
  OrganisationToken token = NewOrganisationToken();
  bool asked_organisation = false;
  Status done = storage::WriteIdempotently(
      db_, idempotent, {storage::Segment::kApplications, &secrets_}, submitted, [&](Tx& tx) -> Status {
        found.clear();
        asked_organisation = false;
        PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
        if (!Editable(row.status)) {
          if (row.status == ApplicationStatus::kWithdrawn) return FailedPrecondition("the application was withdrawn");
          if (!IsOpen(row.status)) return FailedPrecondition("the application is already decided");
          // Sent already (a double click, a retry): the application as it is.
          PW_ASSIGN_OR_RETURN(submitted, ToApplication(tx, row, false));
          return Status::Ok();
        }
        PW_ASSIGN_OR_RETURN(auto form, FormIn(tx, row.scheme_id, row.form_version));
        if (session.assurance < form->assurance) {
          return PermissionDenied("this application needs a sign-in at the level \"" +
                                  std::string(accounts::AssuranceName(form->assurance)) + "\"");
        }
        PW_ASSIGN_OR_RETURN(Application current, ToApplication(tx, row, false));
        found = ValidateAnswers(*form, current.answers, DocumentFields(current), Today(), true);
        if (!found.empty()) {
          return FailedPrecondition("the application is not complete: " + found.front().field + " " +
                                        found.front().message,
                                    found.front().field);
        }
        const int64_t now = clock_.NowUnix();
        if (row.status == ApplicationStatus::kNeedsInformation) {
          // The applicant answered the office's question.
          PW_RETURN_IF_ERROR(SetState(tx, row, ApplicationStatus::kInReview, "information_provided"));
          PW_RETURN_IF_ERROR(Audit(tx, CitizenActor(session), "application.resubmit", "application:" + row.public_id,
                                   json::object(), ""));
          PW_ASSIGN_OR_RETURN(auto reread, tx.QueryOne(SelectApplications("id = $1"), {row.id}));
          PW_ASSIGN_OR_RETURN(submitted, ToApplication(tx, ToRow(reread), false));
          return Status::Ok();
        }
        PW_ASSIGN_OR_RETURN(std::string reference, NextReference(tx, *form));
        const bool organisation = form->organisation && Visible(*form, Field{.when = form->organisation->when},
                                                                 current.answers);
        ApplicationStatus next = organisation ? ApplicationStatus::kAwaitingConfirmation
                                              : ApplicationStatus::kSubmitted;
        const std::string applicant = ApplicantName(current.answers);
        PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET reference = $1, submitted_at = $2, "
                                   "applicant_enc = $3 WHERE id = $4",
                                   {reference, now,
                                    storage::Blob{secrets_.Encrypt(applicant, ApplicantContext(row.public_id))},
                                    row.id})
                               .status());
        PW_ASSIGN_OR_RETURN(
            std::string thread,
            mailbox_.OpenCaseThread(tx, row.account, row.department_id, CaseOf(row.public_id),
                                    "Antrag " + reference + ": " + current.scheme_name, StatusName(next), ""));
        PW_RETURN_IF_ERROR(
            tx.Exec("UPDATE applications.applications SET thread_id = $1 WHERE id = $2", {thread, row.id}).status());
        row.thread_id = thread;
        row.reference = reference;
        PW_RETURN_IF_ERROR(SetState(tx, row, next, "submitted"));
        if (organisation) {
          const OrganisationStep& org = *form->organisation;
          PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO applications.confirmations (application_id, token_hash, state, "
                                     "sent_at, expires_at, resends, reason_enc, answered_at) VALUES ($1, $2, "
                                     "'pending', $3, $4, 0, NULL, NULL)",
                                     {row.id, token.hash, now, now + int64_t{org.valid_days} * kDay})
                                 .status());
          if (outbox_ != nullptr) {
            PW_RETURN_IF_ERROR(outbox_->QueueOrganisationRequest(tx, AnswerText(current.answers, org.email_field),
                                                                 token.path, org.valid_days));
          }
          asked_organisation = true;
        }
        PW_ASSIGN_OR_RETURN(
            auto posted,
            mailbox_.PostToCase(
                tx, CaseOf(row.public_id),
                "Ihr Antrag " + reference + " ist eingegangen. Den Stand sehen Sie jederzeit unter „Meine Anträge“." +
                    (organisation ? " Die von Ihnen genannte Organisation wurde gebeten, Ihr Engagement zu bestätigen."
                                  : "") +
                    "\n\nYour application " + reference +
                    " has been received. You can follow it under \"My applications\" at any time." +
                    (organisation ? " The organisation you named has been asked to confirm your engagement." : ""),
                {}, ""));
        (void)posted;
        PW_RETURN_IF_ERROR(Audit(tx, CitizenActor(session), "application.submit", "application:" + row.public_id,
                                 {{"reference", reference}, {"status", StatusName(next)}}, ""));
        PW_ASSIGN_OR_RETURN(auto reread, tx.QueryOne(SelectApplications("id = $1"), {row.id}));
        PW_ASSIGN_OR_RETURN(submitted, ToApplication(tx, ToRow(reread), false));
        return Status::Ok();
      });
  if (problems != nullptr) *problems = found;
  if (!done.ok()) return done;
  mailbox_.CaseWritten();
  if (asked_organisation && organisation_link != nullptr) *organisation_link = token.path;
  return submitted;
}

Result<Application> ApplicationService::Withdraw(const portal::CitizenSession& session, std::string_view id) {
  Application withdrawn;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
    if (row.status == ApplicationStatus::kWithdrawn) return FailedPrecondition("the application is already withdrawn");
    if (!IsOpen(row.status)) return FailedPrecondition("a decided application cannot be withdrawn");
    PW_RETURN_IF_ERROR(SetState(tx, row, ApplicationStatus::kWithdrawn, "withdrawn"));
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET decided_at = $1 WHERE id = $2",
                               {clock_.NowUnix(), row.id})
                           .status());
    PW_RETURN_IF_ERROR(Audit(tx, CitizenActor(session), "application.withdraw", "application:" + row.public_id,
                             json::object(), ""));
    PW_ASSIGN_OR_RETURN(auto reread, tx.QueryOne(SelectApplications("id = $1"), {row.id}));
    PW_ASSIGN_OR_RETURN(withdrawn, ToApplication(tx, ToRow(reread), false));
    return Status::Ok();
  });
  if (!done.ok()) return done;
  return withdrawn;
}

namespace {
Status DeleteApplicationRows(Tx& tx, const std::string& where, const std::vector<Value>& params) {
  const std::string ids = "SELECT id FROM applications.applications WHERE " + where;
  for (const char* table : {"applications.documents", "applications.notes", "applications.confirmations"}) {
    PW_RETURN_IF_ERROR(
        tx.Exec(std::string("DELETE FROM ") + table + " WHERE application_id IN (" + ids + ")", params).status());
  }
  // A renewal keeps no reference to a deleted predecessor.
  PW_RETURN_IF_ERROR(
      tx.Exec("UPDATE applications.applications SET renews_id = NULL WHERE renews_id IN (" + ids + ")", params)
          .status());
  return tx.Exec("DELETE FROM applications.applications WHERE " + where, params).status();
}
}  // namespace

Status ApplicationService::DeleteDraft(const portal::CitizenSession& session, std::string_view id) {
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
    if (row.status != ApplicationStatus::kDraft) {
      return FailedPrecondition("only a draft is deleted; withdraw a sent application instead", "status");
    }
    PW_RETURN_IF_ERROR(DeleteApplicationRows(tx, "id = $1", {row.id}));
    return Audit(tx, CitizenActor(session), "application.delete_draft", "application:" + row.public_id,
                 json::object(), "");
  });
}

Status ApplicationService::ResendConfirmation(const portal::CitizenSession& session, std::string_view id,
                                              std::string* organisation_link) {
  OrganisationToken token = NewOrganisationToken();
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadOwn(tx, session, id));
    if (row.status != ApplicationStatus::kAwaitingConfirmation) {
      return FailedPrecondition("the organisation is not waited for", "status");
    }
    PW_ASSIGN_OR_RETURN(auto form, FormIn(tx, row.scheme_id, row.form_version));
    if (!form->organisation) return FailedPrecondition("the form has no organisation step");
    PW_ASSIGN_OR_RETURN(auto c, tx.QueryOne("SELECT resends, state FROM applications.confirmations WHERE "
                                            "application_id = $1",
                                            {row.id}));
    if (c.Text(1) != "pending") return FailedPrecondition("the organisation has answered already");
    if (c.Int(0) >= form->organisation->max_resends) {
      return ResourceExhausted("the request was sent again as often as allowed; write to the office in the mailbox");
    }
    const int64_t now = clock_.NowUnix();
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.confirmations SET token_hash = $1, sent_at = $2, expires_at = $3, "
                               "resends = resends + 1 WHERE application_id = $4",
                               {token.hash, now, now + int64_t{form->organisation->valid_days} * kDay, row.id})
                           .status());
    PW_ASSIGN_OR_RETURN(std::string answers, secrets_.Decrypt(row.answers_enc, AnswersContext(row.public_id)));
    if (outbox_ != nullptr) {
      PW_RETURN_IF_ERROR(outbox_->QueueOrganisationRequest(
          tx, AnswerText(json::parse(answers, nullptr, false), form->organisation->email_field), token.path,
          form->organisation->valid_days));
    }
    return Audit(tx, CitizenActor(session), "application.confirmation_resend", "application:" + row.public_id,
                 {{"resends", c.Int(0) + 1}}, "");
  });
  if (!done.ok()) return done;
  mailbox_.CaseWritten();
  if (organisation_link != nullptr) *organisation_link = token.path;
  return Status::Ok();
}

namespace {

// An answer as a reader sees it: dates German, choices by label, yes/no, persons by name.
std::string Display(const Field& f, const json& v, std::string_view lang) {
  const bool en = lang == "en";
  switch (f.type) {
    case FieldType::kDate:
      if (v.is_string()) {
        if (auto d = ParseIsoDate(v.get<std::string>())) return en ? FormatIsoDate(*d) : FormatGermanDate(*d);
      }
      break;
    case FieldType::kChoice:
      for (const Option& o : f.options) {
        if (v.is_string() && o.value == v.get<std::string>()) return o.label.In(lang);
      }
      break;
    case FieldType::kBoolean:
      return v.is_boolean() && v.get<bool>() ? (en ? "Yes" : "Ja") : (en ? "No" : "Nein");
    case FieldType::kPersons: {
      std::string out;
      if (!v.is_array()) break;
      for (const json& p : v) {
        if (!p.is_object()) continue;
        std::string birth = p.value("birth_date", "");
        if (auto d = ParseIsoDate(birth)) birth = en ? FormatIsoDate(*d) : FormatGermanDate(*d);
        out += (out.empty() ? "" : "; ") + p.value("given_name", "") + " " + p.value("family_name", "") + " (" +
               birth + ")";
      }
      return out;
    }
    default:
      break;
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// Breaks `text` into lines of at most `width` bytes at spaces (UTF-8 safe enough: never inside a sequence).
std::vector<std::string> Wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t newline = text.find('\n', start);
    size_t end = std::min(newline == std::string::npos ? text.size() : newline, start + width);
    if (end < text.size() && end - start == width) {
      size_t space = text.rfind(' ', end);
      if (space != std::string::npos && space > start) {
        end = space;
      } else {
        while (end > start && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
      }
    }
    lines.push_back(text.substr(start, end - start));
    start = end;
    while (start < text.size() && (text[start] == ' ' || text[start] == '\n')) ++start;
  }
  if (lines.empty()) lines.emplace_back();
  return lines;
}

}  // namespace

Result<std::string> ApplicationService::ReceiptPdf(const portal::CitizenSession& session, std::string_view id,
                                                   std::string_view lang) {
  PW_ASSIGN_OR_RETURN(Application a, CitizenApplication(session, id));
  if (a.status == ApplicationStatus::kDraft) return FailedPrecondition("a draft has no receipt yet; submit it first");
  PW_ASSIGN_OR_RETURN(auto form, FormVersion(a.scheme_id, a.form_version));
  const bool en = lang == "en";
  // The lines of the receipt: (text, bold).
  std::vector<std::pair<std::string, bool>> lines;
  lines.emplace_back(form->title.In(lang), true);
  lines.emplace_back((en ? "Reference: " : "Aktenzeichen: ") + a.reference, false);
  if (a.submitted_at) {
    const Date day = BerlinDate(*a.submitted_at);
    lines.emplace_back((en ? "Submitted on " + FormatIsoDate(day) : "Eingereicht am " + FormatGermanDate(day)) +
                           (en ? " to " : " bei ") + a.department_name,
                       false);
  }
  lines.emplace_back("", false);
  for (const Step& step : form->steps) {
    bool any = false;
    for (const Field& f : step.fields) {
      if (!Visible(*form, f, a.answers)) continue;
      std::string value;
      if (f.type == FieldType::kDocument) {
        for (const DocumentInfo& d : a.documents) {
          if (d.field == f.id) value += (value.empty() ? "" : ", ") + d.name;
        }
      } else if (a.answers.contains(f.id)) {
        value = Display(f, a.answers.at(f.id), lang);
      }
      if (value.empty()) continue;
      if (!any) lines.emplace_back(step.title.In(lang), true);
      any = true;
      for (const std::string& line : Wrap(f.label.In(lang) + ": " + value, 95)) lines.emplace_back(line, false);
    }
    if (any) lines.emplace_back("", false);
  }
  lines.emplace_back(en ? "This is a copy of what you submitted. Keep it for your records."
                        : "Dies ist eine Kopie Ihrer Angaben. Bitte bewahren Sie sie auf.",
                     false);
  constexpr double kTop = 20, kLine = 5.5, kBottom = 280;
  return pdf::Render(210, 297, "Antrag", "the receipt", [&](cairo_t* cr) -> Status {
    pdf::UseUnhintedFonts(cr);
    double y = kTop;
    for (const auto& [text, bold] : lines) {
      if (y > kBottom) {
        cairo_show_page(cr);
        y = kTop;
      }
      cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                             bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
      cairo_set_font_size(cr, bold ? 4.6 : 3.6);
      cairo_move_to(cr, 20, y);
      cairo_show_text(cr, text.c_str());
      y += kLine;
    }
    cairo_show_page(cr);
    return Status::Ok();
  });
}

Result<std::vector<RenewalOffer>> ApplicationService::RenewalsDue(const portal::CitizenSession& session) {
  std::vector<RenewalOffer> out;
  std::vector<std::pair<RenewalOffer, std::pair<int64_t, int>>> candidates;
  const Date today = Today();
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT a.id, a.public_id, a.scheme_id, a.form_version, a.valid_until, "
                                            "a.card_ids, s.slug, s.name FROM applications.applications a JOIN "
                                            "core.schemes s ON s.id = a.scheme_id WHERE a.account_id = $1 AND "
                                            "a.status = 'approved' AND a.valid_until >= $2 ORDER BY a.valid_until",
                                            {session.account, FormatIsoDate(today)}));
    for (const storage::Row& r : rows) {
      // The latest approval of a scheme counts; an older one was renewed.
      PW_ASSIGN_OR_RETURN(auto newer, tx.Query("SELECT 1 FROM applications.applications WHERE renews_id = $1 AND "
                                               "status = 'approved'",
                                               {r.Int(0)}));
      if (!newer.empty()) continue;
      RenewalOffer offer;
      offer.application_id = r.Text(1);
      offer.scheme = r.Text(6);
      offer.scheme_name = r.Text(7);
      offer.valid_until = ParseIsoDate(r.Text(4)).value_or(today);
      auto ids = SplitIds(r.Text(5));
      if (!ids.empty()) {
        PW_ASSIGN_OR_RETURN(auto card, tx.Query("SELECT card_number FROM cards.cards WHERE id = $1", {ids.front()}));
        if (!card.empty()) offer.card_number = card[0].Text(0);
      }
      PW_ASSIGN_OR_RETURN(auto draft, tx.Query("SELECT public_id FROM applications.applications WHERE renews_id = $1 "
                                               "AND status NOT IN ('approved', 'rejected', 'withdrawn')",
                                               {r.Int(0)}));
      if (!draft.empty()) offer.draft_id = draft[0].Text(0);
      candidates.push_back({offer, {r.Int(2), static_cast<int>(r.Int(3))}});
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  for (auto& [offer, version] : candidates) {
    PW_ASSIGN_OR_RETURN(auto form, FormVersion(version.first, version.second));
    if (offer.valid_until <= AddDays(today, form->renewal_reminder_days)) out.push_back(std::move(offer));
  }
  return out;
}

// --- the organisation ---

Result<ConfirmationRequest> ApplicationService::ConfirmationByToken(std::string_view token) {
  if (token.empty() || token.size() > 100) return NotFound("this link is not valid (any more)");
  ConfirmationRequest request;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT c.application_id, c.state, c.expires_at FROM "
                                            "applications.confirmations c WHERE c.token_hash = $1",
                                            {crypto::Sha256Hex(token)}));
    // Unknown, expired and answered links get the same answer.
    if (rows.empty() || rows[0].Text(1) != "pending" || rows[0].Int(2) <= clock_.NowUnix()) {
      return NotFound("this link is not valid (any more)");
    }
    PW_ASSIGN_OR_RETURN(auto app, tx.QueryOne(SelectApplications("id = $1"), {rows[0].Int(0)}));
    Row row = ToRow(app);
    if (row.status != ApplicationStatus::kAwaitingConfirmation) return NotFound("this link is not valid (any more)");
    PW_ASSIGN_OR_RETURN(request.form, FormIn(tx, row.scheme_id, row.form_version));
    PW_ASSIGN_OR_RETURN(std::string text, secrets_.Decrypt(row.answers_enc, AnswersContext(row.public_id)));
    json answers = json::parse(text, nullptr, false);
    const OrganisationStep& org = *request.form->organisation;
    request.organisation = AnswerText(answers, org.name_field);
    request.contact = AnswerText(answers, org.contact_field);
    for (const std::string& id : org.shows) {
      const Field* f = request.form->FindField(id);
      if (f != nullptr && answers.contains(id)) request.shown.emplace_back(f, answers.at(id));
    }
    PW_ASSIGN_OR_RETURN(auto names, tx.QueryOne("SELECT s.name, m.name FROM core.schemes s JOIN core.municipalities m "
                                                "ON m.id = s.municipality_id WHERE s.id = $1",
                                                {row.scheme_id}));
    request.scheme_name = names.Text(0);
    request.municipality_name = names.Text(1);
    request.state = ConfirmationState::kPending;
    request.expires_at = rows[0].Int(2);
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return request;
}

Status ApplicationService::AnswerConfirmation(std::string_view token, bool confirmed, std::string_view reason,
                                              const std::string& request_id) {
  if (token.empty() || token.size() > 100) return NotFound("this link is not valid (any more)");
  PW_ASSIGN_OR_RETURN(std::string clean, CleanReason(reason, kMaxReason, "reason"));
  if (!confirmed && clean.empty()) return InvalidArgument("say why you do not confirm", "reason");
  Status done = db_.Write([&](Tx& tx) -> Status {
    const int64_t now = clock_.NowUnix();
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT application_id, state, expires_at FROM applications.confirmations "
                                            "WHERE token_hash = $1",
                                            {crypto::Sha256Hex(token)}));
    if (rows.empty() || rows[0].Text(1) != "pending" || rows[0].Int(2) <= now) {
      return NotFound("this link is not valid (any more)");
    }
    PW_ASSIGN_OR_RETURN(auto app, tx.QueryOne(SelectApplications("id = $1"), {rows[0].Int(0)}));
    Row row = ToRow(app);
    if (row.status != ApplicationStatus::kAwaitingConfirmation) return NotFound("this link is not valid (any more)");
    // Once only: the state moves from pending, whoever comes second finds nothing.
    PW_ASSIGN_OR_RETURN(int64_t changed,
                        tx.Exec("UPDATE applications.confirmations SET state = $1, reason_enc = $2, answered_at = $3 "
                                "WHERE application_id = $4 AND state = 'pending'",
                                {std::string(confirmed ? "confirmed" : "declined"),
                                 confirmed ? Value() : Value(storage::Blob{secrets_.Encrypt(clean, DeclineContext(row.public_id))}),
                                 now, row.id}));
    if (changed != 1) return NotFound("this link is not valid (any more)");
    PW_RETURN_IF_ERROR(SetState(tx, row, ApplicationStatus::kSubmitted, confirmed ? "confirmed" : "declined"));
    PW_RETURN_IF_ERROR(mailbox_.PostToCase(
                                   tx, CaseOf(row.public_id),
                                   confirmed ? std::string("Die Organisation hat Ihr Engagement bestätigt. Ihr Antrag wird "
                                                           "jetzt geprüft.\n\nThe organisation has confirmed your "
                                                           "engagement. Your application will now be reviewed.")
                                             : std::string("Die Organisation hat Ihr Engagement nicht bestätigt; ihre "
                                                           "Begründung sehen Sie bei Ihrem Antrag. Das Amt prüft Ihren "
                                                           "Antrag.\n\nThe organisation did not confirm your "
                                                           "engagement; you find its reason with your application. The "
                                                           "office will review your application."),
                                   {}, request_id)
                           .status());
    return Audit(tx, "organisation", confirmed ? "application.confirmed" : "application.declined",
                 "application:" + row.public_id, json::object(), request_id);
  });
  if (done.ok()) mailbox_.CaseWritten();
  return done;
}

// --- staff ---

namespace {
// The departments whose applications `actor` may take `action` on, with their municipality.
Result<std::vector<std::pair<int64_t, int64_t>>> DepartmentsFor(Tx& tx, const accounts::Actor& actor,
                                                                accounts::Action action) {
  std::vector<std::pair<int64_t, int64_t>> out;
  std::optional<int64_t> only = accounts::OnlyMunicipality(actor, action);
  PW_ASSIGN_OR_RETURN(auto rows, only ? tx.Query("SELECT id, municipality_id FROM core.departments WHERE "
                                                 "municipality_id = $1 ORDER BY id",
                                                 {*only})
                                      : tx.Query("SELECT id, municipality_id FROM core.departments ORDER BY id"));
  for (const storage::Row& r : rows) {
    if (accounts::Can(actor, action, accounts::Resource::InDepartment(r.Int(1), r.Int(0)))) {
      out.emplace_back(r.Int(0), r.Int(1));
    }
  }
  return out;
}

std::string ParameterList(size_t first, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out;
}
}  // namespace

Result<QueuePage> ApplicationService::Queue(const accounts::Actor& actor, const QueueFilter& filter) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kReadApplications));
  if (filter.page < 1 || filter.page > 100000) return InvalidArgument("page must be 1 or more", "page");
  if (filter.per_page < 1 || filter.per_page > 100) return InvalidArgument("per_page must be 1 to 100", "per_page");
  if (filter.status == ApplicationStatus::kDraft) return InvalidArgument("drafts are the applicant's own", "status");
  QueuePage page;
  page.page = filter.page;
  page.per_page = filter.per_page;
  std::vector<std::pair<QueueItem, std::string>> sealed;
  // Read in a snapshot; only the audit entry is a write (the count must not
  // hold the citizen side's writer).
  Status read = db_.Read([&](Tx& tx) -> Status {
    sealed.clear();
    PW_ASSIGN_OR_RETURN(auto departments, DepartmentsFor(tx, actor, accounts::Action::kReadApplications));
    std::vector<Value> params;
    for (const auto& [department, municipality] : departments) {
      if (!filter.department_id || *filter.department_id == department) params.emplace_back(department);
    }
    if (params.empty()) return Status::Ok();
    // Every condition is on columns of the index applications_by_status, so
    // that the count reads the index only.
    std::string where = "a.department_id IN (" + ParameterList(1, params.size()) + ") AND a.status <> 'draft'";
    if (filter.status) {
      params.emplace_back(std::string(StatusName(*filter.status)));
      where += " AND a.status = $" + std::to_string(params.size());
    }
    if (!filter.scheme.empty()) {
      params.emplace_back(filter.scheme);
      where += " AND a.scheme_id IN (SELECT id FROM core.schemes WHERE slug = $" + std::to_string(params.size()) + ")";
    }
    if (filter.renewal) where += *filter.renewal ? " AND a.renews_id IS NOT NULL" : " AND a.renews_id IS NULL";
    if (filter.from) {
      params.emplace_back(BerlinMidnight(*filter.from));
      where += " AND a.submitted_at >= $" + std::to_string(params.size());
    }
    if (filter.until) {
      params.emplace_back(BerlinMidnight(AddDays(*filter.until, 1)));
      where += " AND a.submitted_at < $" + std::to_string(params.size());
    }
    PW_ASSIGN_OR_RETURN(auto count, tx.QueryOne("SELECT COUNT(*) FROM applications.applications a WHERE " + where, params));
    page.total = count.Int(0);
    std::vector<Value> paged = params;
    paged.emplace_back(int64_t{filter.per_page});
    paged.emplace_back(int64_t{(filter.page - 1) * filter.per_page});
    const std::string order = filter.unprocessed_first ? " ORDER BY a.queue_rank, a.submitted_at, a.id"
                                                       : " ORDER BY a.submitted_at, a.id";
    PW_ASSIGN_OR_RETURN(auto rows,
                        tx.Query("SELECT a.public_id, a.reference, s.slug, s.name, a.department_id, a.status, "
                                 "a.renews_id, a.applicant_enc, a.submitted_at, a.updated_at FROM "
                                 "applications.applications a JOIN core.schemes s ON s.id = a.scheme_id WHERE " +
                                     where + order + " LIMIT $" + std::to_string(paged.size() - 1) + " OFFSET $" +
                                     std::to_string(paged.size()),
                                 paged));
    for (const storage::Row& r : rows) {
      QueueItem item;
      item.id = r.Text(0);
      item.reference = r.Text(1);
      item.scheme = r.Text(2);
      item.scheme_name = r.Text(3);
      item.department_id = r.Int(4);
      item.status = ParseStatus(r.Text(5)).value_or(ApplicationStatus::kSubmitted);
      item.renewal = !r.IsNull(6);
      item.submitted_at = r.OptInt(8).value_or(0);
      item.updated_at = r.Int(9);
      sealed.emplace_back(std::move(item), r.Text(7));
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  // What was shown is audited before it is handed out.
  Status done = db_.Write([&](Tx& tx) -> Status {
    return accounts::AuditAs(tx, clock_, actor, "applications.list", "applications",
                             {{"status", filter.status ? json(StatusName(*filter.status)) : json(nullptr)},
                              {"scheme", filter.scheme},
                              {"page", filter.page},
                              {"shown", sealed.size()}});
  });
  if (!done.ok()) return done;
  for (auto& [item, applicant_enc] : sealed) {
    if (!applicant_enc.empty()) {
      PW_ASSIGN_OR_RETURN(item.applicant, secrets_.Decrypt(applicant_enc, ApplicantContext(item.id)));
    }
    page.items.push_back(std::move(item));
  }
  return page;
}

Result<Application> ApplicationService::StaffApplication(const accounts::Actor& actor, std::string_view id) {
  Application a;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadForStaff(tx, actor, id, accounts::Action::kReadApplications));
    // Opening a new application starts its review (the applicant sees it).
    if (row.status == ApplicationStatus::kSubmitted && actor.user &&
        accounts::Can(actor, accounts::Action::kDecideApplications,
                      accounts::Resource::InDepartment(row.municipality_id, row.department_id))) {
      PW_RETURN_IF_ERROR(SetState(tx, row, ApplicationStatus::kInReview, "review_started"));
      PW_ASSIGN_OR_RETURN(auto reread, tx.QueryOne(SelectApplications("id = $1"), {row.id}));
      row = ToRow(reread);
    }
    PW_ASSIGN_OR_RETURN(a, ToApplication(tx, row, true));
    return accounts::AuditAs(tx, clock_, actor, "application.read", "application:" + row.public_id,
                             {{"department", row.department_id}});
  });
  if (!done.ok()) return done;
  return a;
}

Result<portal::Document> ApplicationService::StaffDocument(const accounts::Actor& actor, std::string_view id,
                                                           std::string_view document_id) {
  portal::Document doc;
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadForStaff(tx, actor, id, accounts::Action::kReadApplications));
    PW_ASSIGN_OR_RETURN(doc, ReadDocument(tx, secrets_, row.id, document_id));
    return accounts::AuditAs(tx, clock_, actor, "application.document", "application:" + row.public_id,
                             {{"document", std::string(document_id)}, {"department", row.department_id}});
  });
  if (!done.ok()) return done;
  return doc;
}



Result<std::string> ApplicationService::Approve(Tx& tx, const accounts::Actor& actor, Row& row,
                                                const FormDefinition& form, std::vector<std::string>& card_numbers) {
  PW_ASSIGN_OR_RETURN(std::string text, secrets_.Decrypt(row.answers_enc, AnswersContext(row.public_id)));
  const json answers = json::parse(text, nullptr, false);
  PW_ASSIGN_OR_RETURN(cards::Scheme scheme, cards::SchemeIn(tx, row.scheme_id));
  std::optional<Date> not_after;
  if (!form.valid_until_field.empty()) not_after = ParseIsoDate(AnswerText(answers, form.valid_until_field));
  // The decision is the clerk's (applications.decide, checked by the caller);
  // the cards follow from it, issued on their behalf and audited with their id.
  accounts::Actor issuer;
  issuer.id = actor.id;
  issuer.request_id = actor.request_id;
  std::vector<cards::Holder> holders = Holders(form, answers);
  // A renewal renews the cards of the application it renews (matched by
  // name and birth date) and issues cards for new household members.
  std::map<std::string, int64_t> previous;
  if (row.renews_id) {
    PW_ASSIGN_OR_RETURN(auto old, tx.QueryOne(SelectApplications("id = $1"), {*row.renews_id}));
    Row before = ToRow(old);
    PW_ASSIGN_OR_RETURN(std::string before_text, secrets_.Decrypt(before.answers_enc, AnswersContext(before.public_id)));
    std::vector<cards::Holder> before_holders = Holders(form, json::parse(before_text, nullptr, false));
    std::vector<int64_t> before_ids = SplitIds(before.card_ids);
    for (size_t i = 0; i < before_holders.size() && i < before_ids.size(); ++i) {
      previous[before_holders[i].given_name + "\n" + before_holders[i].family_name + "\n" + before_holders[i].birth_date] =
          before_ids[i];
    }
  }
  std::vector<int64_t> ids;
  std::optional<Date> main_until;
  for (const cards::Holder& holder : holders) {
    auto it = previous.find(holder.given_name + "\n" + holder.family_name + "\n" + holder.birth_date);
    cards::Card card;
    bool renewed = false;
    if (it != previous.end()) {
      auto result = cards_.RenewCardIn(tx, issuer, it->second, holder, not_after);
      if (result.ok()) {
        card = *result;
        renewed = true;
      } else if (result.status().code() != ErrorCode::kFailedPrecondition || result.status().field() != "card") {
        // Not extending the card (the notice ends before it does) is for the clerk to see, not to paper over.
        return result.status();
      }
      // A blocked or replaced card is not renewed: its holder gets a new one.
    }
    if (!renewed) {
      PW_ASSIGN_OR_RETURN(card, cards_.IssueCardIn(tx, issuer, scheme, holder, not_after));
    }
    if (!main_until) main_until = card.valid_until;
    ids.push_back(card.id);
    card_numbers.push_back(card.card_number);
    PW_RETURN_IF_ERROR(citizens_.LinkCard(tx, row.account, card.id, actor.request_id));
  }
  row.card_ids = JoinIds(ids);
  return main_until ? FormatIsoDate(*main_until) : std::string();
}

Result<Application> ApplicationService::Decide(const accounts::Actor& actor, std::string_view id, Decision decision,
                                               std::string_view reason,
                                               storage::Idempotent<Application>* idempotent) {
  PW_ASSIGN_OR_RETURN(std::string clean, CleanReason(reason, kMaxReason, "reason"));
  if (decision != Decision::kApprove && clean.empty()) {
    return InvalidArgument(decision == Decision::kReject ? "a rejection needs a reason the applicant can read"
                                                         : "say what information or documents are needed",
                           "reason");
  }
  Application decided;
  bool cards_changed = false;
  Status done = storage::WriteIdempotently(
      db_, idempotent, {storage::Segment::kApplications, &secrets_}, decided, [&](Tx& tx) -> Status {
        cards_changed = false;
        PW_ASSIGN_OR_RETURN(Row row, LoadForStaff(tx, actor, id, accounts::Action::kDecideApplications));
        if (row.status == ApplicationStatus::kWithdrawn) {
          return FailedPrecondition("the applicant withdrew the application; it cannot be decided");
        }
        if (!IsOpen(row.status)) return FailedPrecondition("the application is already decided");
        PW_ASSIGN_OR_RETURN(auto form, FormIn(tx, row.scheme_id, row.form_version));
        const int64_t now = clock_.NowUnix();
        const std::optional<int64_t> user = actor.user ? std::optional<int64_t>(actor.user->id) : std::nullopt;
        std::string message;
        std::string event;
        ApplicationStatus next = row.status;
        switch (decision) {
          case Decision::kApprove: {
            if (row.status == ApplicationStatus::kAwaitingConfirmation) {
              return FailedPrecondition("the organisation has not confirmed the engagement yet");
            }
            if (form->four_eyes && row.status != ApplicationStatus::kPendingSecondApproval) {
              next = ApplicationStatus::kPendingSecondApproval;
              event = "first_approval";
              PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET first_approver_id = $1 WHERE id = $2",
                                         {user ? Value(*user) : Value(), row.id})
                                     .status());
              break;
            }
            if (row.status == ApplicationStatus::kPendingSecondApproval && user && row.first_approver_id == user) {
              return FailedPrecondition("a second clerk must confirm this approval, not the first");
            }
            std::vector<std::string> numbers;
            PW_ASSIGN_OR_RETURN(std::string valid_until, Approve(tx, actor, row, *form, numbers));
            PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET card_ids = $1, valid_until = $2, "
                                       "decided_at = $3 WHERE id = $4",
                                       {row.card_ids, valid_until, now, row.id})
                                   .status());
            cards_changed = true;
            next = ApplicationStatus::kApproved;
            event = "approved";
            std::string list;
            for (const std::string& n : numbers) list += "\n" + cards::FormatCardNumber(n);
            message = std::string(row.renews_id ? "Ihr Verlängerungsantrag " : "Ihr Antrag ") + row.reference +
                      " wurde bewilligt. Ihre Karte finden Sie unter „Meine Karten“:" + list +
                      "\n\nYour application " + row.reference +
                      " has been approved. You find your card under \"My cards\".";
            break;
          }
          case Decision::kReject:
            if (row.status == ApplicationStatus::kDraft) return FailedPrecondition("a draft is not decided");
            next = ApplicationStatus::kRejected;
            event = "rejected";
            PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET reason_enc = $1, decided_at = $2 "
                                       "WHERE id = $3",
                                       {storage::Blob{secrets_.Encrypt(clean, ReasonContext(row.public_id))}, now,
                                        row.id})
                                   .status());
            message = "Ihr Antrag " + row.reference + " wurde abgelehnt. Begründung:\n\n" + clean +
                      "\n\nYour application " + row.reference + " has been rejected; the reason is given above.";
            break;
          case Decision::kRequestInformation:
            if (row.status == ApplicationStatus::kPendingSecondApproval ||
                row.status == ApplicationStatus::kAwaitingConfirmation) {
              return FailedPrecondition("information is asked for while the application is in review");
            }
            next = ApplicationStatus::kNeedsInformation;
            event = "information_requested";
            PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET reason_enc = $1 WHERE id = $2",
                                       {storage::Blob{secrets_.Encrypt(clean, ReasonContext(row.public_id))}, row.id})
                                   .status());
            message = "Für Ihren Antrag " + row.reference + " brauchen wir noch Angaben oder Nachweise:\n\n" + clean +
                      "\n\nBitte ergänzen Sie Ihren Antrag unter „Meine Anträge“, laden Sie die Nachweise dort hoch und "
                      "reichen Sie ihn erneut ein.\n\nWe need more information or documents for your application " +
                      row.reference + " (see above). Please complete it under \"My applications\", upload the "
                      "documents there and submit it again.";
            break;
        }
        PW_RETURN_IF_ERROR(SetState(tx, row, next, event));
        if (!message.empty() && !row.thread_id.empty()) {
          PW_RETURN_IF_ERROR(mailbox_.PostToCase(tx, CaseOf(row.public_id), message, {}, actor.request_id).status());
        }
        PW_RETURN_IF_ERROR(accounts::AuditAs(tx, clock_, actor, "application." + event,
                                             "application:" + row.public_id,
                                             {{"department", row.department_id}, {"status", StatusName(next)}}));
        PW_ASSIGN_OR_RETURN(auto reread, tx.QueryOne(SelectApplications("id = $1"), {row.id}));
        PW_ASSIGN_OR_RETURN(decided, ToApplication(tx, ToRow(reread), true));
        return Status::Ok();
      });
  if (!done.ok()) return done;
  if (cards_changed) cards_.CardsChanged();
  mailbox_.CaseWritten();
  return decided;
}

Result<std::string> ApplicationService::ReissueConfirmation(const accounts::Actor& actor, std::string_view id) {
  OrganisationToken token = NewOrganisationToken();
  Status done = db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadForStaff(tx, actor, id, accounts::Action::kDecideApplications));
    if (row.status != ApplicationStatus::kAwaitingConfirmation) {
      return FailedPrecondition("the organisation is not waited for", "status");
    }
    PW_ASSIGN_OR_RETURN(auto form, FormIn(tx, row.scheme_id, row.form_version));
    if (!form->organisation) return FailedPrecondition("the form has no organisation step");
    const int64_t now = clock_.NowUnix();
    PW_ASSIGN_OR_RETURN(int64_t changed,
                        tx.Exec("UPDATE applications.confirmations SET token_hash = $1, sent_at = $2, expires_at = $3 "
                                "WHERE application_id = $4 AND state = 'pending'",
                                {token.hash, now, now + int64_t{form->organisation->valid_days} * kDay, row.id}));
    if (changed != 1) return FailedPrecondition("the organisation has answered already");
    PW_ASSIGN_OR_RETURN(std::string answers, secrets_.Decrypt(row.answers_enc, AnswersContext(row.public_id)));
    if (outbox_ != nullptr) {
      PW_RETURN_IF_ERROR(outbox_->QueueOrganisationRequest(
          tx, AnswerText(json::parse(answers, nullptr, false), form->organisation->email_field), token.path,
          form->organisation->valid_days));
    }
    return accounts::AuditAs(tx, clock_, actor, "application.confirmation_reissue", "application:" + row.public_id,
                             {{"department", row.department_id}});
  });
  if (!done.ok()) return done;
  mailbox_.CaseWritten();
  return token.path;
}

Status ApplicationService::AddNote(const accounts::Actor& actor, std::string_view id, std::string_view text) {
  PW_ASSIGN_OR_RETURN(std::string clean, CleanReason(text, kMaxNote, "text"));
  if (clean.empty()) return InvalidArgument("the note is empty", "text");
  return db_.Write([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(Row row, LoadForStaff(tx, actor, id, accounts::Action::kDecideApplications));
    PW_RETURN_IF_ERROR(tx.Exec("INSERT INTO applications.notes (application_id, user_id, body_enc, created_at) VALUES "
                               "($1, $2, $3, $4)",
                               {row.id, actor.user ? Value(actor.user->id) : Value(int64_t{0}),
                                storage::Blob{secrets_.Encrypt(clean, NoteContext(row.public_id))}, clock_.NowUnix()})
                           .status());
    return accounts::AuditAs(tx, clock_, actor, "application.note", "application:" + row.public_id,
                             {{"department", row.department_id}});
  });
}

Result<std::string> ApplicationService::ExportCsv(const accounts::Actor& actor, int64_t department_id) {
  std::string out =
      "reference;status;scheme;renewal;submitted_on;decided_on;given_name;family_name;birth_date;street;postal_code;"
      "city;cards;valid_until\r\n";
  std::vector<std::pair<Row, std::string>> rows;
  Status done = db_.Write([&](Tx& tx) -> Status {
    rows.clear();
    PW_ASSIGN_OR_RETURN(auto department, tx.Query("SELECT municipality_id FROM core.departments WHERE id = $1",
                                                  {department_id}));
    if (department.empty()) return NotFound("no such department", "department_id");
    Status allowed = accounts::Require(actor, accounts::Action::kReadApplications,
                                       accounts::Resource::InDepartment(department[0].Int(0), department_id));
    if (!allowed.ok()) {
      return allowed.code() == ErrorCode::kPermissionDenied && !accounts::LacksScope(actor, accounts::Action::kReadApplications)
                 ? NotFound("no such department", "department_id")
                 : allowed;
    }
    PW_ASSIGN_OR_RETURN(auto found, tx.Query(SelectApplications("department_id = $1 AND status <> 'draft' ORDER BY "
                                                                "submitted_at, id"),
                                             {department_id}));
    for (const storage::Row& r : found) {
      Row row = ToRow(r);
      std::string numbers;
      for (int64_t card_id : SplitIds(row.card_ids)) {
        PW_ASSIGN_OR_RETURN(auto card, tx.Query("SELECT card_number FROM cards.cards WHERE id = $1", {card_id}));
        if (!card.empty()) numbers += (numbers.empty() ? "" : " ") + card[0].Text(0);
      }
      rows.emplace_back(std::move(row), std::move(numbers));
    }
    return accounts::AuditAs(tx, clock_, actor, "applications.export", "department:" + std::to_string(department_id),
                             {{"rows", found.size()}});
  });
  if (!done.ok()) return done;
  std::map<int64_t, std::string> scheme_slugs;
  for (auto& [row, numbers] : rows) {
    if (!scheme_slugs.contains(row.scheme_id)) {
      PW_ASSIGN_OR_RETURN(cards::Scheme scheme, cards_.GetScheme(row.scheme_id));
      scheme_slugs[row.scheme_id] = scheme.slug;
    }
    PW_ASSIGN_OR_RETURN(std::string text, secrets_.Decrypt(row.answers_enc, AnswersContext(row.public_id)));
    const json answers = json::parse(text, nullptr, false);
    auto day = [](std::optional<int64_t> at) { return at ? FormatIsoDate(BerlinDate(*at)) : std::string(); };
    const std::vector<std::string> cells = {row.reference,
                                            std::string(StatusName(row.status)),
                                            scheme_slugs[row.scheme_id],
                                            row.renews_id ? "yes" : "no",
                                            day(row.submitted_at),
                                            day(row.decided_at),
                                            AnswerText(answers, "given_name"),
                                            AnswerText(answers, "family_name"),
                                            AnswerText(answers, "birth_date"),
                                            AnswerText(answers, "street"),
                                            AnswerText(answers, "postal_code"),
                                            AnswerText(answers, "city"),
                                            numbers,
                                            row.valid_until};
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ';';
      csv::AppendText(out, cells[i]);
    }
    out += "\r\n";
  }
  return out;
}

Result<std::vector<StatisticsCell>> ApplicationService::Statistics(const accounts::Actor& actor) {
  PW_RETURN_IF_ERROR(accounts::Require(actor, accounts::Action::kReadStatistics));
  // Which departments are one's own is the user's membership, not a token's
  // scope: a statistics:read token of a clerk sees the clerk's departments.
  std::map<std::tuple<std::string, std::string, ApplicationStatus>, int64_t> counts;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto departments, DepartmentsFor(tx, actor, accounts::Action::kReadStatistics));
    // Staff who work applications see the counts of their own departments
    // only; operators and auditors, who read no application, see all.
    const bool departmental = actor.user && accounts::RoleReach(actor.user->role, accounts::Action::kReadApplications) !=
                                                accounts::Reach::kNone;
    std::vector<Value> params;
    for (const auto& [department, municipality] : departments) {
      if (departmental && !accounts::UserCan(actor, accounts::Action::kReadApplications,
                                         accounts::Resource::InDepartment(municipality, department))) {
        continue;
      }
      params.emplace_back(department);
    }
    if (params.empty()) return Status::Ok();
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT s.slug, a.submitted_at, a.status, COUNT(*) FROM "
                                            "applications.applications a JOIN core.schemes s ON s.id = a.scheme_id "
                                            "WHERE a.status <> 'draft' AND a.department_id IN (" +
                                                ParameterList(1, params.size()) +
                                                ") GROUP BY s.slug, a.submitted_at, a.status",
                                            params));
    for (const storage::Row& r : rows) {
      const Date day = BerlinDate(r.OptInt(1).value_or(0));
      const std::string month = FormatIsoDate(day).substr(0, 7);
      auto status = ParseStatus(r.Text(2));
      if (status) counts[{r.Text(0), month, *status}] += r.Int(3);
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  std::vector<StatisticsCell> cells;
  for (const auto& [key, count] : counts) {
    StatisticsCell cell{std::get<0>(key), std::get<1>(key), std::get<2>(key), std::nullopt};
    if (count >= kMinimumCell) cell.count = count;
    cells.push_back(std::move(cell));
  }
  return cells;
}

// --- background ---

Result<int64_t> ApplicationService::SendRenewalReminders() {
  const Date today = Today();
  struct Due {
    int64_t id;
    int64_t account;
    std::string public_id;
    int64_t scheme_id;
    int version;
    Date until;
  };
  std::vector<Due> due;
  Status read = db_.Read([&](Tx& tx) -> Status {
    // The longest window a form may set bounds what is looked at.
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT a.id, a.account_id, a.public_id, a.scheme_id, a.form_version, "
                                            "a.valid_until FROM applications.applications a WHERE a.status = "
                                            "'approved' AND a.reminded_at IS NULL AND a.account_id <> 0 AND "
                                            "a.valid_until >= $1 AND a.valid_until <= $2 AND NOT EXISTS (SELECT 1 FROM "
                                            "applications.applications r WHERE r.renews_id = a.id AND r.status <> "
                                            "'withdrawn' AND r.status <> 'rejected')",
                                            {FormatIsoDate(today), FormatIsoDate(AddDays(today, 365))}));
    for (const storage::Row& r : rows) {
      due.push_back({r.Int(0), r.Int(1), r.Text(2), r.Int(3), static_cast<int>(r.Int(4)),
                     ParseIsoDate(r.Text(5)).value_or(today)});
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  int64_t queued = 0;
  for (const Due& d : due) {
    PW_ASSIGN_OR_RETURN(auto form, FormVersion(d.scheme_id, d.version));
    if (d.until > AddDays(today, form->renewal_reminder_days)) continue;
    Status done = db_.Write([&](Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(int64_t marked, tx.Exec("UPDATE applications.applications SET reminded_at = $1 WHERE id = $2 "
                                                  "AND reminded_at IS NULL",
                                                  {clock_.NowUnix(), d.id}));
      if (marked != 1) return Status::Ok();  // another process reminded meanwhile
      if (outbox_ != nullptr) PW_RETURN_IF_ERROR(outbox_->QueueRenewalReminder(tx, d.account));
      ++queued;
      return Audit(tx, "system", "application.renewal_reminder", "application:" + d.public_id,
                   {{"valid_until", FormatIsoDate(d.until)}}, "renewal");
    });
    if (!done.ok()) return done;
  }
  if (queued > 0) mailbox_.CaseWritten();
  return queued;
}

Result<RetentionReport> ApplicationService::DeleteExpired() {
  RetentionReport report;
  const int64_t now = clock_.NowUnix();
  const Date today = Today();
  // Each form version has its own periods: walk the versions in use.
  std::vector<std::pair<int64_t, int>> versions;
  Status read = db_.Read([&](Tx& tx) -> Status {
    PW_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT DISTINCT scheme_id, form_version FROM applications.applications"));
    for (const storage::Row& r : rows) versions.emplace_back(r.Int(0), static_cast<int>(r.Int(1)));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  for (const auto& [scheme_id, version] : versions) {
    PW_ASSIGN_OR_RETURN(auto form, FormVersion(scheme_id, version));
    const Retention& r = form->retention;
    Status done = db_.Write([&](Tx& tx) -> Status {
      const std::string of = "scheme_id = $1 AND form_version = $2";
      // Evidence goes first: a while after the decision.
      PW_ASSIGN_OR_RETURN(
          int64_t documents,
          tx.Exec("DELETE FROM applications.documents WHERE application_id IN (SELECT id FROM "
                  "applications.applications WHERE " + of + " AND decided_at IS NOT NULL AND decided_at < $3)",
                  {scheme_id, int64_t{version}, now - int64_t{r.documents_after_decision_days} * kDay}));
      // Then the records: rejected and withdrawn ones after their period,
      // approved ones once their card ran out, forgotten drafts.
      std::vector<std::pair<std::string, storage::Params>> expired = {
          {of + " AND status = 'rejected' AND decided_at < $3",
           {scheme_id, int64_t{version}, now - int64_t{r.after_rejection_days} * kDay}},
          {of + " AND status = 'withdrawn' AND decided_at < $3",
           {scheme_id, int64_t{version}, now - int64_t{r.after_withdrawal_days} * kDay}},
          {of + " AND status = 'approved' AND valid_until < $3",
           {scheme_id, int64_t{version}, FormatIsoDate(AddDays(today, -int64_t{r.after_card_expiry_days}))}},
          {of + " AND status = 'draft' AND updated_at < $3",
           {scheme_id, int64_t{version}, now - int64_t{r.drafts_days} * kDay}},
      };
      int64_t applications = 0;
      for (const auto& [where, params] : expired) {
        PW_ASSIGN_OR_RETURN(auto count,
                            tx.QueryOne("SELECT COUNT(*) FROM applications.applications WHERE " + where, params));
        if (count.Int(0) == 0) continue;
        // The case's mailbox thread follows the mailbox's own retention.
        PW_RETURN_IF_ERROR(DeleteApplicationRows(tx, where, params));
        applications += count.Int(0);
      }
      report.documents_deleted += documents;
      report.applications_deleted += applications;
      if (documents == 0 && applications == 0) return Status::Ok();
      return Audit(tx, "system", "applications.retention", "scheme:" + std::to_string(scheme_id),
                   {{"form_version", version}, {"documents", documents}, {"applications", applications}},
                   "retention");
    });
    if (!done.ok()) return done;
  }
  return report;
}

Result<portal::DeletionFinding> ApplicationService::DeletionParticipant(Tx& tx, int64_t account, bool apply,
                                                                        const std::string& request_id) {
  portal::DeletionFinding finding;
  finding.area = "applications";
  PW_ASSIGN_OR_RETURN(auto open, tx.Query(SelectApplications("account_id = $1 AND status NOT IN ('draft', "
                                                             "'approved', 'rejected', 'withdrawn')"),
                                          {account}));
  finding.to_withdraw = static_cast<int64_t>(open.size());
  if (!apply) return finding;
  for (const storage::Row& r : open) {
    Row row = ToRow(r);
    PW_RETURN_IF_ERROR(SetState(tx, row, ApplicationStatus::kWithdrawn, "withdrawn"));
    PW_RETURN_IF_ERROR(tx.Exec("UPDATE applications.applications SET decided_at = $1 WHERE id = $2",
                               {clock_.NowUnix(), row.id})
                           .status());
    PW_RETURN_IF_ERROR(Audit(tx, "citizen", "application.withdraw", "application:" + row.public_id,
                             {{"reason", "account deleted"}}, request_id));
  }
  // Drafts were never sent: gone with the account. What was sent stays with
  // the office under its retention, no longer linked to any account.
  PW_RETURN_IF_ERROR(DeleteApplicationRows(tx, "account_id = $1 AND status = 'draft'", {account}));
  PW_RETURN_IF_ERROR(
      tx.Exec("UPDATE applications.applications SET account_id = 0 WHERE account_id = $1", {account}).status());
  return finding;
}

}  // namespace passwerk::applications
