// Online applications on every storage backend: forms loaded per scheme, the
// applicant's drafts, documents and submission, the clerk's queue and
// decisions within their department only, the organisation's confirmation,
// four eyes, renewals, retention and account deletion.
#include "applications/applications.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "accounts/accounts.h"
#include "accounts/testing/actors.h"
#include "audit/audit_log.h"
#include "storage/testing/backends.h"

namespace passwerk::applications {
namespace {

using json = nlohmann::json;
using portal::CitizenSession;
using storage::Segment;

const std::string kPdf = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
constexpr int64_t kStart = 1781517600;  // 2026-06-15 10:00 UTC, noon in Kellenhusen
constexpr int64_t kDay = 86400;
const std::string kSocial = "sozialpass-kellenhusen";
const std::string kVolunteer = "ehrenamt-kellenhusen";

std::string ReadShipped(const std::string& file) {
  std::ifstream in(std::string(PASSWERK_SOURCE_DIR) + "/web/static/forms/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& SocialText() {
  static const std::string text = ReadShipped("sozialpass-kellenhusen.json");
  return text;
}
const std::string& VolunteerText() {
  static const std::string text = ReadShipped("ehrenamt-kellenhusen.json");
  return text;
}

Date D(const char* iso) { return *ParseIsoDate(iso); }

std::map<std::string, std::string> Codes(const std::vector<FieldError>& errors) {
  std::map<std::string, std::string> out;
  for (const FieldError& e : errors) out[e.field] = e.code;
  return out;
}

std::vector<std::string> EventKinds(const Application& a) {
  std::vector<std::string> kinds;
  for (const Event& e : a.events) kinds.push_back(e.kind);
  return kinds;
}

std::string TokenOf(const std::string& link) {
  size_t at = link.find("token=");
  return at == std::string::npos ? "" : link.substr(at + 6);
}

class ApplicationServiceTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(
        GetParam(), {Segment::kCore, Segment::kAudit, Segment::kCards, Segment::kPortal, Segment::kApplications},
        &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    staff_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, box_, throttle_);
    cli_.id = "cli";
    auto municipality = staff_->CreateMunicipality(cli_, "01055021", "Kellenhusen (Ostsee)");
    ASSERT_TRUE(municipality.ok()) << municipality.status().ToString();
    municipality_ = municipality->id;
    auto other = staff_->CreateMunicipality(cli_, "01055012", "Grömitz");
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    other_municipality_ = other->id;
    auto social = staff_->CreateDepartment(cli_, municipality_, "Sozialamt");
    auto volunteer = staff_->CreateDepartment(cli_, municipality_, "Ehrenamtsbüro");
    ASSERT_TRUE(social.ok() && volunteer.ok());
    social_ = social->id;
    volunteer_ = volunteer->id;
    using accounts::Role;
    using accounts::testing::CreateStaff;
    sofia_ = CreateStaff(*staff_, cli_, "sofia", Role::kClerk, municipality_, {social_});
    emil_ = CreateStaff(*staff_, cli_, "emil", Role::kClerk, municipality_, {volunteer_});
    ella_ = CreateStaff(*staff_, cli_, "ella", Role::kClerk, municipality_, {volunteer_});
    admin_ = CreateStaff(*staff_, cli_, "admin", Role::kMunicipalityAdmin, municipality_);
    Make();

    cards::NewScheme social_scheme;
    social_scheme.slug = kSocial;
    social_scheme.municipality_id = municipality_;
    social_scheme.department_id = social_;
    social_scheme.kind = cards::SchemeKind::kSocialPass;
    social_scheme.name = "Sozialpass Kellenhusen";
    social_scheme.rule = cards::ValidityRule::kCalendarYear;
    auto s = cards_->CreateScheme(cli_, social_scheme);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    social_scheme_ = *s;
    cards::NewScheme volunteer_scheme;
    volunteer_scheme.slug = kVolunteer;
    volunteer_scheme.municipality_id = municipality_;
    volunteer_scheme.department_id = volunteer_;
    volunteer_scheme.kind = cards::SchemeKind::kVolunteerCard;
    volunteer_scheme.name = "Ehrenamtskarte Kellenhusen";
    volunteer_scheme.rule = cards::ValidityRule::kYears;
    volunteer_scheme.amount = 3;
    auto v = cards_->CreateScheme(cli_, volunteer_scheme);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    volunteer_scheme_ = *v;

    auto social_form = service_->LoadForm(admin_, municipality_, SocialText());
    ASSERT_TRUE(social_form.ok()) << social_form.status().ToString();
    EXPECT_EQ(*social_form, 1);
    auto volunteer_form = service_->LoadForm(admin_, municipality_, VolunteerText());
    ASSERT_TRUE(volunteer_form.ok()) << volunteer_form.status().ToString();
    EXPECT_EQ(*volunteer_form, 1);

    erika_ = SignIn("saml:erika", accounts::Assurance::kSubstantial, Person("Erika", "Mustermann", "1980-04-01"));
    max_ = SignIn("saml:max", accounts::Assurance::kSubstantial, Person("Max", "Meier", "1975-09-09"));
  }

  void Make() {
    cards_ = std::make_unique<cards::CardService>(test_db_->db(), clock_, box_, keys_);
    citizens_ = std::make_unique<portal::CitizenAccounts>(test_db_->db(), clock_, box_, portal::PortalOptions{});
    portal::MailOptions mail;
    mail.public_url = "https://portal.example";
    outbox_ = std::make_unique<portal::MailOutbox>(test_db_->db(), clock_, box_, mail);
    mailbox_ = std::make_unique<portal::Mailbox>(test_db_->db(), clock_, box_, portal::MailboxOptions{}, outbox_.get());
    service_ = std::make_unique<ApplicationService>(test_db_->db(), clock_, box_, *cards_, *citizens_, *mailbox_,
                                                    outbox_.get(), ApplicationOptions{});
    // Wired as the server wires them (cli/app.cpp).
    mailbox_->AddDocumentSource("application_document", [service = service_.get()](const std::string& ref) {
      return service->LinkedDocument(ref);
    });
    citizens_->AddDeletionParticipant([service = service_.get()](storage::Tx& tx, int64_t account, bool apply,
                                                                 const std::string& request_id) {
      return service->DeletionParticipant(tx, account, apply, request_id);
    });
    citizens_->AddDeletionParticipant(
        [mailbox = mailbox_.get(), mail = outbox_.get()](storage::Tx& tx, int64_t account, bool apply,
                                                          const std::string&) -> Result<portal::DeletionFinding> {
          portal::DeletionFinding finding;
          finding.area = "mailbox";
          if (!apply) return finding;
          PW_RETURN_IF_ERROR(mailbox->DeleteAccountThreads(tx, account).status());
          PW_RETURN_IF_ERROR(mail->DeleteForAccount(tx, account));
          return finding;
        });
  }

  // Closes and opens the database and every service on it (a restart).
  void Reopen() {
    service_.reset();
    mailbox_.reset();
    outbox_.reset();
    citizens_.reset();
    cards_.reset();
    ASSERT_TRUE(test_db_->Reopen().ok());
    Make();
  }

  static portal::Attributes Person(const std::string& given, const std::string& family, const std::string& birth) {
    portal::Attributes a;
    a.given_name = given;
    a.family_name = family;
    a.birth_date = birth;
    a.street = "Strandstraße 1";
    a.postal_code = "23746";
    a.locality = "Kellenhusen (Ostsee)";
    a.email = "erika@example.org";
    return a;
  }

  CitizenSession SignIn(const std::string& pseudonym, accounts::Assurance level, portal::Attributes attributes = {}) {
    portal::Identity identity;
    identity.method = portal::SignInMethod::kSaml;
    identity.pseudonym = pseudonym;
    identity.assurance = level;
    identity.attributes = std::move(attributes);
    auto session = citizens_->SignIn(identity, "test", "r");
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return session.ok() ? *session : CitizenSession{};
  }

  static json Holder(const std::string& given, const std::string& family) {
    return {{"given_name", given},         {"family_name", family},   {"birth_date", "1980-04-01"},
            {"street", "Strandstraße 1"}, {"postal_code", "23746"}, {"city", "Kellenhusen (Ostsee)"}};
  }

