#include "portal/mailbox.h"

#include <gtest/gtest.h>

#include <random>

#include "accounts/accounts.h"
#include "audit/audit_log.h"
#include "http/message.h"
#include "portal/attachments.h"
#include "portal/mail_outbox.h"
#include "storage/testing/backends.h"

namespace passwerk::portal {
namespace {

using storage::Segment;

const std::string kPdf = "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde", 33);
const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0\0\x10JFIF\0", 11);

// ------------------------------------------------------------ plain functions

TEST(AttachmentRulesTest, TheContentDecidesNotTheName) {
  EXPECT_EQ(SniffType(kPdf), "application/pdf");
  EXPECT_EQ(SniffType(kPng), "image/png");
  EXPECT_EQ(SniffType(kJpeg), "image/jpeg");
  for (std::string bad : {std::string("<html><script>"), std::string("%PDF"), std::string("\x89PNG\r\n\x1a\n", 8),
                          std::string("GIF89a"), std::string("\xFF\xD8\xFF\xFF", 4), std::string()}) {
    EXPECT_EQ(SniffType(bad), std::nullopt) << bad;
  }
  AttachmentLimits limits{100, 2};
  auto ok = CheckAttachments({{"a.pdf", kPdf}, {"b.png", kPng}}, limits);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<std::string>{"application/pdf", "image/png"}));
  auto disguised = CheckAttachments({{"bescheid.pdf", "<html><script>alert(1)</script>"}}, limits);
  EXPECT_EQ(disguised.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(disguised.status().field(), "attachment");
  EXPECT_NE(disguised.status().message().find("bescheid.pdf"), std::string::npos);
  EXPECT_EQ(CheckAttachments({{"a.pdf", kPdf + std::string(100, 'x')}}, limits).status().field(), "attachment");
  EXPECT_EQ(CheckAttachments({{"a", kPdf}, {"b", kPdf}, {"c", kPdf}}, limits).status().field(), "attachment");
  EXPECT_EQ(CheckAttachments({{"empty.pdf", ""}}, limits).status().field(), "attachment");
}

TEST(AttachmentRulesTest, FileNamesAreCleanedAndCarryTheRealExtension) {
  EXPECT_EQ(CleanFileName("Bescheid 2026.pdf", "application/pdf"), "Bescheid 2026.pdf");
  EXPECT_EQ(CleanFileName("C:\\Users\\erika\\scan.PDF", "application/pdf"), "scan.PDF");
  EXPECT_EQ(CleanFileName("../../etc/passwd", "application/pdf"), "passwd.pdf");
  EXPECT_EQ(CleanFileName("foto.jpeg", "image/jpeg"), "foto.jpeg");
  EXPECT_EQ(CleanFileName("rechnung.pdf", "image/png"), "rechnung.pdf.png");
  EXPECT_EQ(CleanFileName("a\r\nContent-Type: text/html\".pdf", "application/pdf"), "html.pdf");
  // A right-to-left override would show "…fdp.exe" as "…exe.pdf".
  EXPECT_EQ(CleanFileName("invoice\u202Efdp.exe", "application/pdf"), "invoicefdp.exe.pdf");
  EXPECT_EQ(CleanFileName("", "image/png"), "Anhang.png");
  EXPECT_EQ(CleanFileName("...", "image/png"), "Anhang.png");
  std::string long_name = std::string(300, 'a') + ".pdf";
  std::string cleaned = CleanFileName(long_name, "application/pdf");
  EXPECT_LE(cleaned.size(), 120u);
  EXPECT_EQ(cleaned.substr(cleaned.size() - 4), ".pdf");
}

TEST(MailTest, AddressesArePlainAddrSpecs) {
  for (std::string_view good : {"erika@example.org", "e.m+portal@mail.example.de", "x_y@a-b.example"}) {
    EXPECT_TRUE(CheckEmailAddress(good).ok()) << good;
  }
  for (std::string_view bad : {"", "erika", "erika@", "@example.org", "erika@localhost", "a b@example.org",
                               "erika@example.org\r\nBcc: x@evil.example", "<erika@example.org>",
                               "\"erika\"@example.org", "erika..m@example.org", "erika@exa_mple.org"}) {
    EXPECT_EQ(CheckEmailAddress(bad).field(), "email") << bad;
  }
}

