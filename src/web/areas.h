// The areas of the staff UI and the citizen portal, one file each (<area>_pages.cpp): each declares
// its own routes here, and web::RegisterWebRoutes (routes.cpp) calls them all.
// Only what one area shows of another is declared beside them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/context.h"
#include "http/router.h"
#include "web/page_env.h"

namespace passwerk::web {

void RegisterSignInPages(Router& router, AppContext& app);        // signin_pages.cpp
void RegisterDashboardPages(Router& router, AppContext& app);     // dashboard_pages.cpp
void RegisterUserPages(Router& router, AppContext& app);          // user_pages.cpp
void RegisterDepartmentPages(Router& router, AppContext& app);    // department_pages.cpp
void RegisterAuditPages(Router& router, AppContext& app);         // audit_pages.cpp
void RegisterCardPages(Router& router, AppContext& app);          // card_pages.cpp
void RegisterPartnerPages(Router& router, AppContext& app);       // partner_pages.cpp (and alerts)
void RegisterStatisticsPages(Router& router, AppContext& app);    // statistics_pages.cpp
void RegisterRegistrationPages(Router& router, AppContext& app);  // registration_pages.cpp
void RegisterCardStockPages(Router& router, AppContext& app);     // card_stock_pages.cpp
void RegisterAnnualCardPages(Router& router, AppContext& app);    // annual_card_pages.cpp
void RegisterTerminalPages(Router& router, AppContext& app);      // terminal_pages.cpp (and the catalogue)
void RegisterSettlementPages(Router& router, AppContext& app);    // settlement_pages.cpp
void RegisterMailboxPages(Router& router, AppContext& app);       // mailbox_pages.cpp (Postfach, staff)
void RegisterApplicationPages(Router& router, AppContext& app);   // application_pages.cpp (Anträge, staff)
// The citizen portal (/portal): its frame and account, and signing in.
void RegisterPortalPages(Router& router, AppContext& app);        // portal_pages.cpp
void RegisterPortalSignInPages(Router& router, AppContext& app);  // portal_signin_pages.cpp
// The citizen's mailbox and e-mail notifications.
void RegisterPortalMailboxPages(Router& router, AppContext& app);  // portal_mailbox_pages.cpp
void RegisterPortalApplicationPages(Router& router, AppContext& app);  // portal_application_pages.cpp

// What the staff mailbox (mailbox_pages.cpp, where these live) and the
// citizen's (portal_mailbox_pages.cpp) show alike.
inline constexpr int kMailboxSubjectMax = portal::kMaxSubjectLength;  // characters
inline constexpr int kMailboxBodyMax = portal::kMaxBodyLength;        // characters
// A message form as it arrived (multipart/form-data): its plain fields and
// the files of every `attachment` input (inputs left empty skipped).
struct MailboxForm {
  std::map<std::string, std::string> fields;
  std::vector<portal::NewAttachment> attachments;
};
// nullopt when the body is not a multipart form.
std::optional<MailboxForm> ReadMailboxForm(const Request& request);
// Every problem of the message the page can tell before posting, in the
// reader's language: the subject (where the form has one) empty or too long,
// an empty body (a reply with files may have none: `body_required` false), a
// body too long, too many files, and each file too large, empty or not PDF,
// PNG or JPEG.
void CheckMailboxMessage(Lang lang, const AppContext& app, const MailboxForm& form, bool body_required,
                         std::vector<FieldError>& errors);
// A refused post as the error the form shows; nullopt when it is not about
// the input (the caller shows the error page).
std::optional<FieldError> MailboxPostError(Lang lang, const AppContext& app, const Status& status);
// A form shown again loses its files: the plain-text notice asking to choose
// them again (shown beside the file field, not as an error); empty when the
// form had no files or is not shown again.
std::string FilesAgainNotice(Lang lang, bool had_files, const std::vector<FieldError>& errors);
// The file input (several files) with the limits as its hint, its error and
// the notice of FilesAgainNotice (plain text, may be empty).
std::string MailboxAttachmentField(Lang lang, const AppContext& app, std::string_view error,
                                   std::string_view notice = {});
// The messages of a thread, oldest first. Staff see who wrote; a citizen
// sees "you" and the department. Read times only on the viewer's own
// messages (when the other side read them). `thread_href`: where
// attachments hang below.
std::string MailboxMessages(Lang lang, const portal::Thread& thread, bool staff_view, std::string_view thread_href);
std::string MailboxStateBadge(Lang lang, portal::ThreadState state);
// A thread list: a table with caption and column headers that phones show
// as one block per row (passwerk.css, .pw-stack-table), each cell labelled
// by its column (MailboxCell). Ends with "</tbody></table></div>".
std::string MailboxTableStart(const std::string& id, std::string_view caption,
                              const std::vector<std::string_view>& cols, Lang lang);
// A cell of such a table: `label` (plain text) names it on phones,
// `value_html` is trusted markup.
std::string MailboxCell(std::string_view label, std::string_view value_html, std::string_view extra_class = {});
// The case as a thread's details show it: "Karte 1234 5678 …", "Antrag A-…",
// or "Allgemeine Anfrage" for a question (plain text).
std::string MailboxCaseLabel(Lang lang, const std::optional<portal::CaseRef>& case_ref);
// "Antrag", "Karte", "Gebühr"; empty for a question.
std::string MailboxCaseKind(Lang lang, const std::optional<portal::CaseRef>& case_ref);
// "1,2 MB" (German) or "1.2 MB" (English).
std::string MailboxFileSize(int64_t bytes, Lang lang);
// An attachment as a download: its sniffed type, never shown inline, not cached.
Response MailboxDownload(portal::Document document);

// The open alerts of the enumeration defence this user may see, as a
// dashboard section (partner_pages.cpp); empty when there are none.
std::string AlertsSection(Env& env);

}  // namespace passwerk::web
