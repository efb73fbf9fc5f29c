// Staff web pages. Departments: administrators list their municipality's
// departments with their members, create departments and set which
// departments each clerk and administrator belongs to. The account service
// (and its policy) has the final word; every POST carries a CSRF token.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

bool MayManageDepartments(const Env& env) { return accounts::Can(ActorFor(env), accounts::Action::kManageDepartments); }

// The municipalities whose departments this user manages.
std::vector<accounts::Municipality> ManagedMunicipalities(Env& env) {
  std::vector<accounts::Municipality> out;
  accounts::Actor actor = ActorFor(env);
  if (auto all = env.app.accounts.ListMunicipalities(); all.ok()) {
    for (const accounts::Municipality& m : *all) {
      if (accounts::Can(actor, accounts::Action::kManageDepartments, accounts::Resource::InMunicipality(m.id))) {
        out.push_back(m);
      }
    }
  }
  return out;
}

bool HasDepartments(const User& user) { return user.municipality_id && accounts::HasDepartments(user.role); }

std::string Joined(const std::vector<std::string>& names, Lang lang) {
  if (names.empty()) return std::string(T(lang, "departments.nobody"));
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

Response RenderDepartments(Env& env, int status, const std::string& new_name, const std::string& new_municipality,
                           const std::vector<web::FieldError>& errors) {
  const Lang lang = env.lang;
  std::vector<accounts::Municipality> municipalities = ManagedMunicipalities(env);
  auto users = env.app.accounts.ListUsers(ActorFor(env));
  if (!users.ok()) return ErrorFor(env, users.status());

  std::string body = Heading(T(lang, "departments.title"));
  body += web::RenderErrorSummary(lang, errors);
  if (errors.empty()) {
    if (auto created = env.request.QueryParam("created")) {
      body += web::RenderAlert(web::AlertKind::kSuccess, T(lang, "departments.done_title"),
                               "<p class=\"kern-body\">" + Escape(T(lang, "departments.created")) + "</p>");
    } else if (auto saved = env.request.QueryParam("saved")) {
      std::optional<int64_t> id = ParseId(*saved);
      for (const User& u : *users) {
        if (id && u.id == *id) {
          body += web::RenderAlert(
              web::AlertKind::kSuccess, T(lang, "departments.done_title"),
              "<p class=\"kern-body\">" + Escape(Tf(lang, "departments.saved", {u.username})) + "</p>");
        }
      }
    }
  }
  body += Paragraph(T(lang, "departments.intro"));

  int table = 0;
  for (const accounts::Municipality& m : municipalities) {
    auto departments = env.app.accounts.ListDepartments(m.id);
    if (!departments.ok()) return ErrorFor(env, departments.status());
    ++table;
    std::map<int64_t, std::string> department_names;
    for (const accounts::Department& d : *departments) department_names[d.id] = d.name;
    body += SectionStart("municipality-" + std::to_string(table), m.name);
    if (departments->empty()) {
      body += Paragraph(T(lang, "departments.empty"));
    } else {
      body += TableStart("departments-caption-" + std::to_string(table), T(lang, "departments.caption"),
                         {"departments.col_name", "departments.col_members"}, lang);
      for (const accounts::Department& d : *departments) {
        std::vector<std::string> members;
        for (const User& u : *users) {
          if (std::find(u.department_ids.begin(), u.department_ids.end(), d.id) != u.department_ids.end()) {
            members.push_back(u.display_name.empty() ? u.username : u.display_name);
          }
        }
        body += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" + Escape(d.name) +
                "</th>" + Cell(Joined(members, lang)) + "</tr>";
      }
      body += "</tbody></table></div>\n";
    }
    // Who belongs where, with a link to change it.
    std::string rows;
    for (const User& u : *users) {
      if (!HasDepartments(u) || *u.municipality_id != m.id) continue;
      std::vector<std::string> names;
      for (int64_t id : u.department_ids) names.push_back(department_names[id]);
      rows += "<tr class=\"kern-table__row\"><th scope=\"row\" class=\"kern-table__header\">" + Escape(u.username) +
              "</th>" + Cell(u.display_name) + Cell(RoleLabel(lang, u.role)) + Cell(Joined(names, lang)) +
              "<td class=\"kern-table__cell kern-table__cell--action\"><a class=\"kern-link\" href=\"/users/" +
              std::to_string(u.id) + "/departments\" aria-label=\"" +
              Escape(Tf(lang, "departments.edit_named", {u.username})) + "\">" + Escape(T(lang, "departments.edit")) +
              "</a></td></tr>";
    }
    if (!rows.empty() && !departments->empty()) {
      body += TableStart("staff-caption-" + std::to_string(table), T(lang, "departments.staff_caption"),
                         {"departments.col_user", "departments.col_display", "departments.col_role",
                          "departments.col_departments", "departments.col_action"},
                         lang);
      body += rows + "</tbody></table></div>\n";
    }
    body += "</section>\n";
  }

  body += SectionStart("new-department", T(lang, "departments.new_title"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"/departments\" novalidate>\n";
  body += web::CsrfInput(env.session->csrf_token);
  web::InputField name;
  name.name = "name";
  name.label = T(lang, "departments.name");
  name.hint = T(lang, "departments.name_hint");
  name.value = new_name;
  name.error = MessageFor(errors, "name");
  name.maxlength = 200;
  name.required = true;
  name.autocomplete = "off";
  body += web::RenderInput(name);
  web::SelectField municipality;
  municipality.name = "municipality";
  municipality.label = T(lang, "departments.municipality");
  municipality.error = MessageFor(errors, "municipality");
  municipality.required = true;
  web::SelectGroup options;
  for (const accounts::Municipality& m : municipalities) {
    std::string id = std::to_string(m.id);
    options.options.push_back({id, m.name + " (" + m.municipality_number + ")", new_municipality == id});
  }
  municipality.groups.push_back(std::move(options));
  body += web::RenderSelect(municipality);
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "departments.submit")) +
          "</div></form></section>\n";
  return web::HtmlPage(UserChrome(env, "departments"), status, T(lang, "departments.title"), body);
}

Response GetDepartments(Env& env) {
  if (!MayManageDepartments(env)) return Forbidden(env);
  return RenderDepartments(env, 200, "", "", {});
}

Response PostDepartments(Env& env) {
  const Lang lang = env.lang;
  if (!MayManageDepartments(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::string name = TrimSpaces(FormValue(form, "name"));
  std::string municipality = FormValue(form, "municipality");
  std::vector<web::FieldError> errors;
  if (name.empty() || name.size() > 200) errors.push_back({"name", std::string(T(lang, "departments.err_name"))});
  std::optional<int64_t> municipality_id = ParseId(municipality);
  if (!municipality_id) errors.push_back({"municipality", std::string(T(lang, "departments.err_municipality"))});
  if (!errors.empty()) return RenderDepartments(env, 422, name, municipality, errors);
  auto created = env.app.accounts.CreateDepartment(ActorFor(env), *municipality_id, name);
  if (!created.ok()) {
    switch (created.status().code()) {
      case ErrorCode::kAlreadyExists:
        return RenderDepartments(env, 409, name, municipality,
                                 {{"name", std::string(T(lang, "departments.err_taken"))}});
      case ErrorCode::kInvalidArgument:
        return RenderDepartments(env, 422, name, municipality,
                                 {{"name", std::string(T(lang, "departments.err_name"))}});
      case ErrorCode::kNotFound:
      case ErrorCode::kPermissionDenied:
        return RenderDepartments(env, 422, name, municipality,
                                 {{"municipality", std::string(T(lang, "departments.err_municipality"))}});
      default:
        return ErrorFor(env, created.status());
    }
  }
  return Response::Redirect("/departments?created=" + std::to_string(created->id));
}

// The user whose memberships a page changes, if this actor sees them.
std::optional<User> TargetUser(Env& env) {
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  if (!id) return std::nullopt;
  auto users = env.app.accounts.ListUsers(ActorFor(env));
  if (!users.ok()) return std::nullopt;
  for (const User& u : *users) {
    if (u.id == *id && HasDepartments(u)) return u;
  }
  return std::nullopt;
}

Response RenderMemberships(Env& env, int status, const User& user, const std::vector<int64_t>& checked,
                           const std::vector<web::FieldError>& errors) {
  const Lang lang = env.lang;
  auto departments = env.app.accounts.ListDepartments(*user.municipality_id);
  if (!departments.ok()) return ErrorFor(env, departments.status());
  std::string title = Tf(lang, "memberships.title", {user.display_name.empty() ? user.username : user.display_name});
  std::string body = Heading(title);
  body += web::RenderErrorSummary(lang, errors);
  body += Paragraph(T(lang, "memberships.intro"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"/users/" + std::to_string(user.id) +
          "/departments\" novalidate>\n" + web::CsrfInput(env.session->csrf_token);
  web::CheckboxGroup boxes;
  boxes.name = "departments";
  boxes.legend = T(lang, "memberships.legend");
  boxes.hint = T(lang, "memberships.hint");
  boxes.error = MessageFor(errors, "departments");
  for (const accounts::Department& d : *departments) {
    bool on = std::find(checked.begin(), checked.end(), d.id) != checked.end();
    boxes.options.push_back({"department_" + std::to_string(d.id), d.name, on});
  }
  body += web::RenderCheckboxes(boxes);
  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "memberships.submit")) +
          "<a class=\"kern-btn kern-btn--tertiary\" href=\"/departments\"><span class=\"kern-label\">" +
          Escape(T(lang, "common.cancel")) + "</span></a></div>\n</form>\n";
  return web::HtmlPage(UserChrome(env, "departments"), status, title, body);
}

Response GetMemberships(Env& env) {
  if (!MayManageDepartments(env)) return Forbidden(env);
  std::optional<User> user = TargetUser(env);
  if (!user) return web::ErrorPage(UserChrome(env, ""), 404);
  return RenderMemberships(env, 200, *user, user->department_ids, {});
}

Response PostMemberships(Env& env) {
  const Lang lang = env.lang;
  if (!MayManageDepartments(env)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<User> user = TargetUser(env);
  if (!user) return web::ErrorPage(UserChrome(env, ""), 404);
  std::vector<int64_t> ids;
  for (const auto& [key, value] : form) {
    if (key.rfind("department_", 0) != 0 || value.empty()) continue;
    if (auto id = ParseId(key.substr(11))) ids.push_back(*id);
  }
  Status status = env.app.accounts.SetMemberships(ActorFor(env), user->id, ids);
  if (status.ok()) return Response::Redirect("/departments?saved=" + std::to_string(user->id));
  switch (status.code()) {
    case ErrorCode::kPermissionDenied:
      return Forbidden(env);
    case ErrorCode::kNotFound:
      return web::ErrorPage(UserChrome(env, ""), 404);
    case ErrorCode::kInvalidArgument:
      return RenderMemberships(env, 422, *user, ids,
                               {{"departments", std::string(T(lang, "memberships.err_departments"))}});
    default:
      return ErrorFor(env, status);
  }
}

}  // namespace

void RegisterDepartmentPages(Router& router, AppContext& app) {
  router.Add("GET", "/departments", "web_departments", Protected(app, GetDepartments));
  router.Add("POST", "/departments", "web_department_create", Protected(app, PostDepartments));
  router.Add("GET", "/users/{id}/departments", "web_user_departments", Protected(app, GetMemberships));
  router.Add("POST", "/users/{id}/departments", "web_user_departments_set", Protected(app, PostMemberships));
}

}  // namespace passwerk::web
