// Staff web pages. Staff accounts: list, create, disable and enable users.
// Thin handlers: read the form, call one domain service, render. Forms work
// without JavaScript; every POST carries a CSRF token.
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "web/areas.h"
#include "web/html.h"
#include "web/i18n.h"
#include "web/page_env.h"

namespace passwerk::web {
namespace {

// --- users ---

Response RenderUsers(Env& env, int status, std::string notice_html) {
  const Lang lang = env.lang;
  accounts::Actor actor = ActorFor(env);
  Result<std::vector<User>> users = env.app.accounts.ListUsers(actor);
  if (!users.ok()) return ErrorFor(env, users.status());
  auto municipalities = MunicipalityNames(env.app);
  std::map<int64_t, std::string> department_names;
  if (auto departments = env.app.accounts.ListDepartments(std::nullopt); departments.ok()) {
    for (const accounts::Department& d : *departments) department_names[d.id] = d.name;
  }

  // Confirmations after a redirect name the user only if it is in the list.
  auto user_named_by = [&](const char* param) -> std::optional<std::string> {
    auto id = env.request.QueryParam(param);
    if (!id) return std::nullopt;
    auto parsed = ParseId(*id);
    if (!parsed) return std::nullopt;
    for (const User& u : *users) {
      if (u.id == *parsed) return u.username;
    }
    return std::nullopt;
  };
  if (notice_html.empty()) {
    if (auto name = user_named_by("created")) {
      notice_html = web::RenderAlert(web::AlertKind::kSuccess, T(lang, "users.created_title"),
                                     "<p class=\"kern-body\">" + Escape(Tf(lang, "users.created", {*name})) + "</p>");
    } else if (auto disabled = user_named_by("disabled")) {
      notice_html =
          web::RenderAlert(web::AlertKind::kSuccess, T(lang, "users.done_title"),
                           "<p class=\"kern-body\">" + Escape(Tf(lang, "users.disabled_done", {*disabled})) + "</p>");
    } else if (auto enabled = user_named_by("enabled")) {
      notice_html =
          web::RenderAlert(web::AlertKind::kSuccess, T(lang, "users.done_title"),
                           "<p class=\"kern-body\">" + Escape(Tf(lang, "users.enabled_done", {*enabled})) + "</p>");
    }
  }

  std::string body = Heading(T(lang, "users.title"));
  body += notice_html;
  body += Paragraph(T(lang, "users.intro"));
  body +=
      "<p class=\"pw-actions\"><a class=\"kern-btn kern-btn--primary\" href=\"/users/new\">"
      "<span class=\"kern-label\">" +
      Escape(T(lang, "users.new")) + "</span></a></p>\n";
  if (users->empty()) {
    body += "<p class=\"kern-body\">" + Escape(T(lang, "users.empty")) + "</p>";
    return web::HtmlPage(UserChrome(env, "users"), status, T(lang, "users.title"), body);
  }
  body +=
      "<div class=\"kern-table-responsive pw-table-wrap\" role=\"region\" "
      "aria-labelledby=\"users-caption\" tabindex=\"0\">"
      "<table class=\"kern-table kern-table--small kern-table--striped\"><caption "
      "class=\"kern-title\" id=\"users-caption\">" +
      Escape(T(lang, "users.caption")) + "</caption><thead><tr class=\"kern-table__row\">";
  for (std::string_view key : {"users.col_username", "users.col_name", "users.col_role", "users.col_municipality",
                               "users.col_departments", "users.col_totp", "users.col_status", "users.col_action"}) {
    body += "<th scope=\"col\" class=\"kern-table__header\">" + Escape(T(lang, key)) + "</th>";
  }
  body += "</tr></thead><tbody class=\"kern-table__body\">";
  for (const User& u : *users) {
    const bool self = u.id == env.session->user.id;
    std::string municipality(T(lang, "common.none"));
    if (u.municipality_id) {
      auto it = municipalities.find(*u.municipality_id);
      municipality = it != municipalities.end() ? it->second : std::to_string(*u.municipality_id);
    }
    body += "<tr class=\"kern-table__row\" id=\"user-" + std::to_string(u.id) + "\">";
    body += "<th scope=\"row\" class=\"kern-table__header\">" + Escape(u.username);
    if (self) body += " <span class=\"pw-muted\">" + Escape(T(lang, "users.you")) + "</span>";
    body += "</th>";
    body += "<td class=\"kern-table__cell\">" + Escape(u.display_name) + "</td>";
    body += "<td class=\"kern-table__cell\">" + Escape(RoleLabel(lang, u.role)) + "</td>";
    body += "<td class=\"kern-table__cell\">" + Escape(municipality) + "</td>";
    std::string departments;
    for (int64_t id : u.department_ids) departments += (departments.empty() ? "" : ", ") + department_names[id];
    body += "<td class=\"kern-table__cell\">" +
            Escape(departments.empty() ? std::string(T(lang, "common.none")) : departments) + "</td>";
    body += "<td class=\"kern-table__cell\">" + Escape(T(lang, u.totp_enrolled ? "common.yes" : "common.no")) + "</td>";
    body += "<td class=\"kern-table__cell\"><span class=\"kern-badge kern-badge--" +
            std::string(u.disabled ? "danger" : "success") +
            " kern-badge--small\"><span "
            "class=\"kern-label\">" +
            Escape(T(lang, u.disabled ? "users.disabled" : "users.active")) + "</span></span></td>";
    body += "<td class=\"kern-table__cell kern-table__cell--action\">";
    if (!self) {
      const char* verb = u.disabled ? "enable" : "disable";
      std::string aria = Tf(lang, u.disabled ? "users.enable_named" : "users.disable_named", {u.username});
      body += "<form class=\"pw-inline-form\" method=\"post\" action=\"/users/" + std::to_string(u.id) + "/" + verb +
              "\">" + web::CsrfInput(env.session->csrf_token) +
              web::RenderButton(web::ButtonKind::kSecondary, T(lang, u.disabled ? "users.enable" : "users.disable"),
                                "aria-label=\"" + Escape(aria) + "\"") +
              "</form>";
    }
    body += "</td></tr>";
  }
  body += "</tbody></table></div>\n";
  return web::HtmlPage(UserChrome(env, "users"), status, T(lang, "users.title"), body);
}

Response GetUsers(Env& env) {
  if (!Can(env, accounts::Action::kManageUsers)) return Forbidden(env);
  return RenderUsers(env, 200, "");
}

struct NewUserForm {
  std::string username;
  std::string display_name;
  std::string role;
  std::string municipality;
  std::vector<int64_t> departments;
};

Response RenderNewUser(Env& env, int status, const NewUserForm& values, const std::vector<web::FieldError>& errors) {
  const Lang lang = env.lang;
  auto error_for = [&](std::string_view field) {
    for (const web::FieldError& e : errors) {
      if (e.field == field) return e.message;
    }
    return std::string();
  };

  std::vector<accounts::Municipality> municipalities;
  if (auto list = env.app.accounts.ListMunicipalities(); list.ok()) {
    for (const accounts::Municipality& m : *list) {
      if (CanIn(env, accounts::Action::kManageUsers, m.id)) {
        municipalities.push_back(m);
      }
    }
  }

  std::string body = Heading(T(lang, "newuser.title"));
  body += web::RenderErrorSummary(lang, errors);
  body += Paragraph(T(lang, "newuser.intro"));
  body += "<form class=\"pw-form\" method=\"post\" action=\"/users\" novalidate>\n";
  body += web::CsrfInput(env.session->csrf_token);

  web::InputField username;
  username.name = "username";
  username.label = T(lang, "newuser.username");
  username.hint = T(lang, "newuser.username_hint");
  username.value = values.username;
  username.error = error_for("username");
  username.autocomplete = "off";
  username.maxlength = 64;
  username.required = true;
  username.spellcheck_off = true;
  body += web::RenderInput(username);

  web::InputField display_name;
  display_name.name = "display_name";
  display_name.label = T(lang, "newuser.display_name");
  display_name.hint = T(lang, "newuser.display_name_hint");
  display_name.value = values.display_name;
  display_name.error = error_for("display_name");
  display_name.autocomplete = "off";
  display_name.maxlength = 200;
  display_name.required = true;
  body += web::RenderInput(display_name);

  web::SelectField role;
  role.name = "role";
  role.label = T(lang, "newuser.role");
  role.error = error_for("role");
  role.required = true;
  web::SelectGroup role_options;
  role_options.options.push_back({"", std::string(T(lang, "newuser.role_choose")), values.role.empty()});
  for (Role r : accounts::AssignableRoles(ActorFor(env))) {
    std::string name(accounts::RoleName(r));
    role_options.options.push_back({name, RoleLabel(lang, r), values.role == name});
  }
  role.groups.push_back(std::move(role_options));
  body += web::RenderSelect(role);

  web::SelectField municipality;
  municipality.name = "municipality";
  municipality.label = T(lang, "newuser.municipality");
  municipality.error = error_for("municipality");
  web::SelectGroup municipality_options;
  // Who creates users everywhere may create operators and auditors, who belong to none.
  const bool everywhere = !accounts::OnlyMunicipality(ActorFor(env), accounts::Action::kManageUsers);
  if (everywhere) {
    municipality_options.options.push_back(
        {"", std::string(T(lang, "newuser.municipality_none")), values.municipality.empty()});
  }
  for (const accounts::Municipality& m : municipalities) {
    std::string id = std::to_string(m.id);
    bool selected = values.municipality == id || (values.municipality.empty() && !everywhere);
    municipality_options.options.push_back({id, m.name + " (" + m.municipality_number + ")", selected});
  }
  municipality.groups.push_back(std::move(municipality_options));
  body += web::RenderSelect(municipality);

  // One checkbox per department; with several municipalities each names its own.
  web::CheckboxGroup departments;
  departments.name = "department";  // the error summary links to "f-department"
  departments.legend = T(lang, "newuser.departments");
  departments.hint = T(lang, "newuser.departments_hint");
  departments.error = error_for("department");
  for (const accounts::Municipality& m : municipalities) {
    auto list = env.app.accounts.ListDepartments(m.id);
    if (!list.ok()) continue;
    for (const accounts::Department& d : *list) {
      bool checked = std::find(values.departments.begin(), values.departments.end(), d.id) != values.departments.end();
      std::string label = municipalities.size() > 1 ? d.name + " (" + m.name + ")" : d.name;
      departments.options.push_back({"department_" + std::to_string(d.id), label, checked});
    }
  }
  if (!departments.options.empty()) body += web::RenderCheckboxes(departments);

  web::InputField password;
  password.name = "password";
  password.label = T(lang, "newuser.password");
  password.hint = T(lang, "newuser.password_hint");
  password.type = "password";
  password.error = error_for("password");
  password.autocomplete = "new-password";
  password.required = true;
  body += web::RenderInput(password);

  body += "<div class=\"pw-actions\">" + web::RenderButton(web::ButtonKind::kPrimary, T(lang, "newuser.submit")) +
          "<a class=\"kern-btn kern-btn--tertiary\" href=\"/users\"><span class=\"kern-label\">" +
          Escape(T(lang, "common.cancel")) + "</span></a></div>\n</form>\n";
  return web::HtmlPage(UserChrome(env, "users"), status, T(lang, "newuser.title"), body);
}

Response GetNewUser(Env& env) {
  if (!Can(env, accounts::Action::kManageUsers)) return Forbidden(env);
  return RenderNewUser(env, 200, {}, {});
}

// A service validation error, attached to the form field it names, in the
// page's language where we know the rule.
web::FieldError ToFieldError(Lang lang, const Status& status) {
  std::string field = status.field();
  if (field == "municipality_id") field = "municipality";
  if (field == "department_id" || field == "departments") field = "department";
  if (status.code() == ErrorCode::kAlreadyExists && (field.empty() || field == "username")) {
    return {"username", std::string(T(lang, "newuser.err_username_taken"))};
  }
  static const std::map<std::string, std::string_view> kMessages = {{"username", "newuser.err_username"},
                                                                    {"display_name", "newuser.err_display_name"},
                                                                    {"role", "newuser.err_role"},
                                                                    {"municipality", "newuser.err_municipality"},
                                                                    {"department", "newuser.err_department"},
                                                                    {"password", "newuser.err_password"}};
  auto it = kMessages.find(field);
  if (it != kMessages.end()) return {field, std::string(T(lang, it->second))};
  if (status.code() == ErrorCode::kPermissionDenied) {
    return {"", std::string(T(lang, "error.403_text"))};
  }
  return {"", status.message()};
}

Response PostUsers(Env& env) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kManageUsers)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));

  NewUserForm values{TrimSpaces(FormValue(form, "username")),
                     TrimSpaces(FormValue(form, "display_name")),
                     FormValue(form, "role"),
                     FormValue(form, "municipality"),
                     {}};
  for (const auto& [key, value] : form) {
    if (key.rfind("department_", 0) != 0 || value.empty()) continue;
    if (auto id = ParseId(key.substr(11))) values.departments.push_back(*id);
  }
  accounts::NewUser user;
  user.username = values.username;
  user.display_name = values.display_name;
  user.password = FormValue(form, "password");

  // What the form itself can tell (all at once); the service checks the rules.
  std::vector<web::FieldError> errors;
  if (values.username.empty()) {
    errors.push_back({"username", std::string(T(lang, "newuser.err_username"))});
  }
  if (values.display_name.empty()) {
    errors.push_back({"display_name", std::string(T(lang, "newuser.err_display_name"))});
  }
  std::optional<Role> role = accounts::ParseRole(values.role);
  if (role) {
    user.role = *role;
  } else {
    errors.push_back({"role", std::string(T(lang, "newuser.err_role"))});
  }
  if (!values.municipality.empty()) {
    if (auto id = ParseId(values.municipality)) {
      user.municipality_id = *id;
    } else {
      errors.push_back({"municipality", std::string(T(lang, "newuser.err_municipality"))});
    }
  }
  user.department_ids = values.departments;
  if (user.password.empty()) {
    errors.push_back({"password", std::string(T(lang, "newuser.err_password"))});
  }
  if (!errors.empty()) return RenderNewUser(env, 422, values, errors);

  Result<User> created = env.app.accounts.CreateUser(ActorFor(env), user);
  if (!created.ok()) {
    ErrorCode code = created.status().code();
    if (code != ErrorCode::kInvalidArgument && code != ErrorCode::kAlreadyExists &&
        code != ErrorCode::kPermissionDenied && code != ErrorCode::kNotFound &&
        code != ErrorCode::kFailedPrecondition) {
      return ErrorFor(env, created.status());
    }
    int status = code == ErrorCode::kAlreadyExists ? 409 : 422;
    return RenderNewUser(env, status, values, {ToFieldError(lang, created.status())});
  }
  return Response::Redirect("/users?created=" + std::to_string(created->id));
}

