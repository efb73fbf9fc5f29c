/* liblasso as a SAML service provider in a command: checks that what
 * saml_idp.py produces is what liblasso (the library Passwerk's SP uses)
 * accepts or refuses, and shows which checks liblasso leaves to its caller.
 * Compiled on the fly by tests/functional/peers.test.mjs:
 *   cc -o lasso_probe lasso_probe.c $(pkg-config --cflags --libs lasso glib-2.0 gobject-2.0)
 *
 *   lasso_probe SP_METADATA SP_KEY IDP_METADATA request
 *     -> {"id","url","saml_request"}: an AuthnRequest, RSA-SHA256 signed, for
 *        HTTP-POST, asking for STORK-QAA-Level-3 (minimum)
 *   lasso_probe SP_METADATA SP_KEY IDP_METADATA response < SAMLResponse(base64)
 *     -> {"process": rc, "error": "...", "accept": rc, "conditions": n, "in_response_to",
 *         "recipient", "destination", "encrypted": bool, "attributes": {name: value}}
 *        process/accept: the return codes of lasso_login_process_authn_response_msg
 *        and lasso_login_accept_sso (0 = accepted); conditions: the result of
 *        lasso_saml2_assertion_validate_conditions for the SP (0 valid, 1 invalid,
 *        2 indeterminate).
 */
#include <lasso/lasso.h>
#include <lasso/saml-2.0/saml2_helper.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_requested_authn_context.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <stdio.h>
#include <string.h>

/* Prints s as a JSON string (or null). */
static void json_str(const char *s) {
  if (!s) { fputs("null", stdout); return; }
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
    else putchar(*s);
  }
  putchar('"');
}

static int make_request(LassoServer *server) {
  LassoLogin *login = lasso_login_new(server);
  GList *idps = g_hash_table_get_keys(server->providers);
  int rc = lasso_login_init_authn_request(login, idps->data, LASSO_HTTP_METHOD_POST);
  g_list_free(idps);
  if (rc) { fprintf(stderr, "init_authn_request: %s\n", lasso_strerror(rc)); return 1; }
  LassoSamlp2AuthnRequest *req = LASSO_SAMLP2_AUTHN_REQUEST(login->parent.request);
  req->NameIDPolicy->Format = g_strdup(LASSO_SAML2_NAME_IDENTIFIER_FORMAT_PERSISTENT);
  req->NameIDPolicy->AllowCreate = TRUE;
  req->ProtocolBinding = g_strdup(LASSO_SAML2_METADATA_BINDING_POST);
  LassoSamlp2RequestedAuthnContext *rac =
      LASSO_SAMLP2_REQUESTED_AUTHN_CONTEXT(lasso_samlp2_requested_authn_context_new());
  rac->AuthnContextClassRef = g_list_append(NULL, g_strdup("STORK-QAA-Level-3"));
  rac->Comparison = g_strdup("minimum");
  req->RequestedAuthnContext = rac;
  rc = lasso_login_build_authn_request_msg(login);
  if (rc) { fprintf(stderr, "build_authn_request_msg: %s\n", lasso_strerror(rc)); return 1; }
  fputs("{\"id\":", stdout); json_str(LASSO_SAMLP2_REQUEST_ABSTRACT(req)->ID);
  fputs(",\"url\":", stdout); json_str(login->parent.msg_url);
  fputs(",\"saml_request\":", stdout); json_str(login->parent.msg_body);
  puts("}");
  return 0;
}

static int check_response(LassoServer *server, const char *sp_entity_id) {
  static char msg[1 << 20];
  size_t n = fread(msg, 1, sizeof msg - 1, stdin);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) n--;
  msg[n] = 0;
  LassoLogin *login = lasso_login_new(server);
  int rc = lasso_login_process_authn_response_msg(login, msg);
  printf("{\"process\":%d,\"error\":", rc);
  json_str(rc ? lasso_strerror(rc) : NULL);
  LassoSamlp2Response *resp = login->parent.response ? LASSO_SAMLP2_RESPONSE(login->parent.response) : NULL;
  LassoSaml2Assertion *a = rc ? NULL : LASSO_SAML2_ASSERTION(lasso_login_get_assertion(login));
  if (a) {
    printf(",\"accept\":%d", lasso_login_accept_sso(login));
    printf(",\"conditions\":%d", lasso_saml2_assertion_validate_conditions(a, sp_entity_id));
    fputs(",\"in_response_to\":", stdout); json_str(LASSO_SAMLP2_STATUS_RESPONSE(resp)->InResponseTo);
    LassoSaml2SubjectConfirmationData *scd = lasso_saml2_assertion_get_subject_confirmation_data(a, FALSE);
    fputs(",\"recipient\":", stdout); json_str(scd ? scd->Recipient : NULL);
    fputs(",\"destination\":", stdout); json_str(LASSO_SAMLP2_STATUS_RESPONSE(resp)->Destination);
    printf(",\"encrypted\":%s", resp->EncryptedAssertion ? "true" : "false");
    fputs(",\"attributes\":{", stdout);
    const char *sep = "";
    for (GList *s = a->AttributeStatement; s; s = s->next) {
      for (GList *at = LASSO_SAML2_ATTRIBUTE_STATEMENT(s->data)->Attribute; at; at = at->next) {
        LassoSaml2Attribute *attr = at->data;
        LassoSaml2AttributeValue *v = attr->AttributeValue ? attr->AttributeValue->data : NULL;
        LassoNode *t = v && v->any ? v->any->data : NULL;
        fputs(sep, stdout); json_str(attr->Name); putchar(':');
        json_str(t && LASSO_IS_MISC_TEXT_NODE(t) ? LASSO_MISC_TEXT_NODE(t)->content : NULL);
        sep = ",";
      }
    }
    putchar('}');
  }
  puts("}");
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: lasso_probe SP_METADATA SP_KEY IDP_METADATA request|response [SP_ENTITY_ID]\n");
    return 2;
  }
  if (lasso_init()) return 1;
  LassoServer *server = lasso_server_new(argv[1], argv[2], NULL, NULL);
  if (!server) { fprintf(stderr, "lasso_server_new failed\n"); return 1; }
  server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
  lasso_server_set_encryption_private_key(server, argv[2]);
  int rc = lasso_server_add_provider(server, LASSO_PROVIDER_ROLE_IDP, argv[3], NULL, NULL);
  if (rc) { fprintf(stderr, "add_provider: %s\n", lasso_strerror(rc)); return 1; }
  if (strcmp(argv[4], "request") == 0) return make_request(server);
  if (strcmp(argv[4], "response") == 0 && argc == 6) return check_response(server, argv[5]);
  fprintf(stderr, "lasso_probe: unknown command\n");
  return 2;
}