  // A social pass application filled in, with its notice uploaded, not yet sent.
  std::string SocialDraft(const CitizenSession& session, const json& extra = json::object()) {
    auto draft = service_->CreateDraft(session, kSocial);
    EXPECT_TRUE(draft.ok()) << draft.status().ToString();
    if (!draft.ok()) return "";
    json answers = Holder("Erika", "Mustermann");
    answers.update({{"benefit", "wohngeld"},
                    {"notice_authority", "Wohngeldstelle Ostholstein"},
                    {"notice_valid_until", "2027-03-31"}});
    answers.update(extra);
    std::vector<FieldError> problems;
    auto updated = service_->UpdateAnswers(session, draft->id, answers, &problems);
    EXPECT_TRUE(updated.ok()) << updated.status().ToString();
    EXPECT_TRUE(problems.empty()) << problems.front().field << " " << problems.front().message;
    auto document = service_->AddDocument(session, draft->id, "notice", {"bescheid.pdf", kPdf});
    EXPECT_TRUE(document.ok()) << document.status().ToString();
    return draft->id;
  }

  Application SubmitSocial(const CitizenSession& session, const json& extra = json::object()) {
    std::string id = SocialDraft(session, extra);
    std::vector<FieldError> problems;
    auto submitted = service_->Submit(session, id, &problems);
    EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
    return submitted.ok() ? *submitted : Application{};
  }

  std::string VolunteerDraft(const CitizenSession& session, const json& extra = json::object()) {
    auto draft = service_->CreateDraft(session, kVolunteer);
    EXPECT_TRUE(draft.ok()) << draft.status().ToString();
    if (!draft.ok()) return "";
    json answers = Holder("Erika", "Mustermann");
    answers.update({{"basis", "volunteering"},
                    {"activity", "Jugendtrainerin im TSV"},
                    {"since", "2019-05-01"},
                    {"hours_per_week", 6},
                    {"unpaid", true},
                    {"organisation_name", "TSV Kellenhusen"},
                    {"organisation_contact", "Otto Vorstand"},
                    {"organisation_email", "vorstand@tsv-kellenhusen.example"}});
    answers.update(extra);
    std::vector<FieldError> problems;
    auto updated = service_->UpdateAnswers(session, draft->id, answers, &problems);
    EXPECT_TRUE(updated.ok()) << updated.status().ToString();
    EXPECT_TRUE(problems.empty()) << problems.front().field << " " << problems.front().message;
    return draft->id;
  }

  // Submitted and waiting for the organisation; `token` gets the link's token.
  Application SubmitVolunteer(const CitizenSession& session, std::string* token) {
    std::string id = VolunteerDraft(session);
    std::string link;
    auto submitted = service_->Submit(session, id, nullptr, nullptr, &link);
    EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
    if (token != nullptr) *token = TokenOf(link);
    return submitted.ok() ? *submitted : Application{};
  }

  Application Read(const std::string& id) {
    auto a = service_->StaffApplication(cli_, id);  // the command line: no review starts
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : Application{};
  }

  ApplicationStatus CitizenStatus(const CitizenSession& session, const std::string& id) {
    auto a = service_->CitizenApplication(session, id);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->status : ApplicationStatus::kDraft;
  }

  std::string CaseState(const CitizenSession& session, const std::string& id) {
    auto threads = mailbox_->CitizenThreads(session);
    EXPECT_TRUE(threads.ok());
    if (!threads.ok()) return "";
    for (const auto& t : *threads) {
      if (t.case_ref && t.case_ref->id == id) return t.case_state;
    }
    return "";
  }

  // The audit entries of exactly `action`, oldest first.
  std::vector<audit::AuditEntry> Audited(const std::string& action) {
    audit::AuditFilter filter;
    filter.action_prefix = action;
    filter.limit = 1000;
    auto entries = audit::List(test_db_->db(), filter);
    EXPECT_TRUE(entries.ok());
    std::vector<audit::AuditEntry> out;
    if (!entries.ok()) return out;
    for (auto it = entries->rbegin(); it != entries->rend(); ++it) {
      if (it->event.action == action) out.push_back(*it);
    }
    return out;
  }

  std::vector<std::string> QueueIds(const accounts::Actor& actor, const QueueFilter& filter, int64_t* total = nullptr) {
    auto page = service_->Queue(actor, filter);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> ids;
    if (!page.ok()) return ids;
    for (const QueueItem& item : page->items) ids.push_back(item.id);
    if (total != nullptr) *total = page->total;
    return ids;
  }

  int64_t CountRows(const std::string& sql) {
    int64_t count = -1;
    Status read = test_db_->db().Read([&](storage::Tx& tx) -> Status {
      PW_ASSIGN_OR_RETURN(auto row, tx.QueryOne(sql));
      count = row.Int(0);
      return Status::Ok();
    });
    EXPECT_TRUE(read.ok()) << read.ToString();
    return count;
  }

