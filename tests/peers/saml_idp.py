#!/usr/bin/python3
"""A BundID-like SAML 2.0 identity provider for tests, on Debian's pysaml2.

Usage: /usr/bin/python3 tests/peers/saml_idp.py --port 0 --workdir DIR

It generates its keys and metadata in DIR, prints one JSON line
{"url", "entity_id", "metadata"} and serves on 127.0.0.1 until SIGTERM.

HTTP interface (see tests/peers/README.md):
  POST /admin/sp        body: SP metadata XML; registers or replaces the SP -> 204
  POST /sso             HTTP-POST binding (SAMLRequest, RelayState) -> login page
  POST /sso/login       the login form -> auto-submitting form to the SP's ACS
  POST /test/response   JSON {saml_request, level, name, variant, eid_level}
                        -> JSON {"SAMLResponse": base64}

pysaml2 verifies AuthnRequests (signature against the SP's metadata) and
signs (xmlsec1) and encrypts (xmlsec1, AES-128-CBC + RSA-OAEP-MGF1P) the
assertions. The assertion XML itself is written out here as a template so
that the negative variants can be built precisely.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape, quoteattr

from saml2 import BINDING_HTTP_POST, samlp
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.server import Server
from saml2.sigver import RSA_OAEP_MGF1P, pre_encryption_part, pre_signature_part
from saml2 import xmldsig as ds

XMLSEC = "/usr/bin/xmlsec1"
NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_AKDB = "https://www.akdb.de/request/2018/09"
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
ASSERTION_NODE = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
LEVELS = ["STORK-QAA-Level-1", "STORK-QAA-Level-2", "STORK-QAA-Level-3", "STORK-QAA-Level-4"]
VARIANTS = ["valid", "unsigned", "wrong_key", "tampered", "expired", "wrong_audience",
            "wrong_recipient", "wrapping", "wrapping2", "unencrypted", "unsolicited",
            "wrong_in_response_to"]
EVIL = "https://evil.example"


def make_key_pair(workdir, stem, cn):
    """A 2048-bit RSA key and a self-signed certificate, as DIR/stem.key/.crt."""
    key, crt = os.path.join(workdir, stem + ".key"), os.path.join(workdir, stem + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
                    "-days", "3650", "-subj", "/CN=" + cn, "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return key, crt


def cert_body(pem_path):
    """The base64 body of a PEM certificate, as it goes into ds:X509Certificate."""
    with open(pem_path) as f:
        return "".join(l.strip() for l in f if l.strip() and not l.startswith("-----"))


def ts(delta_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id():
    # XML IDs must not start with a digit.
    return "_" + secrets.token_hex(16)


def strip_xml_decl(text):
    text = text.strip()
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2:].lstrip()
    return text


def person(name):
    """The attributes the IdP releases for a person typed in at login."""
    words = name.split()
    normalised = " ".join(words).lower()
    given, surname = (" ".join(words[:-1]), words[-1]) if len(words) > 1 else ("", name.strip())
    bpk2 = base64.b64encode(hashlib.sha256(("bpk2:" + normalised).encode()).digest()).decode()
    mail_local = ".".join(w.lower() for w in words) or "anonym"
    return {
        "givenName": given, "surname": surname,
        "mail": mail_local.encode("ascii", "ignore").decode() + "@example.org",
        "postalAddress": "Heidestraße 17", "postalCode": "51147", "localityName": "Köln",
        "birthdate": "1964-08-12", "bPK2": bpk2,
    }


ATTRIBUTE_OIDS = [
    ("givenName", "urn:oid:2.5.4.42"),
    ("surname", "urn:oid:2.5.4.4"),
    ("mail", "urn:oid:0.9.2342.19200300.100.1.3"),
    ("postalAddress", "urn:oid:2.5.4.16"),
    ("postalCode", "urn:oid:2.5.4.17"),
    ("localityName", "urn:oid:2.5.4.7"),
    ("birthdate", "urn:oid:1.2.40.0.10.2.1.1.55"),
    ("bPK2", "urn:oid:1.3.6.1.4.1.25484.494450.3"),
    ("EID-CITIZEN-QAA-LEVEL", "urn:oid:1.2.40.0.10.2.1.1.261.94"),
]


class SpRegistry:
    """The registered service providers, parsed from their metadata."""

    def __init__(self, workdir):
        self.workdir, self.sps, self.lock = workdir, {}, threading.Lock()

    def register(self, xml_bytes):
        root = ET.fromstring(xml_bytes)
        if root.tag != "{%s}EntityDescriptor" % NS_MD:
            raise ValueError("expected an md:EntityDescriptor")
        entity_id = root.get("entityID")
        sp = root.find("{%s}SPSSODescriptor" % NS_MD)
        if not entity_id or sp is None:
            raise ValueError("no entityID or SPSSODescriptor")
        certs = {}
        for kd in sp.findall("{%s}KeyDescriptor" % NS_MD):
            c = kd.find(".//{%s}X509Certificate" % NS_DS)
            if c is not None:
                body = "".join(c.text.split())
                for use in ([kd.get("use")] if kd.get("use") else ["signing", "encryption"]):
                    certs.setdefault(use, body)
        if "encryption" not in certs:
            raise ValueError("SP metadata has no encryption certificate")
        acs = [e.get("Location") for e in sp.findall("{%s}AssertionConsumerService" % NS_MD)
               if e.get("Binding") == BINDING_HTTP_POST]
        if not acs:
            raise ValueError("SP metadata has no HTTP-POST AssertionConsumerService")
        with self.lock:
            n = self.sps.get(entity_id, {}).get("n", len(self.sps))
            md_path = os.path.join(self.workdir, "sp-%d-metadata.xml" % n)
            enc_path = os.path.join(self.workdir, "sp-%d-enc.crt" % n)
            with open(md_path, "wb") as f:
                f.write(xml_bytes)
            with open(enc_path, "w") as f:
                body = certs["encryption"]
                f.write("-----BEGIN CERTIFICATE-----\n")
                f.write("\n".join(body[i:i + 64] for i in range(0, len(body), 64)))
                f.write("\n-----END CERTIFICATE-----\n")
            self.sps[entity_id] = {"n": n, "metadata": md_path, "enc_cert_file": enc_path,
                                   "enc_cert": certs["encryption"], "acs": acs}
        return entity_id

    def get(self, entity_id):
        with self.lock:
            return self.sps.get(entity_id)

    def metadata_files(self):
        with self.lock:
            return [sp["metadata"] for sp in self.sps.values()]


class Idp:
    def __init__(self, base_url, workdir):
        self.base_url, self.workdir = base_url, workdir
        self.entity_id = base_url + "/idp"
        self.key, self.crt = make_key_pair(workdir, "idp", "passwerk-test-idp")
        self.wrong_key, self.wrong_crt = make_key_pair(workdir, "wrong", "passwerk-test-idp")
        self.registry = SpRegistry(workdir)
        self.pending, self.pending_lock = {}, threading.Lock()
        self.server_lock = threading.Lock()
        self.server = self._build_server()
        self.metadata_path = os.path.join(workdir, "idp-metadata.xml")
        with open(self.metadata_path, "w") as f:
            f.write(str(entity_descriptor(self.server.config)))

    def _build_server(self):
        """A pysaml2 Server knowing every registered SP (rebuilt on registration)."""
        conf = IdPConfig()
        conf.load({
            "entityid": self.entity_id,
            "key_file": self.key, "cert_file": self.crt,
            "xmlsec_binary": XMLSEC,
            "metadata": {"local": self.registry.metadata_files()},
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(self.base_url + "/sso", BINDING_HTTP_POST)]},
                "want_authn_requests_signed": True,
                "want_authn_requests_only_with_valid_cert": False,
            }},
        })
        return Server(config=conf)

    def register_sp(self, xml_bytes):
        entity_id = self.registry.register(xml_bytes)
        server = self._build_server()
        with self.server_lock:
            self.server = server
        return entity_id

    # --- requests -----------------------------------------------------------------

    def read_request(self, saml_request, verify=True):
        """Parses (and with verify, checks the signature of) a base64 AuthnRequest.
        Returns a dict with id, sp, acs, level and the akdb requested attributes."""
        if verify:
            with self.server_lock:
                server = self.server
            parsed = server.parse_authn_request(saml_request, BINDING_HTTP_POST)
            if parsed is None:
                raise ValueError("request did not verify")
            msg = parsed.message
        else:
            msg = samlp.authn_request_from_string(base64.b64decode(saml_request))
            if msg is None:
                raise ValueError("not an AuthnRequest")
        sp_id = msg.issuer.text if msg.issuer is not None else None
        sp = self.registry.get(sp_id)
        if sp is None:
            raise ValueError("unknown service provider %r" % sp_id)
        acs = msg.assertion_consumer_service_url or sp["acs"][0]
        if acs not in sp["acs"]:
            raise ValueError("AssertionConsumerServiceURL %r is not in the SP's metadata" % acs)
        level = None
        rac = msg.requested_authn_context
        if rac is not None and rac.authn_context_class_ref:
            level = rac.authn_context_class_ref[0].text.strip()
        # The BundID extension: list the attribute names it asks for.
        requested = []
        root = ET.fromstring(base64.b64decode(saml_request))
        for ra in root.iter("{%s}RequestedAttribute" % NS_AKDB):
            requested.append(ra.get("Name"))
        return {"id": msg.id, "sp": sp_id, "acs": acs, "level": level, "requested": requested}

    # --- responses ----------------------------------------------------------------

    def _sign(self, xml, node_name, node_id, key_file):
        with self.server_lock:
            sec = self.server.sec
        return strip_xml_decl(sec.sign_statement(xml, node_name, key_file=key_file, node_id=node_id))

    def _encrypt(self, assertion_xml, sp):
        """One saml:EncryptedAssertion element (string) holding assertion_xml,
        encrypted by xmlsec1 (through pysaml2) with a fresh AES-128-CBC key that
        is wrapped with RSA-OAEP-MGF1P to the SP's encryption certificate."""
        doc = ('<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
               + assertion_xml + "</saml:EncryptedAssertion>")
        template = pre_encryption_part(msg_enc=AES128_CBC, key_enc=RSA_OAEP_MGF1P,
                                       key_name="sp-encryption-key", encrypt_cert=sp["enc_cert"])
        with self.server_lock:
            sec = self.server.sec
        xpath = "/*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']"
        return strip_xml_decl(sec.encrypt_assertion(doc, sp["enc_cert_file"], str(template),
                                                    "aes-128", xpath))

    def _assertion(self, ctx, name, level, eid_level, variant, aid, signature_cert=None):
        """The assertion XML; with signature_cert, carrying an empty ds:Signature
        template (xmlsec1 fills it) whose KeyInfo holds that certificate."""
        expired = variant == "expired"
        base = -4200 if expired else 0          # issue ~70 minutes ago when expired
        until = -3600 if expired else 300       # valid for 5 minutes, or ended an hour ago
        attrs = person(name)
        attrs["EID-CITIZEN-QAA-LEVEL"] = eid_level or level
        audience = EVIL + "/sp" if variant == "wrong_audience" else ctx["sp"]
        recipient = EVIL + "/acs" if variant == "wrong_recipient" else ctx["acs"]
        irt = ctx.get("in_response_to")
        name_id = hashlib.sha256(("nameid:%s:%s" % (ctx["sp"], attrs["bPK2"])).encode()).hexdigest()
        sig = ""
        if signature_cert:
            sig = str(pre_signature_part(aid, signature_cert, digest_alg=ds.DIGEST_SHA256,
                                         sign_alg=ds.SIG_RSA_SHA256))
        attr_xml = "".join(
            '<saml:Attribute Name=%s NameFormat="%s" FriendlyName=%s>'
            '<saml:AttributeValue xsi:type="xs:string">%s</saml:AttributeValue></saml:Attribute>'
            % (quoteattr(oid), URI_FORMAT, quoteattr(fn), escape(attrs[fn]))
            for fn, oid in ATTRIBUTE_OIDS)
        return (
            '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'ID="%(aid)s" Version="2.0" IssueInstant="%(issued)s">'
            '<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">%(idp)s</saml:Issuer>'
            '%(sig)s'
            '<saml:Subject>'
            '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" '
            'NameQualifier=%(idp_q)s SPNameQualifier=%(sp_q)s>%(name_id)s</saml:NameID>'
            '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            '<saml:SubjectConfirmationData %(irt)sNotOnOrAfter="%(until)s" Recipient=%(recipient)s/>'
            '</saml:SubjectConfirmation></saml:Subject>'
            '<saml:Conditions NotBefore="%(issued)s" NotOnOrAfter="%(until)s">'
            '<saml:AudienceRestriction><saml:Audience>%(audience)s</saml:Audience></saml:AudienceRestriction>'
            '</saml:Conditions>'
            '<saml:AuthnStatement AuthnInstant="%(issued)s" SessionIndex="%(session)s">'
            '<saml:AuthnContext><saml:AuthnContextClassRef>%(level)s</saml:AuthnContextClassRef>'
            '</saml:AuthnContext></saml:AuthnStatement>'
            '<saml:AttributeStatement>%(attrs)s</saml:AttributeStatement>'
            '</saml:Assertion>'
        ) % {
            "aid": aid, "issued": ts(base), "until": ts(until), "idp": escape(self.entity_id),
            "idp_q": quoteattr(self.entity_id), "sp_q": quoteattr(ctx["sp"]), "name_id": name_id,
            "irt": 'InResponseTo=%s ' % quoteattr(irt) if irt else "", "sig": sig,
            "recipient": quoteattr(recipient), "audience": escape(audience),
            "session": new_id(), "level": escape(level), "attrs": attr_xml,
        }

    def build_response(self, ctx, name, level, variant="valid", eid_level=None, sign_response=None):
        """The base64 samlp:Response for a parsed request ctx (id, sp, acs)."""
        if variant not in VARIANTS:
            raise ValueError("unknown variant %r (one of %s)" % (variant, ", ".join(VARIANTS)))
        if level not in LEVELS:
            raise ValueError("unknown level %r" % level)
        sp = self.registry.get(ctx["sp"])
        ctx = dict(ctx)
        ctx["in_response_to"] = {"unsolicited": None,
                                 "wrong_in_response_to": new_id()}.get(variant, ctx["id"])
        aid = new_id()
        if variant == "unsigned":
            assertion = self._assertion(ctx, name, level, eid_level, variant, aid)
        elif variant == "wrong_key":
            # An attacker's key pair; its certificate rides along in KeyInfo.
            assertion = self._assertion(ctx, name, level, eid_level, variant, aid, cert_body(self.wrong_crt))
            assertion = self._sign(assertion, ASSERTION_NODE, aid, self.wrong_key)
        else:
            assertion = self._assertion(ctx, name, level, eid_level, variant, aid, cert_body(self.crt))
            assertion = self._sign(assertion, ASSERTION_NODE, aid, self.key)
        if variant == "tampered":
            # Change the signed bPK2 after signing: the digest no longer matches.
            old = person(name)["bPK2"]
            evil = base64.b64encode(hashlib.sha256(b"bpk2:tampered").digest()).decode()
            assertion = assertion.replace(">%s<" % old, ">%s<" % evil)
        evil_assertion = None
        if variant in ("wrapping", "wrapping2"):
            # The attacker's assertion: same structure, another person, no signature.
            evil_assertion = self._assertion(ctx, "Mallory Angreifer", level, eid_level, variant, new_id())
        if variant == "wrapping":
            # XSW: the original signed assertion goes inside the evil one's
            # saml:Advice (schema-valid: Advice follows Conditions); the evil
            # outer assertion itself is unsigned.
            cut = evil_assertion.index("<saml:AuthnStatement ")
            evil_assertion = (evil_assertion[:cut] + "<saml:Advice>" + assertion + "</saml:Advice>"
                              + evil_assertion[cut:])
        if variant == "unencrypted":
            body = assertion
        elif variant == "wrapping":
            body = self._encrypt(evil_assertion, sp)
        elif variant == "wrapping2":
            # Two EncryptedAssertions: first the unsigned evil one, then the valid one.
            body = self._encrypt(evil_assertion, sp) + self._encrypt(assertion, sp)
        else:
            body = self._encrypt(assertion, sp)

        # Only what the real IdP could have produced gets a valid Response signature.
        if sign_response is None:
            # (wrong_key: the attacker signs the Response with the wrong key too.)
            sign_response = variant not in ("unsigned", "tampered", "wrapping", "wrapping2")
        rid = new_id()
        expired = variant == "expired"
        destination = EVIL + "/acs" if variant == "wrong_recipient" else ctx["acs"]
        irt = ctx["in_response_to"]
        key, crt = (self.wrong_key, self.wrong_crt) if variant == "wrong_key" else (self.key, self.crt)
        sig = str(pre_signature_part(rid, cert_body(crt), digest_alg=ds.DIGEST_SHA256,
                                     sign_alg=ds.SIG_RSA_SHA256)) if sign_response else ""
        response = (
            '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" '
            'IssueInstant="%s" Destination=%s%s>'
            '<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">%s</saml:Issuer>'
            '%s<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            '</samlp:Status>%s</samlp:Response>'
        ) % (rid, ts(-4200 if expired else 0), quoteattr(destination),
             " InResponseTo=%s" % quoteattr(irt) if irt else "", escape(self.entity_id), sig, body)
        if sign_response:
            response = self._sign(response, RESPONSE_NODE, rid, key)
        return base64.b64encode(response.encode()).decode()