Response PostUserState(Env& env, bool disable) {
  const Lang lang = env.lang;
  if (!Can(env, accounts::Action::kManageUsers)) return Forbidden(env);
  auto form = env.request.FormParams();
  if (!CsrfMatches(env.session->csrf_token, form)) return web::CsrfErrorPage(UserChrome(env, ""));
  std::optional<int64_t> id = ParseId(env.request.path_params["id"]);
  if (!id) return web::ErrorPage(UserChrome(env, ""), 404);
  accounts::Actor actor = ActorFor(env);
  Status status = disable ? env.app.accounts.DisableUser(actor, *id) : env.app.accounts.EnableUser(actor, *id);
  if (status.ok()) {
    return Response::Redirect(std::string(disable ? "/users?disabled=" : "/users?enabled=") + std::to_string(*id));
  }
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return web::ErrorPage(UserChrome(env, ""), 404);
    case ErrorCode::kPermissionDenied:
      return Forbidden(env);
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
      return RenderUsers(env, HttpStatusFor(status.code()),
                         web::RenderAlert(web::AlertKind::kDanger, T(lang, "users.action_failed"),
                                          "<p class=\"kern-body\">" + Escape(status.message()) + "</p>"));
    default:
      return ErrorFor(env, status);
  }
}

}  // namespace

void RegisterUserPages(Router& router, AppContext& app) {
  router.Add("GET", "/users", "web_users", Protected(app, GetUsers));
  router.Add("GET", "/users/new", "web_user_new", Protected(app, GetNewUser));
  router.Add("POST", "/users", "web_user_create", Protected(app, PostUsers));
  router.Add("POST", "/users/{id}/disable", "web_user_disable",
             Protected(app, [](Env& env) { return PostUserState(env, true); }));
  router.Add("POST", "/users/{id}/enable", "web_user_enable",
             Protected(app, [](Env& env) { return PostUserState(env, false); }));
}

}  // namespace passwerk::web