TEST(MailTest, ComposedMailsAreMimeWithEncodedHeaders) {
  OutgoingMail mail{"Passwerk Kellenhusen <noreply@kellenhusen.example>", "erika@example.org",
                    "Neue Nachricht für Sie", "Zeile eins  \nZweite Zeile mit = und ü\n.\n" + std::string(90, 'x')};
  std::string message = ComposeMail(mail, 1'800'000'000, "abc123");
  EXPECT_NE(message.find("From: Passwerk Kellenhusen <noreply@kellenhusen.example>\r\n"), std::string::npos);
  EXPECT_NE(message.find("To: <erika@example.org>\r\n"), std::string::npos);
  EXPECT_NE(message.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(message.find("Message-ID: <abc123@kellenhusen.example>\r\n"), std::string::npos);
  EXPECT_NE(message.find("Date: Fri, 15 Jan 2027 08:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(message.find("Zeile eins =20\r\n"), std::string::npos);  // trailing space kept
  EXPECT_NE(message.find("mit =3D und =C3=BC"), std::string::npos);
  // Every line of the body within 76 characters, all CRLF.
  std::string body = message.substr(message.find("\r\n\r\n") + 4);
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
  EXPECT_EQ(body.find('\n', 0) == std::string::npos || body[body.find('\n') - 1] == '\r', true);
  EXPECT_EQ(RetryDelaySeconds(1, 30), 30);
  EXPECT_EQ(RetryDelaySeconds(2, 30), 60);
  EXPECT_EQ(RetryDelaySeconds(20, 30), 3600);
  EXPECT_EQ(AddressOf("Passwerk <a@b.example>"), "a@b.example");
  EXPECT_EQ(AddressOf("a@b.example"), "a@b.example");
}

// The multipart reader and the attachment rules on mutated input: no crash,
// no read out of bounds (the debug build runs under ASan and UBSan), and a
// body the reader accepts keeps its parts inside the input.
TEST(MailboxInputFuzzTest, MutatedMultipartBodiesAndFilesNeverCrash) {
  const std::string boundary = "----pwboundary7MA4YWxk";
  const std::string seed = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nHallo\r\n--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"a.pdf\"\r\n"
                           "Content-Type: application/pdf\r\n\r\n" +
                           kPdf + "\r\n--" + boundary + "--\r\n";
  std::mt19937 random(20261207);
  for (int round = 0; round < 4000; ++round) {
    std::string body = seed;
    int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = random() % body.size();
      switch (random() % 4) {
        case 0:
          body[at] = static_cast<char>(random());
          break;
        case 1:
          body.erase(at, 1 + random() % 16);
          break;
        case 2:
          body.insert(at, body.substr(random() % body.size(), 1 + random() % 24));
          break;
        default:
          body.insert(at, std::string(1 + random() % 4, "\r\n-\"="[random() % 5]));
      }
    }
    http::Request request;
    request.headers = {{"content-type", "multipart/form-data; boundary=" + boundary}};
    request.body = body;
    auto parts = request.MultipartParts();
    if (!parts) continue;
    std::vector<NewAttachment> files;
    size_t total = 0;
    for (const auto& part : *parts) {
      total += part.data.size();
      if (part.name == "attachment") files.push_back({part.file_name, part.data});
      (void)CleanFileName(part.file_name, "application/pdf");
      (void)SniffType(part.data);
    }
    EXPECT_LE(total, body.size());
    (void)CheckAttachments(files, AttachmentLimits{});
  }
}

// ------------------------------------------------------------ on every backend

// Records what it was asked to send; refuses the first `refuse` mails.
class RecordingTransport final : public MailTransport {
 public:
  Status Send(const OutgoingMail& mail, std::string_view message) override {
    if (refuse > 0) {
      --refuse;
      return Unavailable("451 try again later");
    }
    sent.push_back(mail);
    raw.emplace_back(message);
    return Status::Ok();
  }
  std::string Describe() const override { return "recording"; }
  int refuse = 0;
  std::vector<OutgoingMail> sent;
  std::vector<std::string> raw;
};

class MailboxTest : public ::testing::TestWithParam<storage::testing::Backend> {
 protected:
  void SetUp() override {
    std::string reason;
    test_db_ = storage::testing::TestDatabase::Create(
        GetParam(), {Segment::kCore, Segment::kAudit, Segment::kCards, Segment::kPortal}, &reason);
    if (!test_db_) GTEST_SKIP() << reason;
    auto box = crypto::SecretBox::FromHexKeys({std::string(64, 'b')});
    ASSERT_TRUE(box.ok());
    box_ = std::make_unique<crypto::SecretBox>(std::move(*box));
    staff_ = std::make_unique<accounts::AccountService>(test_db_->db(), clock_, *box_, throttle_);
    accounts::Actor cli;
    cli.id = "cli";
    auto municipality = staff_->CreateMunicipality(cli, "01055021", "Kellenhusen (Ostsee)");
    ASSERT_TRUE(municipality.ok()) << municipality.status().ToString();
    municipality_ = municipality->id;
    auto social = staff_->CreateDepartment(cli, municipality_, "Sozialamt");
    auto volunteer = staff_->CreateDepartment(cli, municipality_, "Ehrenamtsbüro");
    ASSERT_TRUE(social.ok() && volunteer.ok());
    social_ = social->id;
    volunteer_ = volunteer->id;
    social_clerk_ = Clerk(cli, "sofia", social_);
    volunteer_clerk_ = Clerk(cli, "emil", volunteer_);
    Make();
    citizens_ = std::make_unique<CitizenAccounts>(test_db_->db(), clock_, *box_, PortalOptions{});
    erika_ = SignIn("saml:erika");
    max_ = SignIn("saml:max");
  }

  void Make() {
    MailOptions mail;
    mail.public_url = "https://portal.example";
    mail.retry_seconds = 3 * 86400;
    mail.retry_base_seconds = 30;
    outbox_ = std::make_unique<MailOutbox>(test_db_->db(), clock_, *box_, mail);
    MailboxOptions options;
    options.attachments = {64 * 1024, 3};
    options.retention_days = 730;
    mailbox_ = std::make_unique<Mailbox>(test_db_->db(), clock_, *box_, options, outbox_.get());
  }

  void Reopen() {
    mailbox_.reset();
    outbox_.reset();
    ASSERT_TRUE(test_db_->Reopen().ok());
    Make();
  }

  accounts::Actor Clerk(const accounts::Actor& cli, const std::string& name, int64_t department) {
    accounts::NewUser input;
    input.username = name;
    input.display_name = name == "sofia" ? "Sofia Sozial" : "Emil Ehrenamt";
    input.role = accounts::Role::kClerk;
    input.municipality_id = municipality_;
    input.department_ids = {department};
    input.password = "a-long-enough-password";
    auto user = staff_->CreateUser(cli, input);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    accounts::Actor actor;
    actor.id = "user:" + std::to_string(user->id);
    actor.user = *user;
    return actor;
  }

  CitizenSession SignIn(const std::string& pseudonym) {
    Identity identity;
    identity.method = SignInMethod::kSaml;
    identity.pseudonym = pseudonym;
    identity.assurance = Assurance::kSubstantial;
    auto session = citizens_->SignIn(identity, "test", "r");
    EXPECT_TRUE(session.ok());
    return *session;
  }

  std::vector<std::string> Audited(const std::string& prefix) {
    audit::AuditFilter filter;
    filter.action_prefix = prefix;
    filter.limit = 1000;
    auto entries = audit::List(test_db_->db(), filter);
    EXPECT_TRUE(entries.ok());
    std::vector<std::string> actions;
    for (auto it = entries->rbegin(); it != entries->rend(); ++it) actions.push_back(it->event.action);
    return actions;
  }

  // Whether `needle` appears in any stored column of the portal's tables.
  bool StoredInClear(const std::string& needle) {
    bool found = false;
    Status read = test_db_->db().Read([&](storage::Tx& tx) -> Status {
      for (const char* table : {"portal.threads", "portal.messages", "portal.attachments", "portal.contacts",
                                "portal.outbox"}) {
        PW_ASSIGN_OR_RETURN(auto rows, tx.Query(std::string("SELECT * FROM ") + table));
        for (const auto& row : rows) {
          for (size_t i = 0; i < row.size(); ++i) {
            if (!row.IsNull(i) && std::holds_alternative<std::string>(row.at(i)) &&
                row.Text(i).find(needle) != std::string::npos) {
              found = true;
            }
            if (std::holds_alternative<storage::Blob>(row.at(i)) &&
                std::get<storage::Blob>(row.at(i)).bytes.find(needle) != std::string::npos) {
              found = true;
            }
          }
        }
      }
      return Status::Ok();
    });
    EXPECT_TRUE(read.ok());
    return found;
  }

  ManualClock clock_{1'800'000'000};
  std::unique_ptr<storage::testing::TestDatabase> test_db_;
  std::unique_ptr<crypto::SecretBox> box_;
  accounts::LoginThrottle throttle_{clock_};
  std::unique_ptr<accounts::AccountService> staff_;
  std::unique_ptr<CitizenAccounts> citizens_;
  std::unique_ptr<MailOutbox> outbox_;
  std::unique_ptr<Mailbox> mailbox_;
  int64_t municipality_ = 0;
  int64_t social_ = 0;
  int64_t volunteer_ = 0;
  accounts::Actor social_clerk_;
  accounts::Actor volunteer_clerk_;
  CitizenSession erika_;
  CitizenSession max_;
};

TEST_P(MailboxTest, ARoundTripWithAttachmentsStoredSealed) {
  auto thread = mailbox_->StartQuestion(erika_, social_, "Frage zum Sozialpass", "Gilt mein Pass auch im Bus?",
                                        {{"bescheid.pdf", kPdf}});
  ASSERT_TRUE(thread.ok()) << thread.status().ToString();
  EXPECT_EQ(thread->department_name, "Sozialamt");
  auto listed = mailbox_->StaffThreads(social_clerk_, ThreadFilter::kUnanswered);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].unread, 1);
  auto read = mailbox_->StaffThread(social_clerk_, thread->id);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->messages.size(), 1u);
  ASSERT_EQ(read->messages[0].attachments.size(), 1u);
  const std::string pdf_id = read->messages[0].attachments[0].id;
  auto pdf = mailbox_->StaffAttachment(social_clerk_, thread->id, pdf_id);
  ASSERT_TRUE(pdf.ok());
  EXPECT_EQ(pdf->data, kPdf);
  EXPECT_EQ(pdf->type, "application/pdf");
  ASSERT_TRUE(mailbox_->StaffMarkRead(social_clerk_, thread->id).ok());
  auto answer = mailbox_->StaffPost(social_clerk_, thread->id, "Ja, im Stadtbus.", {{"fahrplan.png", kPng}});
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->staff_name, "Sofia Sozial");

  Reopen();
  auto mine = mailbox_->CitizenThreads(erika_);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].unread, 1);
  auto full = mailbox_->CitizenThread(erika_, thread->id);
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->messages.size(), 2u);
  EXPECT_EQ(full->messages[0].from, Sender::kCitizen);
  EXPECT_TRUE(full->messages[0].read_at.has_value());  // the office read it
  EXPECT_EQ(full->messages[1].body, "Ja, im Stadtbus.");
  EXPECT_EQ(full->messages[1].staff_name, "");  // citizens see the department, not the clerk
  auto png = mailbox_->CitizenAttachment(erika_, thread->id, full->messages[1].attachments[0].id);
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(png->data, kPng);
  ASSERT_TRUE(mailbox_->CitizenMarkRead(erika_, thread->id).ok());
  EXPECT_EQ(*mailbox_->CitizenUnread(erika_), 0);
  // Nothing of what was written is stored in the clear.
  for (std::string text : {"Frage zum Sozialpass", "Gilt mein Pass", "im Stadtbus", "bescheid.pdf", "%PDF-1.7"}) {
    EXPECT_FALSE(StoredInClear(text)) << text;
  }
  EXPECT_EQ(Audited("thread."), (std::vector<std::string>{"thread.create", "thread.read", "thread.attachment",
                                                            "thread.message"}));
}