  ManualClock clock_{kStart};
  crypto::SecretBox box_ = crypto::SecretBox::FromHexKeys({std::string(64, 'b')}).value();
  cards::CardKeys keys_{box_};
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<accounts::AccountService> staff_;
  std::unique_ptr<cards::CardService> cards_;
  std::unique_ptr<portal::CitizenAccounts> citizens_;
  std::unique_ptr<portal::MailOutbox> outbox_;
  std::unique_ptr<portal::Mailbox> mailbox_;
  std::unique_ptr<ApplicationService> service_;
  accounts::Actor cli_;
  accounts::Actor admin_;
  accounts::Actor sofia_;  // the social office
  accounts::Actor emil_;   // the volunteer office
  accounts::Actor ella_;   // the volunteer office, the second pair of eyes
  int64_t municipality_ = 0;
  int64_t other_municipality_ = 0;
  int64_t social_ = 0;
  int64_t volunteer_ = 0;
  cards::Scheme social_scheme_;
  cards::Scheme volunteer_scheme_;
  CitizenSession erika_;
  CitizenSession max_;
};

// ------------------------------------------------------------ forms

TEST_P(ApplicationServiceTest, FormsAreLoadedAsVersionsByTheMunicipality) {
  auto begun = service_->CreateDraft(erika_, kSocial);  // under version 1
  ASSERT_TRUE(begun.ok()) << begun.status().ToString();
  EXPECT_EQ(*service_->LoadForm(admin_, municipality_, SocialText()), 1);  // the same text: nothing new
  json changed = json::parse(SocialText());
  changed["title"]["de"] = "Sozialpass Kellenhusen – Antrag";
  EXPECT_EQ(*service_->LoadForm(admin_, municipality_, changed.dump()), 2);
  EXPECT_EQ(*service_->LoadForm(admin_, municipality_, changed.dump()), 2);
  auto offer = service_->Offer(kSocial);
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(offer->version, 2);
  EXPECT_EQ(offer->form->title.de, "Sozialpass Kellenhusen – Antrag");
  EXPECT_EQ(offer->department_name, "Sozialamt");
  EXPECT_EQ(offer->municipality_name, "Kellenhusen (Ostsee)");
  EXPECT_EQ(Audited("form.load").size(), 3u);
  // A new application takes the new version; one begun keeps its own.
  EXPECT_EQ(service_->CreateDraft(erika_, kSocial)->form_version, 2);
  EXPECT_EQ(service_->CitizenApplication(erika_, begun->id)->form_version, 1);
  auto old_form = service_->FormVersion(social_scheme_.id, 1);
  ASSERT_TRUE(old_form.ok());
  EXPECT_EQ((*old_form)->title.de, "Sozialpass Kellenhusen beantragen");

  auto offers = service_->Offers();
  ASSERT_TRUE(offers.ok());
  ASSERT_EQ(offers->size(), 2u);
  std::set<std::string> schemes;
  for (const FormOffer& o : *offers) schemes.insert(o.scheme);
  EXPECT_EQ(schemes, (std::set<std::string>{kSocial, kVolunteer}));
  EXPECT_EQ(service_->Offer(kVolunteer)->department_name, "Ehrenamtsbüro");
  EXPECT_EQ(service_->Offer("nowhere").status().code(), ErrorCode::kNotFound);

  // Another municipality's scheme, another kind, a broken form, the wrong people.
  auto elsewhere = service_->LoadForm(cli_, other_municipality_, SocialText());
  EXPECT_EQ(elsewhere.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(elsewhere.status().field(), "scheme");
  json wrong_kind = json::parse(VolunteerText());
  wrong_kind["scheme"] = kSocial;
  auto kind = service_->LoadForm(admin_, municipality_, wrong_kind.dump());
  EXPECT_EQ(kind.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind.status().field(), "kind");
  json unknown = json::parse(SocialText());
  unknown["scheme"] = "nowhere-pass";
  EXPECT_FALSE(service_->LoadForm(admin_, municipality_, unknown.dump()).ok());
  EXPECT_EQ(service_->LoadForm(admin_, municipality_, "{}").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->LoadForm(sofia_, municipality_, SocialText()).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->LoadForm(admin_, other_municipality_, SocialText()).status().code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->Offer(kSocial)->version, 2);
}

// ------------------------------------------------------------ the applicant

TEST_P(ApplicationServiceTest, ADraftIsPrefilledFromTheSignIn) {
  auto draft = service_->CreateDraft(erika_, kSocial);
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  EXPECT_EQ(draft->status, ApplicationStatus::kDraft);
  EXPECT_EQ(draft->reference, "");
  EXPECT_EQ(draft->scheme, kSocial);
  EXPECT_EQ(draft->scheme_name, "Sozialpass Kellenhusen");
  EXPECT_EQ(draft->department_id, social_);
  EXPECT_EQ(draft->department_name, "Sozialamt");
  EXPECT_EQ(draft->kind, cards::SchemeKind::kSocialPass);
  EXPECT_EQ(draft->form_version, 1);
  EXPECT_FALSE(draft->renewal);
  EXPECT_EQ(draft->answers, Holder("Erika", "Mustermann"));  // the form asks for no e-mail
  EXPECT_EQ(EventKinds(*draft), std::vector<std::string>{"created"});
  EXPECT_EQ(service_->CitizenApplications(erika_)->size(), 1u);
  EXPECT_TRUE(service_->CitizenApplications(max_)->empty());
  EXPECT_EQ(service_->CitizenApplication(max_, draft->id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->DeleteDraft(max_, draft->id).code(), ErrorCode::kNotFound);

  // A birth date the form cannot read is left for the applicant; no attributes, no prefill.
  portal::Attributes odd = Person("Otto", "Odd", "01.04.1980");
  auto otto = SignIn("saml:otto", accounts::Assurance::kSubstantial, odd);
  auto otto_draft = service_->CreateDraft(otto, kSocial);
  ASSERT_TRUE(otto_draft.ok());
  EXPECT_FALSE(otto_draft->answers.contains("birth_date"));
  EXPECT_EQ(otto_draft->answers["given_name"], "Otto");
  auto bare = SignIn("saml:bare", accounts::Assurance::kSubstantial);
  EXPECT_EQ(service_->CreateDraft(bare, kSocial)->answers, json::object());

  // The social pass needs a substantial sign-in; the volunteer card does not.
  auto low = SignIn("saml:lena", accounts::Assurance::kLow, Person("Lena", "Leicht", "1999-09-09"));
  EXPECT_EQ(service_->CreateDraft(low, kSocial).status().code(), ErrorCode::kPermissionDenied);
  auto volunteer = service_->CreateDraft(low, kVolunteer);
  ASSERT_TRUE(volunteer.ok()) << volunteer.status().ToString();
  EXPECT_EQ(volunteer->answers["given_name"], "Lena");
  EXPECT_EQ(service_->CreateDraft(erika_, "nowhere").status().code(), ErrorCode::kNotFound);

  // Drafts are deleted by their owner; at most ten at once.
  ASSERT_TRUE(service_->DeleteDraft(erika_, draft->id).ok());
  EXPECT_EQ(service_->CitizenApplication(erika_, draft->id).status().code(), ErrorCode::kNotFound);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(service_->CreateDraft(erika_, kSocial).ok()) << i;
  EXPECT_EQ(service_->CreateDraft(erika_, kSocial).status().code(), ErrorCode::kResourceExhausted);
}

TEST_P(ApplicationServiceTest, AnswersOfTheWrongTypeAreRefusedOtherProblemsReturned) {
  auto draft = service_->CreateDraft(erika_, kSocial);
  ASSERT_TRUE(draft.ok());
  const std::string id = draft->id;
  struct Refused {
    json answers;
    std::string field;
  };
  const std::vector<Refused> refused = {
      {{{"benefit", 5}}, "benefit"},
      {{{"notice_valid_until", true}}, "notice_valid_until"},
      {{{"given_name", json::array({"Erika"})}}, "given_name"},
      {{{"household_members", "Max und Mia"}}, "household_members"},
      {{{"colour", "blue"}}, "colour"},
      {{{"notice", "bescheid.pdf"}}, "notice"},
  };
  for (const Refused& r : refused) {
    std::vector<FieldError> problems;
    auto result = service_->UpdateAnswers(erika_, id, r.answers, &problems);
    EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument) << r.answers.dump();
    EXPECT_EQ(result.status().field(), r.field) << r.answers.dump();
  }
  EXPECT_EQ(service_->UpdateAnswers(erika_, id, json::array()).status().field(), "answers");
  // Nothing of it was stored.
  EXPECT_EQ(service_->CitizenApplication(erika_, id)->answers, Holder("Erika", "Mustermann"));

  std::vector<FieldError> problems;
  auto updated = service_->UpdateAnswers(
      erika_, id, {{"postal_code", "2374"}, {"benefit", "lottery"}, {"notice_valid_until", "2020-01-01"}}, &problems);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(Codes(problems), (std::map<std::string, std::string>{{"postal_code", "invalid"},
                                                                 {"benefit", "not_an_option"},
                                                                 {"notice_valid_until", "too_early"}}));
  EXPECT_EQ(updated->answers["benefit"], "lottery");  // kept, to be corrected
  updated = service_->UpdateAnswers(erika_, id,
                                    {{"postal_code", "23746"},
                                     {"benefit", "wohngeld"},
                                     {"notice_valid_until", "2027-03-31"},
                                     {"notice_authority", "  Jobcenter Ostholstein  "}},
                                    &problems);
  ASSERT_TRUE(updated.ok());
  EXPECT_TRUE(problems.empty());  // a draft: what is missing is no problem yet
  EXPECT_EQ(updated->answers["notice_authority"], "Jobcenter Ostholstein");
  updated = service_->UpdateAnswers(erika_, id, {{"notice_valid_until", nullptr}}, &problems);
  ASSERT_TRUE(updated.ok());
  EXPECT_FALSE(updated->answers.contains("notice_valid_until"));
  EXPECT_EQ(updated->answers["benefit"], "wohngeld");
  EXPECT_EQ(service_->UpdateAnswers(max_, id, {{"benefit", "wohngeld"}}).status().code(), ErrorCode::kNotFound);

  // Numbers and yes/no are not strings; hidden answers are not kept.
  auto volunteer = service_->CreateDraft(erika_, kVolunteer);
  ASSERT_TRUE(volunteer.ok());
  for (const char* field : {"hours_per_week", "unpaid"}) {
    json answers = {{"basis", "volunteering"}, {field, "5"}};
    auto result = service_->UpdateAnswers(erika_, volunteer->id, answers);
    EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument) << field;
    EXPECT_EQ(result.status().field(), field);
  }
  auto hidden = service_->UpdateAnswers(erika_, volunteer->id,
                                        {{"basis", "juleica"}, {"activity", "Training"}, {"hours_per_week", 3}});
  ASSERT_TRUE(hidden.ok()) << hidden.status().ToString();
  EXPECT_FALSE(hidden->answers.contains("activity"));
  EXPECT_FALSE(hidden->answers.contains("hours_per_week"));
  EXPECT_EQ(hidden->answers["basis"], "juleica");
}

TEST_P(ApplicationServiceTest, DocumentsArePdfsOrImagesOfTheFormsDocumentFields) {
  auto draft = service_->CreateDraft(erika_, kSocial);
  ASSERT_TRUE(draft.ok());
  const std::string id = draft->id;
  auto pdf = service_->AddDocument(erika_, id, "notice", {"Bescheid 2026.pdf", kPdf});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_EQ(pdf->field, "notice");
  EXPECT_EQ(pdf->type, "application/pdf");
  EXPECT_EQ(pdf->name, "Bescheid 2026.pdf");
  EXPECT_EQ(pdf->size, static_cast<int64_t>(kPdf.size()));
  EXPECT_EQ(service_->AddDocument(erika_, id, "notice", {"bescheid.pdf", "<html><script>alert(1)</script></html>"})
                .status()
                .code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->AddDocument(erika_, id, "notice", {"notiz.txt", "Mein Bescheid kommt später."}).status().code(),
            ErrorCode::kInvalidArgument);
  auto unknown = service_->AddDocument(erika_, id, "passport", {"pass.pdf", kPdf});
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().field(), "field");
  EXPECT_EQ(service_->AddDocument(erika_, id, "benefit", {"a.pdf", kPdf}).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->AddDocument(max_, id, "notice", {"a.pdf", kPdf}).status().code(), ErrorCode::kNotFound);
  auto stored = service_->CitizenApplication(erika_, id);
  ASSERT_EQ(stored->documents.size(), 1u);
  EXPECT_EQ(stored->documents[0].id, pdf->id);
  auto read = service_->CitizenDocument(erika_, id, pdf->id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data, kPdf);
  EXPECT_EQ(read->type, "application/pdf");
  EXPECT_EQ(service_->CitizenDocument(max_, id, pdf->id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->RemoveDocument(max_, id, pdf->id).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(service_->RemoveDocument(erika_, id, pdf->id).ok());
  EXPECT_TRUE(service_->CitizenApplication(erika_, id)->documents.empty());
  EXPECT_EQ(service_->RemoveDocument(erika_, id, pdf->id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->CitizenDocument(erika_, id, pdf->id).status().code(), ErrorCode::kNotFound);
}

TEST_P(ApplicationServiceTest, SubmitChecksEverythingThenOpensTheCase) {
  auto draft = service_->CreateDraft(erika_, kSocial);
  ASSERT_TRUE(draft.ok());
  const std::string id = draft->id;
  std::vector<FieldError> problems;
  auto incomplete = service_->Submit(erika_, id, &problems);
  EXPECT_EQ(incomplete.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Codes(problems), (std::map<std::string, std::string>{{"benefit", "required"},
                                                                 {"notice_authority", "required"},
                                                                 {"notice_valid_until", "required"},
                                                                 {"notice", "required"}}));
  EXPECT_EQ(CitizenStatus(erika_, id), ApplicationStatus::kDraft);
  EXPECT_TRUE(mailbox_->CitizenThreads(erika_)->empty());
  EXPECT_EQ(service_->ReceiptPdf(erika_, id, "de").status().code(), ErrorCode::kFailedPrecondition);

  ASSERT_TRUE(service_
                  ->UpdateAnswers(erika_, id,
                                  {{"benefit", "buergergeld"},
                                   {"notice_authority", "Jobcenter Ostholstein"},
                                   {"notice_valid_until", "2027-03-31"}})
                  .ok());
  ASSERT_TRUE(service_->AddDocument(erika_, id, "notice", {"bescheid.pdf", kPdf}).ok());
  clock_.Advance(60);
  auto submitted = service_->Submit(erika_, id, &problems);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(submitted->status, ApplicationStatus::kSubmitted);
  EXPECT_EQ(submitted->reference, "SP-2026-000001");
  EXPECT_EQ(submitted->submitted_at, clock_.NowUnix());
  EXPECT_FALSE(submitted->thread_id.empty());
  EXPECT_EQ(EventKinds(*submitted), (std::vector<std::string>{"created", "submitted"}));
  auto threads = mailbox_->CitizenThreads(erika_);
  ASSERT_TRUE(threads.ok());
  ASSERT_EQ(threads->size(), 1u);
  EXPECT_EQ((*threads)[0].id, submitted->thread_id);
  ASSERT_TRUE((*threads)[0].case_ref.has_value());
  EXPECT_EQ((*threads)[0].case_ref->id, id);
  EXPECT_EQ((*threads)[0].case_state, "submitted");
  EXPECT_EQ((*threads)[0].department_id, social_);
  auto thread = mailbox_->CitizenThread(erika_, submitted->thread_id);
  ASSERT_TRUE(thread.ok());
  ASSERT_EQ(thread->messages.size(), 1u);
  EXPECT_NE(thread->messages[0].body.find("SP-2026-000001"), std::string::npos);

  // Again (a double click): the same application, nothing new.
  clock_.Advance(60);
  auto again = service_->Submit(erika_, id, &problems);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, ApplicationStatus::kSubmitted);
  EXPECT_EQ(again->reference, submitted->reference);
  EXPECT_EQ(again->updated_at, submitted->updated_at);
  EXPECT_EQ(again->thread_id, submitted->thread_id);
  EXPECT_EQ(mailbox_->CitizenThreads(erika_)->size(), 1u);
  EXPECT_EQ(mailbox_->CitizenThread(erika_, submitted->thread_id)->messages.size(), 1u);
  EXPECT_EQ(Audited("application.submit").size(), 1u);
  // What was sent stays as it was.
  EXPECT_EQ(service_->UpdateAnswers(erika_, id, {{"benefit", "wohngeld"}}).status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->AddDocument(erika_, id, "further_evidence", {"b.pdf", kPdf}).status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->RemoveDocument(erika_, id, submitted->documents[0].id).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->DeleteDraft(erika_, id).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->Submit(max_, id).status().code(), ErrorCode::kNotFound);
  auto receipt = service_->ReceiptPdf(erika_, id, "de");
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->rfind("%PDF", 0), 0u);

  // The next one counts on.
  EXPECT_EQ(SubmitSocial(max_).reference, "SP-2026-000002");
  Reopen();
  auto stored = service_->CitizenApplication(erika_, id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->status, ApplicationStatus::kSubmitted);
  EXPECT_EQ(stored->answers["benefit"], "buergergeld");
  EXPECT_EQ(stored->documents.size(), 1u);
  EXPECT_EQ(SubmitSocial(erika_).reference, "SP-2026-000003");
}

// ------------------------------------------------------------ staff

TEST_P(ApplicationServiceTest, OnlyTheResponsibleDepartmentSeesAnApplication) {
  Application app = SubmitSocial(erika_);
  ASSERT_EQ(app.documents.size(), 1u);
  const std::string doc = app.documents[0].id;
  EXPECT_EQ(service_->StaffApplication(emil_, app.id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->StaffDocument(emil_, app.id, doc).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->Decide(emil_, app.id, Decision::kApprove, "").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->Decide(emil_, app.id, Decision::kReject, "Nein").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->AddNote(emil_, app.id, "Notiz").code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->ExportCsv(emil_, social_).status().code(), ErrorCode::kNotFound);
  int64_t total = -1;
  EXPECT_TRUE(QueueIds(emil_, {}, &total).empty());
  EXPECT_EQ(total, 0);
  QueueFilter social_only;
  social_only.department_id = social_;
  EXPECT_TRUE(QueueIds(emil_, social_only).empty());
  EXPECT_EQ(CitizenStatus(erika_, app.id), ApplicationStatus::kSubmitted);  // nobody opened it
  EXPECT_EQ(service_->CitizenApplication(max_, app.id).status().code(), ErrorCode::kNotFound);
  // A draft is the applicant's own.
  auto draft = service_->CreateDraft(max_, kSocial);
  ASSERT_TRUE(draft.ok());
  EXPECT_EQ(service_->StaffApplication(sofia_, draft->id).status().code(), ErrorCode::kNotFound);

  // A token without applications:read is told so; one with it may read, not decide.
  accounts::Actor token = sofia_;
  token.id = "token:1";
  token.via_token = true;
  token.scopes = {"cards:read"};
  EXPECT_EQ(service_->Queue(token, {}).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->StaffApplication(token, app.id).status().code(), ErrorCode::kPermissionDenied);
  token.scopes = {"applications:read"};
  EXPECT_EQ(QueueIds(token, {}), std::vector<std::string>{app.id});
  auto read = service_->StaffApplication(token, app.id);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->status, ApplicationStatus::kSubmitted);  // reading with a token starts no review
  EXPECT_EQ(service_->Decide(token, app.id, Decision::kApprove, "").status().code(), ErrorCode::kPermissionDenied);
  // Roles without the action.
  auto auditor = accounts::testing::InMemoryStaff(9001, accounts::Role::kAuditor, std::nullopt);
  EXPECT_EQ(service_->Queue(auditor, {}).status().code(), ErrorCode::kPermissionDenied);
  auto landlord = accounts::testing::InMemoryStaff(9002, accounts::Role::kLandlord, municipality_);
  EXPECT_EQ(service_->Queue(landlord, {}).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(service_->Statistics(landlord).status().code(), ErrorCode::kPermissionDenied);
}

TEST_P(ApplicationServiceTest, OpeningStartsTheReviewAndEveryReadIsAudited) {
  Application app = SubmitSocial(erika_);
  const std::string doc = app.documents.at(0).id;
  clock_.Advance(3600);
  auto read = service_->StaffApplication(sofia_, app.id);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->status, ApplicationStatus::kInReview);
  EXPECT_EQ(read->answers["benefit"], "wohngeld");
  EXPECT_EQ(read->documents.size(), 1u);
  EXPECT_EQ(EventKinds(*read).back(), "review_started");
  EXPECT_EQ(CitizenStatus(erika_, app.id), ApplicationStatus::kInReview);
  EXPECT_EQ(CaseState(erika_, app.id), "in_review");
  auto reads = Audited("application.read");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].event.actor, sofia_.id);
  EXPECT_EQ(reads[0].event.object, "application:" + app.id);
  auto pdf = service_->StaffDocument(sofia_, app.id, doc);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  EXPECT_EQ(pdf->data, kPdf);
  EXPECT_EQ(Audited("application.document").size(), 1u);
  EXPECT_EQ(service_->StaffDocument(sofia_, app.id, "nope").status().code(), ErrorCode::kNotFound);
  // Read again: still in review, audited again.
  EXPECT_EQ(service_->StaffApplication(sofia_, app.id)->status, ApplicationStatus::kInReview);
  EXPECT_EQ(Audited("application.read").size(), 2u);
  QueueIds(sofia_, {});
  EXPECT_EQ(Audited("applications.list").size(), 1u);
  // Internal notes: staff see them, the applicant does not.
  EXPECT_EQ(service_->AddNote(sofia_, app.id, " \n ").code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(service_->AddNote(sofia_, app.id, "Bescheid geprüft, Zeitraum passt.").ok());
  auto with_note = service_->StaffApplication(sofia_, app.id);
  ASSERT_EQ(with_note->notes.size(), 1u);
  EXPECT_EQ(with_note->notes[0].text, "Bescheid geprüft, Zeitraum passt.");
  EXPECT_EQ(with_note->notes[0].author, "sofia");
  EXPECT_TRUE(service_->CitizenApplication(erika_, app.id)->notes.empty());
  EXPECT_EQ(Audited("application.note").size(), 1u);
}