# --- HTTP --------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>%(title)s</title></head>
<body><main><h1>%(title)s</h1>%(body)s</main></body></html>
"""


def page(title, body):
    return (PAGE % {"title": escape(title), "body": body}).encode()


def login_page(key, req):
    level = req["level"] if req["level"] in LEVELS else "STORK-QAA-Level-1"
    options = "".join('<option value="%s"%s>%s</option>' % (l, " selected" if l == level else "", l)
                      for l in LEVELS)
    requested = ""
    if req["requested"]:
        requested = ("<p>Angefragte Attribute:</p><ul>"
                     + "".join("<li>%s</li>" % escape(n or "") for n in req["requested"]) + "</ul>")
    body = (
        "<p>Anmeldung für <code>%s</code></p>%s"
        '<form method="post" action="/sso/login">'
        '<input type="hidden" name="key" value="%s">'
        '<p><label for="name">Name</label> '
        '<input type="text" id="name" name="name" value="Erika Mustermann"></p>'
        '<p><label for="level">Vertrauensniveau</label> '
        '<select id="level" name="level">%s</select></p>'
        '<p><button type="submit" id="login">Anmelden</button></p></form>'
    ) % (escape(req["sp"]), requested, key, options)
    return page("Test-IdP: Anmeldung", body)


def post_page(acs, saml_response, relay_state):
    body = (
        '<form method="post" action=%s id="samlform">'
        '<input type="hidden" name="SAMLResponse" value="%s">%s'
        '<p><button type="submit" id="continue">Weiter</button></p></form>'
        "<script>document.getElementById('samlform').submit();</script>"
    ) % (quoteattr(acs), saml_response,
         '<input type="hidden" name="RelayState" value=%s>' % quoteattr(relay_state)
         if relay_state is not None else "")
    return page("Test-IdP: Weiterleitung", body)


class Handler(BaseHTTPRequestHandler):
    idp = None  # set in main()

    def log_message(self, fmt, *args):
        pass  # quiet; errors go to stderr explicitly

    def _send(self, status, body=b"", ctype="text/html; charset=utf-8"):
        self.send_response(status)
        if body:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _error(self, status, message):
        sys.stderr.write("saml_idp: %d %s: %s\n" % (status, self.path, message))
        self._send(status, page("Fehler", "<p>%s</p>" % escape(str(message))))

    def _body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _form(self):
        q = urllib.parse.parse_qs(self._body().decode(), keep_blank_values=True)
        return {k: v[0] for k, v in q.items()}

    def do_GET(self):
        if self.path == "/metadata":
            with open(self.idp.metadata_path, "rb") as f:
                return self._send(200, f.read(), "application/samlmetadata+xml")
        self._error(404, "not found")

    def do_POST(self):
        path = self.path.split("?")[0]
        try:
            handler = {"/admin/sp": self.admin_sp, "/sso": self.sso, "/sso/login": self.sso_login,
                       "/test/response": self.test_response}.get(path)
            if handler is None:
                return self._error(404, "not found")
            handler()
        except Exception as e:  # a test peer: report, never die
            self._error(500, "%s: %s" % (type(e).__name__, e))

    def admin_sp(self):
        try:
            self.idp.register_sp(self._body())
        except (ValueError, ET.ParseError) as e:
            return self._error(400, e)
        self._send(204)

    def sso(self):
        form = self._form()
        if "SAMLRequest" not in form:
            return self._error(400, "SAMLRequest missing")
        try:
            req = self.idp.read_request(form["SAMLRequest"], verify=True)
        except Exception as e:  # unsigned, wrongly signed, unknown SP, bad ACS
            return self._error(400, "AuthnRequest refused: %s: %s" % (type(e).__name__, e))
        req["relay_state"] = form.get("RelayState")
        key = secrets.token_urlsafe(24)
        with self.idp.pending_lock:
            self.idp.pending[key] = req
        self._send(200, login_page(key, req))

    def sso_login(self):
        form = self._form()
        with self.idp.pending_lock:
            req = self.idp.pending.pop(form.get("key", ""), None)
        if req is None:
            return self._error(400, "unknown or used login session")
        name = form.get("name", "").strip() or "Erika Mustermann"
        level = form.get("level", "")
        if level not in LEVELS:
            return self._error(400, "unknown level")
        resp = self.idp.build_response(req, name, level)
        self._send(200, post_page(req["acs"], resp, req["relay_state"]))

    def test_response(self):
        try:
            args = json.loads(self._body())
            req = self.idp.read_request(args["saml_request"], verify=False)
            resp = self.idp.build_response(
                req, args.get("name") or "Erika Mustermann",
                args.get("level") or req["level"] or "STORK-QAA-Level-3",
                args.get("variant") or "valid", args.get("eid_level"), args.get("sign_response"))
        except (ValueError, KeyError, TypeError) as e:
            return self._error(400, "%s: %s" % (type(e).__name__, e))
        self._send(200, json.dumps({"SAMLResponse": resp}).encode(), "application/json")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    url = "http://127.0.0.1:%d" % httpd.server_address[1]
    Handler.idp = Idp(url, args.workdir)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=httpd.shutdown).start())
    print(json.dumps({"url": url, "entity_id": Handler.idp.entity_id,
                      "metadata": Handler.idp.metadata_path}), flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    httpd.server_close()


if __name__ == "__main__":
    main()