TEST_P(MailboxTest, OtherDepartmentsAndOtherCitizensSeeNothing) {
  auto thread = mailbox_->StartQuestion(erika_, social_, "Frage", "Text", {{"a.pdf", kPdf}});
  ASSERT_TRUE(thread.ok());
  auto full = mailbox_->StaffThread(social_clerk_, thread->id);
  ASSERT_TRUE(full.ok());
  const std::string file = full->messages[0].attachments[0].id;
  const auto& other = volunteer_clerk_;
  EXPECT_TRUE(mailbox_->StaffThreads(other, ThreadFilter::kAll)->empty());
  EXPECT_TRUE(mailbox_->StaffThreads(other, ThreadFilter::kAll, social_)->empty());
  EXPECT_EQ(mailbox_->StaffThread(other, thread->id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->StaffAttachment(other, thread->id, file).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->StaffPost(other, thread->id, "x", {}).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->StaffMarkRead(other, thread->id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->Assign(other, thread->id, other.user->id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->Assignees(other, thread->id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->Close(other, thread->id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->Reopen(other, thread->id).code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->CitizenThread(max_, thread->id).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->CitizenAttachment(max_, thread->id, file).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->CitizenPost(max_, thread->id, "x", {}).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->CitizenMarkRead(max_, thread->id).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(mailbox_->CitizenThreads(max_)->empty());
  // An attachment of another thread is not reachable through one's own.
  auto own = mailbox_->StartQuestion(max_, social_, "Eigene", "Text", {});
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(mailbox_->CitizenAttachment(max_, own->id, file).status().code(), ErrorCode::kNotFound);
  // Roles without the action get no list at all.
  accounts::Actor auditor = social_clerk_;
  auditor.user->role = accounts::Role::kAuditor;
  EXPECT_EQ(mailbox_->StaffThreads(auditor, ThreadFilter::kAll).status().code(), ErrorCode::kPermissionDenied);
}

TEST_P(MailboxTest, RefusedAttachmentsAndTextsStoreNothing) {
  auto disguised = mailbox_->StartQuestion(erika_, social_, "Frage", "Text", {{"a.pdf", "<html>"}});
  EXPECT_EQ(disguised.status().field(), "attachment");
  auto too_many = mailbox_->StartQuestion(erika_, social_, "Frage", "Text",
                                          {{"a", kPdf}, {"b", kPdf}, {"c", kPdf}, {"d", kPdf}});
  EXPECT_EQ(too_many.status().field(), "attachment");
  auto too_large = mailbox_->StartQuestion(erika_, social_, "Frage", "Text", {{"a", kPdf + std::string(70000, ' ')}});
  EXPECT_EQ(too_large.status().field(), "attachment");
  EXPECT_EQ(mailbox_->StartQuestion(erika_, social_, " \n ", "Text", {}).status().field(), "subject");
  EXPECT_EQ(mailbox_->StartQuestion(erika_, social_, std::string(201, 'x'), "Text", {}).status().field(), "subject");
  EXPECT_EQ(mailbox_->StartQuestion(erika_, social_, "Frage", "", {}).status().field(), "body");
  EXPECT_EQ(mailbox_->StartQuestion(erika_, social_, "Frage", std::string(10001, 'x'), {}).status().field(), "body");
  EXPECT_EQ(mailbox_->StartQuestion(erika_, 99999, "Frage", "Text", {}).status().field(), "department_id");
  EXPECT_TRUE(mailbox_->CitizenThreads(erika_)->empty());
  EXPECT_TRUE(Audited("thread.").empty());
  // Markup is text: stored and given back as written; control characters go.
  auto thread = mailbox_->StartQuestion(erika_, social_, "Frage\r\n", "<script>alert(1)</script>\r\nZeile\x07", {});
  ASSERT_TRUE(thread.ok());
  EXPECT_EQ(thread->subject, "Frage");
  auto full = mailbox_->CitizenThread(erika_, thread->id);
  EXPECT_EQ(full->messages[0].body, "<script>alert(1)</script>\nZeile");
}

TEST_P(MailboxTest, FiltersAssignmentClosingAndRetention) {
  auto first = mailbox_->StartQuestion(erika_, social_, "Eins", "Text", {});
  auto second = mailbox_->StartQuestion(max_, social_, "Zwei", "Text", {});
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(mailbox_->StaffPost(social_clerk_, second->id, "Antwort", {}).ok());
  EXPECT_EQ(mailbox_->StaffThreads(social_clerk_, ThreadFilter::kUnanswered)->size(), 1u);
  EXPECT_EQ(mailbox_->StaffThreads(social_clerk_, ThreadFilter::kOpen)->size(), 2u);
  EXPECT_TRUE(mailbox_->StaffThreads(social_clerk_, ThreadFilter::kMine)->empty());
  // Only members of the thread's department can be assigned.
  EXPECT_EQ(mailbox_->Assign(social_clerk_, first->id, volunteer_clerk_.user->id).field(), "user_id");
  ASSERT_TRUE(mailbox_->Assign(social_clerk_, first->id, social_clerk_.user->id).ok());
  auto mine = mailbox_->StaffThreads(social_clerk_, ThreadFilter::kMine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].assigned_name, "Sofia Sozial");
  auto assignees = mailbox_->Assignees(social_clerk_, first->id);
  ASSERT_EQ(assignees->size(), 1u);
  ASSERT_TRUE(mailbox_->Close(social_clerk_, first->id).ok());
  EXPECT_EQ(mailbox_->CitizenPost(erika_, first->id, "Noch etwas", {}).status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(mailbox_->StaffThreads(social_clerk_, ThreadFilter::kClosed)->size(), 1u);
  ASSERT_TRUE(mailbox_->Reopen(social_clerk_, first->id).ok());
  ASSERT_TRUE(mailbox_->CitizenPost(erika_, first->id, "Noch etwas", {}).ok());
  ASSERT_TRUE(mailbox_->Close(social_clerk_, first->id).ok());
  // Two years after closing, not a day before; open threads stay.
  clock_.Advance(730 * 86400 - 10);
  EXPECT_EQ(*mailbox_->DeleteExpired(), 0);
  clock_.Advance(20);
  EXPECT_EQ(*mailbox_->DeleteExpired(), 1);
  EXPECT_TRUE(mailbox_->CitizenThreads(erika_)->empty());
  EXPECT_EQ(mailbox_->CitizenThreads(max_)->size(), 1u);
}

TEST_P(MailboxTest, CaseThreadsAreOnePerCaseAndLinkTheCaseDocuments) {
  std::map<std::string, Document> evidence = {{"doc-1", {"nachweis.pdf", "application/pdf", kPdf}}};
  mailbox_->AddDocumentSource("application_document", [&](const std::string& ref) -> Result<Document> {
    auto it = evidence.find(ref);
    if (it == evidence.end()) return NotFound("gone");
    return it->second;
  });
  CaseRef application{CaseKind::kApplication, "A-2026-0001"};
  auto opened = mailbox_->OpenCaseThread(erika_.account, social_, application, "Ihr Antrag auf einen Sozialpass",
                                         "submitted", "r");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto again = mailbox_->OpenCaseThread(erika_.account, social_, application, "anders", "submitted", "r");
  EXPECT_EQ(*again, *opened);
  auto posted = mailbox_->PostToCase(application, "Bitte reichen Sie noch einen Nachweis ein.",
                                     {{"application_document", "doc-1", "nachweis.pdf", "application/pdf",
                                       static_cast<int64_t>(kPdf.size())}},
                                     "r");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  ASSERT_TRUE(mailbox_->SetCaseState(application, "info_requested", "r").ok());
  auto threads = mailbox_->CitizenThreads(erika_);
  ASSERT_EQ(threads->size(), 1u);
  ASSERT_TRUE((*threads)[0].case_ref.has_value());
  EXPECT_EQ((*threads)[0].case_ref->id, "A-2026-0001");
  EXPECT_EQ((*threads)[0].case_state, "info_requested");
  EXPECT_EQ((*threads)[0].unread, 1);
  auto full = mailbox_->CitizenThread(erika_, *opened);
  ASSERT_EQ(full->messages[0].attachments.size(), 1u);
  auto document = mailbox_->CitizenAttachment(erika_, *opened, full->messages[0].attachments[0].id);
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document->data, kPdf);
  // The thread holds a link, not a copy: the case's deletion takes the content along.
  EXPECT_FALSE(StoredInClear("1 0 obj"));
  evidence.clear();
  EXPECT_EQ(mailbox_->CitizenAttachment(erika_, *opened, full->messages[0].attachments[0].id).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(mailbox_->PostToCase({CaseKind::kFeeItem, "nope"}, "x", {}, "r").status().code(), ErrorCode::kNotFound);
}

TEST_P(MailboxTest, AnswersNotifyAConfirmedAddressOnceWithoutTheContent) {
  ASSERT_TRUE(outbox_->SetAddress(erika_, "erika@example.org", "de", "r").ok());
  RecordingTransport transport;
  auto delivered = outbox_->DeliverDue(transport);
  ASSERT_TRUE(delivered.ok());
  ASSERT_EQ(transport.sent.size(), 1u);
  const std::string& text = transport.sent[0].text;
  size_t at = text.find("/portal/email/confirm?token=");
  ASSERT_NE(at, std::string::npos);
  std::string token = text.substr(at + 28, text.find('\n', at) - at - 28);
  // Unconfirmed: no notice yet.
  auto thread = mailbox_->StartQuestion(erika_, social_, "Geheimes Thema", "Text", {});
  ASSERT_TRUE(mailbox_->StaffPost(social_clerk_, thread->id, "Vertrauliche Antwort", {}).ok());
  EXPECT_EQ(*outbox_->Pending(), 0);
  EXPECT_EQ(outbox_->Confirm("wrong", "r").status().code(), ErrorCode::kNotFound);
  // The link's page shows the address before anything is confirmed.
  auto pending = outbox_->PendingConfirmation(token);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->address, "erika@example.org");
  EXPECT_FALSE(pending->confirmed);
  EXPECT_FALSE(outbox_->Contact(erika_)->value().confirmed);
  auto confirmed = outbox_->Confirm(token, "r");
  ASSERT_TRUE(confirmed.ok());
  EXPECT_EQ(confirmed->address, "erika@example.org");
  EXPECT_EQ(outbox_->Confirm(token, "r").status().code(), ErrorCode::kNotFound);  // once
  EXPECT_EQ(outbox_->PendingConfirmation(token).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(outbox_->Contact(erika_)->value().confirmed);
  // Two answers, one notice; it says nothing of what was written.
  ASSERT_TRUE(mailbox_->StaffPost(social_clerk_, thread->id, "Vertrauliche Antwort 2", {}).ok());
  ASSERT_TRUE(mailbox_->StaffPost(social_clerk_, thread->id, "Vertrauliche Antwort 3", {}).ok());
  EXPECT_EQ(*outbox_->Pending(), 1);
  EXPECT_FALSE(StoredInClear("erika@example.org"));
  Reopen();  // the outbox survives a restart
  ASSERT_TRUE(outbox_->DeliverDue(transport).ok());
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].to, "erika@example.org");
  EXPECT_NE(transport.sent[1].text.find("https://portal.example/portal/mailbox"), std::string::npos);
  for (const char* secret : {"Vertrauliche", "Geheimes", "Text"}) {
    EXPECT_EQ(transport.raw[1].find(secret), std::string::npos) << secret;
  }
  // Switched off: nothing more is queued.
  ASSERT_TRUE(outbox_->SetNotify(erika_, false, "r").ok());
  ASSERT_TRUE(mailbox_->StaffPost(social_clerk_, thread->id, "Noch eine", {}).ok());
  EXPECT_EQ(*outbox_->Pending(), 0);
}

TEST_P(MailboxTest, RefusedMailIsRetriedWithGrowingPausesThenDropped) {
  ASSERT_TRUE(outbox_->SetAddress(erika_, "erika@example.org", "en", "r").ok());
  RecordingTransport transport;
  transport.refuse = 2;
  EXPECT_EQ(outbox_->DeliverDue(transport)->deferred, 1);
  EXPECT_EQ(outbox_->DeliverDue(transport)->deferred, 0);  // not due yet
  EXPECT_EQ(**outbox_->NextDue(), clock_.NowUnix() + 30);
  clock_.Advance(30);
  EXPECT_EQ(outbox_->DeliverDue(transport)->deferred, 1);
  EXPECT_EQ(**outbox_->NextDue(), clock_.NowUnix() + 60);
  clock_.Advance(60);
  EXPECT_EQ(outbox_->DeliverDue(transport)->sent, 1);
  EXPECT_EQ(transport.sent[0].text.rfind("Hello", 0), 0u);  // English first, as asked
  EXPECT_EQ(transport.sent[0].subject.rfind("Please confirm", 0), 0u);
  // No signature separator ("-- "): mail programs would fold the second language away.
  EXPECT_EQ(transport.sent[0].text.find("\n-- \n"), std::string::npos);
  EXPECT_EQ(*outbox_->Pending(), 0);
  // A mail refused for longer than retry_seconds is dropped, and audited.
  ASSERT_TRUE(outbox_->SetAddress(max_, "max@example.org", "de", "r").ok());
  transport.refuse = 1000;
  int64_t dropped = 0;
  for (int i = 0; i < 200 && *outbox_->Pending() > 0; ++i) {
    dropped += outbox_->DeliverDue(transport)->dropped;
    clock_.Advance(3600);
  }
  EXPECT_EQ(dropped, 1);
  EXPECT_EQ(Audited("mail."), std::vector<std::string>{"mail.dropped"});
}

TEST_P(MailboxTest, ConfirmationMailsAreRateLimited) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(outbox_->SetAddress(erika_, "erika@example.org", "de", "r").ok());
  // Three to one address a day, from all accounts.
  EXPECT_EQ(outbox_->SetAddress(max_, "Erika@Example.org", "de", "r").code(), ErrorCode::kResourceExhausted);
  ASSERT_TRUE(outbox_->SetAddress(erika_, "other@example.org", "de", "r").ok());
  ASSERT_TRUE(outbox_->SetAddress(erika_, "third@example.org", "de", "r").ok());
  // Five per account a day.
  EXPECT_EQ(outbox_->SetAddress(erika_, "fourth@example.org", "de", "r").code(), ErrorCode::kResourceExhausted);
  // Removing the address does not reset the day's count.
  ASSERT_TRUE(outbox_->RemoveAddress(erika_, "r").ok());
  EXPECT_EQ(outbox_->SetAddress(erika_, "fourth@example.org", "de", "r").code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(*outbox_->DeleteExpired(), 0);
  clock_.Advance(86400 + 1);
  EXPECT_EQ(*outbox_->DeleteExpired(), 5);
  EXPECT_TRUE(outbox_->SetAddress(erika_, "fourth@example.org", "de", "r").ok());
  EXPECT_EQ(outbox_->SetAddress(erika_, "not an address", "de", "r").field(), "email");
}

TEST_P(MailboxTest, ACitizenAccountSendsWithinADailyQuota) {
  MailboxOptions options;
  options.citizen_messages_per_day = 3;
  options.citizen_bytes_per_day = static_cast<int64_t>(kPdf.size() + kPng.size());
  Mailbox limited(test_db_->db(), clock_, *box_, options, outbox_.get());
  auto thread = limited.StartQuestion(erika_, social_, "Eins", "Text", {{"a.pdf", kPdf}});
  ASSERT_TRUE(thread.ok());
  // The bytes of the day: a second PDF would pass the limit.
  EXPECT_EQ(limited.CitizenPost(erika_, thread->id, "Zwei", {{"b.pdf", kPdf}}).status().code(),
            ErrorCode::kResourceExhausted);
  ASSERT_TRUE(limited.CitizenPost(erika_, thread->id, "Zwei", {{"c.png", kPng}}).ok());
  ASSERT_TRUE(limited.CitizenPost(erika_, thread->id, "Drei", {}).ok());
  // The messages of the day; another citizen and the office are not counted.
  EXPECT_EQ(limited.CitizenPost(erika_, thread->id, "Vier", {}).status().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(limited.StartQuestion(erika_, social_, "Neu", "Text", {}).status().code(), ErrorCode::kResourceExhausted);
  ASSERT_TRUE(limited.StartQuestion(max_, social_, "Max", "Text", {}).ok());
  ASSERT_TRUE(limited.StaffPost(social_clerk_, thread->id, "Antwort", {}).ok());
  EXPECT_EQ(limited.CitizenThread(erika_, thread->id)->messages.size(), 4u);
  clock_.Advance(86400 + 1);
  EXPECT_TRUE(limited.CitizenPost(erika_, thread->id, "Vier", {{"b.pdf", kPdf}}).ok());
}

TEST_P(MailboxTest, IdempotentRetriesCreateOnce) {
  storage::IdempotencyRequest request;
  request.key_hash = storage::IdempotencyKeyHash("citizen:" + erika_.account_id, "key-1");
  request.request_hash = storage::IdempotencyRequestHash("POST", "/api/portal/v1/threads", "", "{}");
  request.now = clock_.NowUnix();
  request.ttl_seconds = 3600;
  auto render = [](const ThreadSummary& t) { return storage::StoredAnswer{201, t.id}; };
  storage::Idempotent<ThreadSummary> first(request, render);
  auto created = mailbox_->StartQuestion(erika_, social_, "Frage", "Text", {}, &first);
  ASSERT_TRUE(created.ok());
  storage::Idempotent<ThreadSummary> retry(request, render);
  (void)mailbox_->StartQuestion(erika_, social_, "Frage", "Text", {}, &retry);
  EXPECT_EQ(retry.outcome(), storage::IdempotentWrite::Outcome::kReplayed);
  EXPECT_EQ(retry.answer().body, created->id);
  EXPECT_EQ(mailbox_->CitizenThreads(erika_)->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, MailboxTest, ::testing::ValuesIn(storage::testing::AllBackends()),
                         [](const auto& param_info) { return storage::testing::BackendName(param_info.param); });

}  // namespace
}  // namespace passwerk::portal