TEST_P(ApplicationServiceTest, TheOfficeAsksForInformationAndTheApplicantAnswers) {
  Application app = SubmitSocial(erika_);
  ASSERT_TRUE(service_->StaffApplication(sofia_, app.id).ok());
  auto no_reason = service_->Decide(sofia_, app.id, Decision::kRequestInformation, "  ");
  EXPECT_EQ(no_reason.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_reason.status().field(), "reason");
  const std::string question = "Bitte laden Sie alle Seiten des Bescheids hoch.";
  auto asked = service_->Decide(sofia_, app.id, Decision::kRequestInformation, question);
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ(asked->status, ApplicationStatus::kNeedsInformation);
  EXPECT_EQ(asked->reason, question);
  auto seen = service_->CitizenApplication(erika_, app.id);
  EXPECT_EQ(seen->status, ApplicationStatus::kNeedsInformation);
  EXPECT_EQ(seen->reason, question);
  EXPECT_EQ(CaseState(erika_, app.id), "needs_information");
  auto thread = mailbox_->CitizenThread(erika_, app.thread_id);
  ASSERT_TRUE(thread.ok());
  ASSERT_EQ(thread->messages.size(), 2u);
  EXPECT_NE(thread->messages[1].body.find(question), std::string::npos);
  // The applicant answers: changes the answers, adds a document, sends it back.
  ASSERT_TRUE(service_->UpdateAnswers(erika_, app.id, {{"notice_authority", "Jobcenter Ostholstein"}}).ok());
  auto more = service_->AddDocument(erika_, app.id, "further_evidence", {"seite2.pdf", kPdf});
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  auto answered = service_->Submit(erika_, app.id);
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_EQ(answered->status, ApplicationStatus::kInReview);
  EXPECT_EQ(answered->reference, app.reference);
  EXPECT_EQ(answered->documents.size(), 2u);
  EXPECT_EQ(answered->answers["notice_authority"], "Jobcenter Ostholstein");
  EXPECT_EQ(EventKinds(*answered).back(), "information_provided");
  EXPECT_EQ(CaseState(erika_, app.id), "in_review");
  EXPECT_EQ(service_->UpdateAnswers(erika_, app.id, {{"benefit", "wohngeld"}}).status().code(),
            ErrorCode::kFailedPrecondition);
  QueueFilter in_review;
  in_review.status = ApplicationStatus::kInReview;
  EXPECT_EQ(QueueIds(sofia_, in_review), std::vector<std::string>{app.id});
}

