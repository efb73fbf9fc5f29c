#!/usr/bin/python3
"""A pysaml2 service provider as a line-oriented JSON server, to test
saml_idp.py without Passwerk. Run `/usr/bin/python3 saml_sp_probe.py` and write
one JSON command per line to stdin; each gets one JSON line on stdout
(on failure {"error": "..."}). One process serves many SPs (by workdir) and saves
pysaml2's import time per call.

  {"cmd": "init", "workdir": D, "entity_id": ID, "acs": URL, "idp_metadata": PATH}
      makes the SP's key and certificate (one pair for signing and encryption),
      writes D/sp-metadata.xml and D/sp.json -> {"metadata": "<xml>"}
  {"cmd": "request", "workdir": D, "level": L?, "unsigned": bool?}
      -> {"id", "saml_request": base64, "destination"}: an AuthnRequest (RSA-SHA256
      signed unless unsigned) with RequestedAuthnContext (minimum) and the BundID
      akdb:AuthenticationRequest extension
  {"cmd": "response", "workdir": D, "request_id": ID, "saml_response": base64}
      -> {"ok": true, "name_id", "level", "attributes": {oid: [values]}} when pysaml2
      accepts it (decrypts, verifies the signature, audience, recipient, InResponseTo,
      validity period), else {"ok": false, "error": "..."}
"""

import base64
import json
import os
import subprocess
import sys

from saml2 import BINDING_HTTP_POST, extension_element_from_string, samlp
from saml2 import xmldsig as ds
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext

AKDB = (
    '<akdb:AuthenticationRequest xmlns:akdb="https://www.akdb.de/request/2018/09" Version="2">'
    '<akdb:AuthnMethods><akdb:eID><akdb:Enabled>true</akdb:Enabled></akdb:eID></akdb:AuthnMethods>'
    '<akdb:RequestedAttributes>'
    '<akdb:RequestedAttribute Name="urn:oid:1.3.6.1.4.1.25484.494450.3" RequiredAttribute="true"/>'
    '<akdb:RequestedAttribute Name="urn:oid:2.5.4.42" RequiredAttribute="true"/>'
    '<akdb:RequestedAttribute Name="urn:oid:2.5.4.4" RequiredAttribute="true"/>'
    '</akdb:RequestedAttributes>'
    '<akdb:DisplayInformation><akdb:Version>'
    '<akdb:OrganizationDisplayName>Passwerk Test</akdb:OrganizationDisplayName>'
    '</akdb:Version></akdb:DisplayInformation>'
    '</akdb:AuthenticationRequest>'
)


def config(workdir):
    with open(os.path.join(workdir, "sp.json")) as f:
        s = json.load(f)
    key, crt = os.path.join(workdir, "sp.key"), os.path.join(workdir, "sp.crt")
    conf = SPConfig()
    conf.load({
        "entityid": s["entity_id"],
        "key_file": key, "cert_file": crt,
        "encryption_keypairs": [{"key_file": key, "cert_file": crt}],
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [s["idp_metadata"]]} if s.get("idp_metadata") else {},
        "allow_unknown_attributes": True,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(s["acs"], BINDING_HTTP_POST)]},
            "authn_requests_signed": True,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "allow_unsolicited": False,
        }},
    })
    return conf


def cmd_init(a):
    os.makedirs(a["workdir"], exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
                    "-days", "3650", "-subj", "/CN=passwerk-test-sp",
                    "-keyout", os.path.join(a["workdir"], "sp.key"),
                    "-out", os.path.join(a["workdir"], "sp.crt")], check=True, capture_output=True)
    with open(os.path.join(a["workdir"], "sp.json"), "w") as f:
        json.dump({"entity_id": a["entity_id"], "acs": a["acs"], "idp_metadata": a["idp_metadata"]}, f)
    # Without use=, the one certificate serves for signing and encryption.
    xml = str(entity_descriptor(config(a["workdir"])))
    with open(os.path.join(a["workdir"], "sp-metadata.xml"), "w") as f:
        f.write(xml)
    return {"metadata": xml}


def cmd_request(a):
    client = Saml2Client(config(a["workdir"]))
    idp = next(iter(client.metadata.identity_providers()))
    destination = client.metadata.single_sign_on_service(idp, BINDING_HTTP_POST)[0]["location"]
    rac = RequestedAuthnContext(authn_context_class_ref=[AuthnContextClassRef(text=a.get("level") or "STORK-QAA-Level-3")],
                                comparison="minimum")
    ext = samlp.Extensions(extension_elements=[extension_element_from_string(AKDB)])
    req_id, req = client.create_authn_request(
        destination, binding=BINDING_HTTP_POST, requested_authn_context=rac, extensions=ext,
        sign=not a.get("unsigned"), sign_alg=ds.SIG_RSA_SHA256, digest_alg=ds.DIGEST_SHA256)
    return {"id": req_id, "destination": destination,
            "saml_request": base64.b64encode(str(req).encode()).decode()}


def cmd_response(a):
    client = Saml2Client(config(a["workdir"]))
    try:
        resp = client.parse_authn_request_response(a["saml_response"], BINDING_HTTP_POST,
                                                   outstanding={a["request_id"]: "/"})
        if resp is None or resp.assertion is None:
            raise ValueError("no acceptable assertion")
        assertion = resp.assertion
        attrs = {}
        for st in assertion.attribute_statement:
            for at in st.attribute:
                attrs[at.name] = [v.text for v in at.attribute_value]
        return {"ok": True, "name_id": resp.name_id.text,
                "level": assertion.authn_statement[0].authn_context.authn_context_class_ref.text,
                "attributes": attrs}
    except Exception as e:  # every refusal is a result here
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}


COMMANDS = {"init": cmd_init, "request": cmd_request, "response": cmd_response}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            a = json.loads(line)
            out = COMMANDS[a["cmd"]](a)
        except Exception as e:  # answer, keep serving
            out = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