TEST_P(ApplicationServiceTest, ApprovalIssuesACardForEveryoneInTheHousehold) {
  json household = json::array({{{"given_name", "Max"}, {"family_name", "Mustermann"}, {"birth_date", "2015-03-01"}},
                                {{"given_name", "Mia"}, {"family_name", "Mustermann"}, {"birth_date", "2019-01-15"}}});
  Application app = SubmitSocial(erika_, {{"household_members", household}, {"notice_valid_until", "2027-03-31"}});
  auto approved = service_->Decide(sofia_, app.id, Decision::kApprove, "");
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  EXPECT_EQ(approved->status, ApplicationStatus::kApproved);
  EXPECT_EQ(approved->decided_at, clock_.NowUnix());
  // The notice runs longer than the year: the card ends on 31 December.
  EXPECT_EQ(approved->valid_until, D("2026-12-31"));
  ASSERT_EQ(approved->card_numbers.size(), 3u);
  auto linked = citizens_->LinkedCards(erika_.account);
  ASSERT_TRUE(linked.ok());
  ASSERT_EQ(linked->size(), 3u);
  auto issued = cards_->CardsByIds(*linked);
  ASSERT_TRUE(issued.ok());
  ASSERT_EQ(issued->size(), 3u);
  std::set<std::string> numbers;
  for (const cards::Card& card : *issued) {
    numbers.insert(card.card_number);
    EXPECT_EQ(card.scheme_id, social_scheme_.id);
    EXPECT_EQ(card.valid_from, D("2026-06-15"));
    EXPECT_EQ(card.valid_until, D("2026-12-31"));
    EXPECT_EQ(card.state, cards::CardState::kActive);
  }
  EXPECT_EQ(numbers, std::set<std::string>(approved->card_numbers.begin(), approved->card_numbers.end()));
  auto member = cards_->GetCard(sofia_, approved->card_numbers[1]);
  ASSERT_TRUE(member.ok()) << member.status().ToString();
  EXPECT_EQ(member->holder.given_name, "Max");
  EXPECT_EQ(member->holder.birth_date, "2015-03-01");
  EXPECT_EQ(member->holder.street, "Strandstraße 1");
  EXPECT_EQ(member->holder.postal_code, "23746");
  auto seen = service_->CitizenApplication(erika_, app.id);
  EXPECT_EQ(seen->card_numbers, approved->card_numbers);
  EXPECT_EQ(seen->valid_until, D("2026-12-31"));
  EXPECT_EQ(CaseState(erika_, app.id), "approved");
  EXPECT_EQ(EventKinds(*seen).back(), "approved");

  // A notice that ends earlier ends the card earlier.
  Application short_one = SubmitSocial(max_, {{"notice_valid_until", "2026-09-30"}});
  auto approved_short = service_->Decide(sofia_, short_one.id, Decision::kApprove, "");
  ASSERT_TRUE(approved_short.ok()) << approved_short.status().ToString();
  EXPECT_EQ(approved_short->valid_until, D("2026-09-30"));
  ASSERT_EQ(approved_short->card_numbers.size(), 1u);
  auto max_cards = cards_->CardsByIds(*citizens_->LinkedCards(max_.account));
  ASSERT_EQ(max_cards->size(), 1u);
  EXPECT_EQ((*max_cards)[0].valid_until, D("2026-09-30"));

  auto csv = service_->ExportCsv(sofia_, social_);
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  EXPECT_NE(csv->find(app.reference + ";approved;" + kSocial), std::string::npos) << *csv;
  EXPECT_EQ(Audited("applications.export").size(), 1u);
}

TEST_P(ApplicationServiceTest, DecisionsAreFinalAndWithdrawnApplicationsAreNotDecided) {
  Application rejected = SubmitSocial(erika_);
  auto no_reason = service_->Decide(sofia_, rejected.id, Decision::kReject, "");
  EXPECT_EQ(no_reason.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_reason.status().field(), "reason");
  const std::string reason = "Der Bescheid ist seit dem 31.05.2026 abgelaufen.";
  auto decided = service_->Decide(sofia_, rejected.id, Decision::kReject, reason);
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_EQ(decided->status, ApplicationStatus::kRejected);
  EXPECT_EQ(decided->reason, reason);
  EXPECT_TRUE(decided->card_numbers.empty());
  EXPECT_EQ(service_->CitizenApplication(erika_, rejected.id)->reason, reason);
  EXPECT_EQ(CaseState(erika_, rejected.id), "rejected");
  for (Decision d : {Decision::kApprove, Decision::kReject, Decision::kRequestInformation}) {
    EXPECT_EQ(service_->Decide(sofia_, rejected.id, d, "noch einmal").status().code(),
              ErrorCode::kFailedPrecondition);
  }
  EXPECT_EQ(service_->Withdraw(erika_, rejected.id).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->Submit(erika_, rejected.id).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(citizens_->LinkedCards(erika_.account)->empty());

  Application withdrawn = SubmitSocial(erika_);
  ASSERT_TRUE(service_->StaffApplication(sofia_, withdrawn.id).ok());
  auto gone = service_->Withdraw(erika_, withdrawn.id);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(gone->status, ApplicationStatus::kWithdrawn);
  EXPECT_EQ(CaseState(erika_, withdrawn.id), "withdrawn");
  EXPECT_EQ(service_->Withdraw(max_, withdrawn.id).status().code(), ErrorCode::kNotFound);
  for (Decision d : {Decision::kApprove, Decision::kReject, Decision::kRequestInformation}) {
    EXPECT_EQ(service_->Decide(sofia_, withdrawn.id, d, "trotzdem").status().code(),
              ErrorCode::kFailedPrecondition);
  }
  EXPECT_EQ(service_->Withdraw(erika_, withdrawn.id).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->Submit(erika_, withdrawn.id).status().code(), ErrorCode::kFailedPrecondition);

  Application approved = SubmitSocial(erika_);
  ASSERT_TRUE(service_->Decide(sofia_, approved.id, Decision::kApprove, "").ok());
  EXPECT_EQ(service_->Decide(sofia_, approved.id, Decision::kApprove, "").status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->Withdraw(erika_, approved.id).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(citizens_->LinkedCards(erika_.account)->size(), 1u);  // issued once
}

// ------------------------------------------------------------ the volunteer card

TEST_P(ApplicationServiceTest, TheOrganisationConfirmsAndTwoClerksApprove) {
  std::string token;
  Application app = SubmitVolunteer(erika_, &token);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(app.status, ApplicationStatus::kAwaitingConfirmation);
  EXPECT_EQ(app.reference, "EA-2026-000001");
  ASSERT_TRUE(app.confirmation.has_value());
  EXPECT_EQ(app.confirmation->state, ConfirmationState::kPending);
  EXPECT_EQ(app.confirmation->expires_at, clock_.NowUnix() + 14 * kDay);
  EXPECT_EQ(CaseState(erika_, app.id), "awaiting_confirmation");
  EXPECT_EQ(*outbox_->Pending(), 1);  // the request to the organisation
  // Nothing to approve before the organisation has answered.
  EXPECT_EQ(service_->Decide(emil_, app.id, Decision::kApprove, "").status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->Decide(emil_, app.id, Decision::kRequestInformation, "Wann?").status().code(),
            ErrorCode::kFailedPrecondition);

  // The link shows what is to be confirmed, and nothing else.
  auto request = service_->ConfirmationByToken(token);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->organisation, "TSV Kellenhusen");
  EXPECT_EQ(request->contact, "Otto Vorstand");
  EXPECT_EQ(request->scheme_name, "Ehrenamtskarte Kellenhusen");
  EXPECT_EQ(request->municipality_name, "Kellenhusen (Ostsee)");
  EXPECT_EQ(request->state, ConfirmationState::kPending);
  std::vector<std::string> shown;
  for (const auto& [field, value] : request->shown) shown.push_back(field->id);
  EXPECT_EQ(shown, (std::vector<std::string>{"given_name", "family_name", "activity", "since", "hours_per_week"}));
  EXPECT_EQ(service_->ConfirmationByToken("not-a-token").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->AnswerConfirmation("not-a-token", true, "", "r").code(), ErrorCode::kNotFound);

  // Sent again at most three times; each time a new link, the old one void.
  std::string link;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(service_->ResendConfirmation(erika_, app.id, &link).ok()) << i;
    EXPECT_NE(TokenOf(link), token);
    EXPECT_EQ(service_->ConfirmationByToken(token).status().code(), ErrorCode::kNotFound);
    token = TokenOf(link);
  }
  EXPECT_EQ(service_->ResendConfirmation(erika_, app.id, &link).code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(service_->ResendConfirmation(max_, app.id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(*outbox_->Pending(), 4);
  EXPECT_EQ(service_->CitizenApplication(erika_, app.id)->confirmation->resends, 3);

  ASSERT_TRUE(service_->AnswerConfirmation(token, true, "", "r").ok());
  auto confirmed = service_->CitizenApplication(erika_, app.id);
  EXPECT_EQ(confirmed->status, ApplicationStatus::kSubmitted);
  EXPECT_EQ(confirmed->confirmation->state, ConfirmationState::kConfirmed);
  EXPECT_EQ(confirmed->confirmation->answered_at, clock_.NowUnix());
  EXPECT_EQ(CaseState(erika_, app.id), "submitted");
  EXPECT_EQ(service_->AnswerConfirmation(token, true, "", "r").code(), ErrorCode::kNotFound);  // once
  EXPECT_EQ(service_->AnswerConfirmation(token, false, "doch nicht", "r").code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->ConfirmationByToken(token).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->ResendConfirmation(erika_, app.id).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Audited("application.confirmed").size(), 1u);

  // Four eyes: the first approval waits for a second clerk.
  EXPECT_EQ(service_->StaffApplication(emil_, app.id)->status, ApplicationStatus::kInReview);
  auto first = service_->Decide(emil_, app.id, Decision::kApprove, "");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->status, ApplicationStatus::kPendingSecondApproval);
  EXPECT_EQ(first->first_approver, "emil");
  EXPECT_TRUE(first->card_numbers.empty());
  EXPECT_TRUE(citizens_->LinkedCards(erika_.account)->empty());
  EXPECT_EQ(service_->Decide(emil_, app.id, Decision::kApprove, "").status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->Decide(ella_, app.id, Decision::kRequestInformation, "Wann?").status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->Decide(sofia_, app.id, Decision::kApprove, "").status().code(), ErrorCode::kNotFound);
  auto second = service_->Decide(ella_, app.id, Decision::kApprove, "");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->status, ApplicationStatus::kApproved);
  ASSERT_EQ(second->card_numbers.size(), 1u);
  EXPECT_EQ(second->valid_until, D("2029-06-14"));  // three years
  EXPECT_EQ(second->valid_until, cards::ValidityPeriod(volunteer_scheme_, D("2026-06-15")).second);
  auto events = EventKinds(*second);
  EXPECT_NE(std::find(events.begin(), events.end(), "first_approval"), events.end());
  EXPECT_EQ(events.back(), "approved");
  auto cards = cards_->CardsByIds(*citizens_->LinkedCards(erika_.account));
  ASSERT_EQ(cards->size(), 1u);
  EXPECT_EQ((*cards)[0].card_number, second->card_numbers[0]);
  EXPECT_EQ((*cards)[0].scheme_id, volunteer_scheme_.id);
}

TEST_P(ApplicationServiceTest, TheOrganisationMayDeclineAndLinksExpire) {
  std::string token;
  Application declined = SubmitVolunteer(erika_, &token);
  EXPECT_EQ(service_->AnswerConfirmation(token, false, " ", "r").code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(service_->AnswerConfirmation(token, false, "Frau Mustermann ist bei uns nicht aktiv.", "r").ok());
  auto seen = service_->StaffApplication(emil_, declined.id);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_EQ(seen->status, ApplicationStatus::kInReview);
  ASSERT_TRUE(seen->confirmation.has_value());
  EXPECT_EQ(seen->confirmation->state, ConfirmationState::kDeclined);
  EXPECT_EQ(seen->confirmation->reason, "Frau Mustermann ist bei uns nicht aktiv.");
  EXPECT_EQ(Audited("application.declined").size(), 1u);
  ASSERT_TRUE(service_->Decide(emil_, declined.id, Decision::kReject, "Das Engagement ist nicht bestätigt.").ok());

  // Fourteen days, then the link is void; a resend makes a new one.
  std::string late_token;
  Application late = SubmitVolunteer(max_, &late_token);
  clock_.Advance(14 * kDay + 1);
  EXPECT_EQ(service_->ConfirmationByToken(late_token).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(service_->AnswerConfirmation(late_token, true, "", "r").code(), ErrorCode::kNotFound);
  std::string link;
  ASSERT_TRUE(service_->ResendConfirmation(max_, late.id, &link).ok());
  ASSERT_TRUE(service_->ConfirmationByToken(TokenOf(link)).ok());
  ASSERT_TRUE(service_->AnswerConfirmation(TokenOf(link), true, "", "r").ok());
  EXPECT_EQ(CitizenStatus(max_, late.id), ApplicationStatus::kSubmitted);

  // With a JuLeiCa, no organisation is asked.
  std::string id = VolunteerDraft(erika_, {{"basis", "juleica"},
                                           {"juleica_number", "JL-2026-0815"},
                                           {"juleica_valid_until", "2027-12-31"}});
  std::vector<FieldError> problems;
  EXPECT_EQ(service_->Submit(erika_, id, &problems).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Codes(problems), (std::map<std::string, std::string>{{"juleica_card", "required"}}));
  ASSERT_TRUE(service_->AddDocument(erika_, id, "juleica_card", {"juleica.pdf", kPdf}).ok());
  std::string none;
  auto juleica = service_->Submit(erika_, id, &problems, nullptr, &none);
  ASSERT_TRUE(juleica.ok()) << juleica.status().ToString();
  EXPECT_EQ(juleica->status, ApplicationStatus::kSubmitted);
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(juleica->confirmation.has_value());
  EXPECT_FALSE(juleica->answers.contains("organisation_email"));

  // An address the mail outbox would refuse is a problem of the answer, named
  // there, not a submission that fails when the request is sent.
  std::string odd = VolunteerDraft(erika_);
  ASSERT_TRUE(service_->UpdateAnswers(erika_, odd, {{"organisation_email", "vorstand..otto@tsv.example"}}, &problems)
                  .ok());
  EXPECT_EQ(Codes(problems), (std::map<std::string, std::string>{{"organisation_email", "invalid"}}));
  EXPECT_EQ(service_->Submit(erika_, odd, &problems).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Codes(problems), (std::map<std::string, std::string>{{"organisation_email", "invalid"}}));
}

// ------------------------------------------------------------ renewal

TEST_P(ApplicationServiceTest, ARenewalRenewsTheSameCards) {
  json household = json::array({{{"given_name", "Max"}, {"family_name", "Mustermann"}, {"birth_date", "2015-03-01"}}});
  Application app = SubmitSocial(erika_, {{"household_members", household}, {"notice_valid_until", "2027-03-31"}});
  auto approved = service_->Decide(sofia_, app.id, Decision::kApprove, "");
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  ASSERT_EQ(approved->card_numbers.size(), 2u);
  const std::vector<std::string> numbers = approved->card_numbers;
  EXPECT_TRUE(service_->RenewalsDue(erika_)->empty());
  EXPECT_EQ(*service_->SendRenewalReminders(), 0);
  // Not yet approved: nothing to renew.
  auto plain = service_->CreateDraft(erika_, kSocial);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(service_->CreateDraft(erika_, kSocial, plain->id).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(service_->CreateDraft(max_, kSocial, app.id).status().code(), ErrorCode::kNotFound);

  // 5 December: within the form's 30 days before the card ends on 31 December.
  clock_.Advance(173 * kDay);
  ASSERT_EQ(BerlinDate(clock_.NowUnix()), D("2026-12-05"));
  auto due = service_->RenewalsDue(erika_);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].application_id, app.id);
  EXPECT_EQ((*due)[0].scheme, kSocial);
  EXPECT_EQ((*due)[0].card_number, numbers[0]);
  EXPECT_EQ((*due)[0].valid_until, D("2026-12-31"));
  EXPECT_EQ((*due)[0].draft_id, "");
  EXPECT_TRUE(service_->RenewalsDue(max_)->empty());
  EXPECT_EQ(*service_->SendRenewalReminders(), 1);
  EXPECT_EQ(*service_->SendRenewalReminders(), 0);  // once
  EXPECT_EQ(Audited("application.renewal_reminder").size(), 1u);

  auto renewal = service_->CreateDraft(erika_, kSocial, app.id);
  ASSERT_TRUE(renewal.ok()) << renewal.status().ToString();
  EXPECT_TRUE(renewal->renewal);
  EXPECT_EQ(renewal->renews, app.id);
  EXPECT_EQ(EventKinds(*renewal), std::vector<std::string>{"renewal_started"});
  EXPECT_EQ(renewal->answers["given_name"], "Erika");
  EXPECT_EQ(renewal->answers["benefit"], "wohngeld");
  EXPECT_EQ(renewal->answers["notice_authority"], "Wohngeldstelle Ostholstein");
  EXPECT_EQ(renewal->answers["notice_valid_until"], "2027-03-31");
  ASSERT_EQ(renewal->answers["household_members"].size(), 1u);
  EXPECT_EQ(renewal->answers["household_members"][0]["given_name"], "Max");
  EXPECT_TRUE(renewal->documents.empty());  // the evidence is new each time
  EXPECT_EQ(service_->CreateDraft(erika_, kSocial, app.id).status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ((*service_->RenewalsDue(erika_))[0].draft_id, renewal->id);
  auto kept = service_->UpdateAnswers(erika_, renewal->id, {{"given_name", "Erika Maria"}});
  EXPECT_EQ(kept.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(kept.status().field(), "given_name");
  ASSERT_TRUE(service_->UpdateAnswers(erika_, renewal->id, {{"notice_valid_until", "2027-06-30"}}).ok());
  std::vector<FieldError> problems;
  EXPECT_EQ(service_->Submit(erika_, renewal->id, &problems).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Codes(problems), (std::map<std::string, std::string>{{"notice", "required"}}));
  ASSERT_TRUE(service_->AddDocument(erika_, renewal->id, "notice", {"bescheid-2027.pdf", kPdf}).ok());
  auto submitted = service_->Submit(erika_, renewal->id);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  EXPECT_EQ(submitted->status, ApplicationStatus::kSubmitted);
  QueueFilter renewals;
  renewals.renewal = true;
  auto page = service_->Queue(sofia_, renewals);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, renewal->id);
  EXPECT_TRUE(page->items[0].renewal);

  auto renewed = service_->Decide(sofia_, renewal->id, Decision::kApprove, "");
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->status, ApplicationStatus::kApproved);
  EXPECT_EQ(renewed->card_numbers, numbers);  // the same cards
  EXPECT_EQ(renewed->valid_until, D("2027-06-30"));
  auto linked = citizens_->LinkedCards(erika_.account);
  ASSERT_EQ(linked->size(), 2u);
  auto cards = cards_->CardsByIds(*linked);
  ASSERT_EQ(cards->size(), 2u);
  for (const cards::Card& card : *cards) {
    EXPECT_EQ(card.valid_until, D("2027-06-30")) << card.card_number;
    EXPECT_EQ(card.state, cards::CardState::kActive);
  }
  EXPECT_TRUE(service_->RenewalsDue(erika_)->empty());
  EXPECT_EQ(*service_->SendRenewalReminders(), 0);
}

// ------------------------------------------------------------ retention

TEST_P(ApplicationServiceTest, RetentionDeletesOnTheFormsSchedule) {
  Application rejected = SubmitSocial(erika_);
  ASSERT_TRUE(service_->Decide(sofia_, rejected.id, Decision::kReject, "Keine Leistung nachgewiesen.").ok());
  Application withdrawn = SubmitSocial(erika_);
  ASSERT_TRUE(service_->Withdraw(erika_, withdrawn.id).ok());
  std::string draft = SocialDraft(erika_);
  Application approved = SubmitSocial(erika_, {{"notice_valid_until", "2026-09-30"}});
  ASSERT_TRUE(service_->Decide(sofia_, approved.id, Decision::kApprove, "").ok());
  Application open = SubmitSocial(erika_);

  auto run = [&](int day) {
    clock_.Set(kStart + day * kDay);
    auto report = service_->DeleteExpired();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? std::make_pair(report->documents_deleted, report->applications_deleted)
                       : std::make_pair(int64_t{-1}, int64_t{-1});
  };
  auto exists = [&](const std::string& id) { return service_->CitizenApplication(erika_, id).ok(); };
  using Counts = std::pair<int64_t, int64_t>;
  EXPECT_EQ(run(0), Counts(0, 0));
  EXPECT_EQ(run(29), Counts(0, 0));
  EXPECT_EQ(run(31), Counts(0, 1));  // withdrawn: after 30 days
  EXPECT_FALSE(exists(withdrawn.id));
  EXPECT_EQ(service_->StaffApplication(sofia_, withdrawn.id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(run(89), Counts(0, 0));
  EXPECT_EQ(run(91), Counts(2, 1));  // the evidence of the decided ones; the stale draft
  EXPECT_FALSE(exists(draft));
  EXPECT_TRUE(service_->CitizenApplication(erika_, rejected.id)->documents.empty());
  EXPECT_TRUE(service_->CitizenApplication(erika_, approved.id)->documents.empty());
  EXPECT_EQ(service_->CitizenApplication(erika_, approved.id)->status, ApplicationStatus::kApproved);
  EXPECT_EQ(service_->CitizenApplication(erika_, open.id)->documents.size(), 1u);  // undecided: kept
  EXPECT_EQ(run(179), Counts(0, 0));
  EXPECT_EQ(run(181), Counts(0, 1));  // rejected: after 180 days
  EXPECT_FALSE(exists(rejected.id));
  // Approved: 90 days after its card ran out on 30 September.
  EXPECT_EQ(run(196), Counts(0, 0));
  EXPECT_TRUE(exists(approved.id));
  EXPECT_EQ(run(198), Counts(0, 1));
  EXPECT_FALSE(exists(approved.id));
  // What is still being worked on stays.
  EXPECT_TRUE(exists(open.id));
  EXPECT_EQ(service_->CitizenApplication(erika_, open.id)->documents.size(), 1u);
  EXPECT_EQ(run(1000), Counts(0, 0));
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM applications.applications"), 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM applications.documents"), 1);
  EXPECT_EQ(Audited("applications.retention").size(), 4u);
}

// ------------------------------------------------------------ the queue and statistics

TEST_P(ApplicationServiceTest, TheQueueFiltersSortsAndPages) {
  auto both = accounts::testing::CreateStaff(*staff_, cli_, "beide", accounts::Role::kClerk, municipality_,
                                             {social_, volunteer_});
  Application first = SubmitSocial(erika_);
  clock_.Advance(3600);
  Application second = SubmitSocial(max_, Holder("Max", "Meier"));
  clock_.Advance(3600);
  Application third = SubmitSocial(erika_);
  clock_.Advance(3600);
  Application volunteer = SubmitVolunteer(erika_, nullptr);
  ASSERT_TRUE(service_->StaffApplication(sofia_, second.id).ok());  // in review now

  int64_t total = 0;
  EXPECT_EQ(QueueIds(sofia_, {}, &total), (std::vector<std::string>{first.id, third.id, second.id}));
  EXPECT_EQ(total, 3);
  auto page = service_->Queue(sofia_, {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items[0].applicant, "Erika Mustermann");
  EXPECT_EQ(page->items[0].reference, first.reference);
  EXPECT_EQ(page->items[0].scheme, kSocial);
  EXPECT_EQ(page->items[0].status, ApplicationStatus::kSubmitted);
  EXPECT_EQ(page->items[2].applicant, "Max Meier");
  EXPECT_EQ(page->items[2].status, ApplicationStatus::kInReview);
  QueueFilter by_submission;
  by_submission.unprocessed_first = false;
  EXPECT_EQ(QueueIds(sofia_, by_submission), (std::vector<std::string>{first.id, second.id, third.id}));
  QueueFilter status;
  status.status = ApplicationStatus::kInReview;
  EXPECT_EQ(QueueIds(sofia_, status), std::vector<std::string>{second.id});
  status.status = ApplicationStatus::kSubmitted;
  EXPECT_EQ(QueueIds(sofia_, status), (std::vector<std::string>{first.id, third.id}));
  QueueFilter scheme;
  scheme.scheme = kVolunteer;
  EXPECT_TRUE(QueueIds(sofia_, scheme).empty());
  EXPECT_EQ(QueueIds(both, scheme), std::vector<std::string>{volunteer.id});
  EXPECT_EQ(QueueIds(emil_, {}), std::vector<std::string>{volunteer.id});
  EXPECT_EQ(QueueIds(both, {}, &total).size(), 4u);
  QueueFilter department;
  department.department_id = volunteer_;
  EXPECT_EQ(QueueIds(both, department), std::vector<std::string>{volunteer.id});
  QueueFilter renewal;
  renewal.renewal = true;
  EXPECT_TRUE(QueueIds(sofia_, renewal).empty());
  renewal.renewal = false;
  EXPECT_EQ(QueueIds(sofia_, renewal).size(), 3u);

  // By the day of submission (Europe/Berlin).
  clock_.Advance(kDay);
  Application next_day = SubmitSocial(erika_);
  QueueFilter dates;
  dates.from = D("2026-06-16");
  EXPECT_EQ(QueueIds(sofia_, dates), std::vector<std::string>{next_day.id});
  dates.from = D("2026-06-15");
  dates.until = D("2026-06-15");
  EXPECT_EQ(QueueIds(sofia_, dates).size(), 3u);
  dates.from.reset();
  dates.until = D("2026-06-14");
  EXPECT_TRUE(QueueIds(sofia_, dates).empty());

  // Pages.
  QueueFilter paged;
  paged.per_page = 2;
  EXPECT_EQ(QueueIds(sofia_, paged, &total), (std::vector<std::string>{first.id, third.id}));
  EXPECT_EQ(total, 4);
  paged.page = 2;
  EXPECT_EQ(QueueIds(sofia_, paged, &total), (std::vector<std::string>{next_day.id, second.id}));
  EXPECT_EQ(total, 4);
  paged.page = 3;
  EXPECT_TRUE(QueueIds(sofia_, paged, &total).empty());
  EXPECT_EQ(total, 4);

  QueueFilter bad;
  bad.status = ApplicationStatus::kDraft;
  EXPECT_EQ(service_->Queue(sofia_, bad).status().code(), ErrorCode::kInvalidArgument);
  bad = {};
  bad.per_page = 0;
  EXPECT_EQ(service_->Queue(sofia_, bad).status().code(), ErrorCode::kInvalidArgument);
  bad = {};
  bad.page = 0;
  EXPECT_EQ(service_->Queue(sofia_, bad).status().code(), ErrorCode::kInvalidArgument);
}

TEST_P(ApplicationServiceTest, StatisticsSuppressSmallCells) {
  std::vector<Application> social;
  for (int i = 0; i < 5; ++i) social.push_back(SubmitSocial(erika_));
  SubmitVolunteer(erika_, nullptr);
  ASSERT_TRUE(service_->CreateDraft(erika_, kSocial).ok());  // drafts are not counted
  auto cell = [&](const std::vector<StatisticsCell>& cells, const std::string& scheme, ApplicationStatus status)
      -> std::optional<StatisticsCell> {
    for (const StatisticsCell& c : cells) {
      if (c.scheme == scheme && c.status == status) return c;
    }
    return std::nullopt;
  };
  // A clerk counts their own departments' applications only.
  auto cells = service_->Statistics(sofia_);
  ASSERT_TRUE(cells.ok()) << cells.status().ToString();
  EXPECT_EQ(cells->size(), 1u);
  auto submitted = cell(*cells, kSocial, ApplicationStatus::kSubmitted);
  ASSERT_TRUE(submitted.has_value());
  EXPECT_EQ(submitted->month, "2026-06");
  EXPECT_EQ(submitted->count, 5);
  EXPECT_FALSE(cell(*cells, kVolunteer, ApplicationStatus::kAwaitingConfirmation).has_value());
  EXPECT_FALSE(cell(*cells, kSocial, ApplicationStatus::kDraft).has_value());
  auto volunteer_cells = service_->Statistics(emil_);
  ASSERT_TRUE(volunteer_cells.ok()) << volunteer_cells.status().ToString();
  EXPECT_EQ(volunteer_cells->size(), 1u);
  auto awaiting = cell(*volunteer_cells, kVolunteer, ApplicationStatus::kAwaitingConfirmation);
  ASSERT_TRUE(awaiting.has_value());
  EXPECT_EQ(awaiting->count, std::nullopt);  // one: not shown
  // The command line (and operators, auditors: no application of their own) count everything.
  auto all = service_->Statistics(cli_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);

  ASSERT_TRUE(service_->StaffApplication(sofia_, social[0].id).ok());
  cells = service_->Statistics(sofia_);
  ASSERT_TRUE(cells.ok());
  EXPECT_EQ(cell(*cells, kSocial, ApplicationStatus::kSubmitted)->count, std::nullopt);  // four
  EXPECT_EQ(cell(*cells, kSocial, ApplicationStatus::kInReview)->count, std::nullopt);   // one
}

// ------------------------------------------------------------ account deletion

TEST_P(ApplicationServiceTest, DeletingTheAccountWithdrawsItsOpenApplications) {
  std::string draft = SocialDraft(erika_);
  Application open = SubmitSocial(erika_);
  std::string token;
  Application volunteer = SubmitVolunteer(erika_, &token);
  Application approved = SubmitSocial(erika_);
  ASSERT_TRUE(service_->Decide(sofia_, approved.id, Decision::kApprove, "").ok());
  Application others = SubmitSocial(max_);

  auto plan = citizens_->PlanDeletion(erika_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->blocked());
  int64_t to_withdraw = -1;
  for (const auto& finding : plan->findings) {
    if (finding.area == "applications") to_withdraw = finding.to_withdraw;
  }
  EXPECT_EQ(to_withdraw, 2);
  EXPECT_EQ(CitizenStatus(erika_, open.id), ApplicationStatus::kSubmitted);  // the plan changes nothing

  ASSERT_TRUE(citizens_->DeleteAccount(erika_, "r").ok());
  EXPECT_EQ(Read(open.id).status, ApplicationStatus::kWithdrawn);
  EXPECT_EQ(Read(volunteer.id).status, ApplicationStatus::kWithdrawn);
  EXPECT_EQ(Read(approved.id).status, ApplicationStatus::kApproved);
  EXPECT_EQ(Read(others.id).status, ApplicationStatus::kSubmitted);
  EXPECT_EQ(Audited("application.withdraw").size(), 2u);
  EXPECT_EQ(service_->ConfirmationByToken(token).status().code(), ErrorCode::kNotFound);
  // The draft went with the account; nothing is linked to it any more.
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM applications.applications WHERE status = 'draft'"), 0);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM applications.applications WHERE account_id = " +
                      std::to_string(erika_.account)),
            0);
  EXPECT_EQ(service_->CitizenApplication(erika_, draft).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(CitizenStatus(max_, others.id), ApplicationStatus::kSubmitted);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApplicationServiceTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::applications
