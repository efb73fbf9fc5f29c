#!/usr/bin/python3
"""A pysaml2 service provider in a command, to test saml_idp.py without Passwerk.

  saml_sp_probe.py init --workdir D --entity-id ID --acs URL --idp-metadata PATH
      makes the SP's key and certificate, writes D/sp-metadata.xml and D/sp.json;
      prints {"metadata": "<xml>"}
  saml_sp_probe.py request --workdir D [--level L] [--unsigned]
      prints {"id", "saml_request": base64, "destination"}: an AuthnRequest (RSA-SHA256
      signed unless --unsigned) with RequestedAuthnContext (minimum) and the BundID
      akdb:AuthenticationRequest extension
  saml_sp_probe.py response --workdir D --request-id ID   (SAMLResponse base64 on stdin)
      prints {"ok": true, "name_id", "level", "attributes": {oid: [values]}} when pysaml2
      accepts it (decrypts, verifies the signature, audience, recipient, InResponseTo,
      validity period), else {"ok": false, "error": "..."}
"""

import argparse
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
    os.makedirs(a.workdir, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
                    "-days", "3650", "-subj", "/CN=passwerk-test-sp",
                    "-keyout", os.path.join(a.workdir, "sp.key"),
                    "-out", os.path.join(a.workdir, "sp.crt")], check=True, capture_output=True)
    with open(os.path.join(a.workdir, "sp.json"), "w") as f:
        json.dump({"entity_id": a.entity_id, "acs": a.acs, "idp_metadata": a.idp_metadata}, f)
    # Without use=, the one certificate serves for signing and encryption.
    xml = str(entity_descriptor(config(a.workdir)))
    with open(os.path.join(a.workdir, "sp-metadata.xml"), "w") as f:
        f.write(xml)
    return {"metadata": xml}


def cmd_request(a):
    client = Saml2Client(config(a.workdir))
    idp = next(iter(client.metadata.identity_providers()))
    destination = client.metadata.single_sign_on_service(idp, BINDING_HTTP_POST)[0]["location"]
    rac = RequestedAuthnContext(authn_context_class_ref=[AuthnContextClassRef(text=a.level)],
                                comparison="minimum")
    ext = samlp.Extensions(extension_elements=[extension_element_from_string(AKDB)])
    req_id, req = client.create_authn_request(
        destination, binding=BINDING_HTTP_POST, requested_authn_context=rac, extensions=ext,
        sign=not a.unsigned, sign_alg=ds.SIG_RSA_SHA256, digest_alg=ds.DIGEST_SHA256)
    return {"id": req_id, "destination": destination,
            "saml_request": base64.b64encode(str(req).encode()).decode()}


def cmd_response(a):
    client = Saml2Client(config(a.workdir))
    b64 = sys.stdin.read().strip()
    try:
        resp = client.parse_authn_request_response(b64, BINDING_HTTP_POST,
                                                   outstanding={a.request_id: "/"})
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


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("init")
    p.add_argument("--workdir", required=True)
    p.add_argument("--entity-id", required=True)
    p.add_argument("--acs", required=True)
    p.add_argument("--idp-metadata", required=True)
    p = sub.add_parser("request")
    p.add_argument("--workdir", required=True)
    p.add_argument("--level", default="STORK-QAA-Level-3")
    p.add_argument("--unsigned", action="store_true")
    p = sub.add_parser("response")
    p.add_argument("--workdir", required=True)
    p.add_argument("--request-id", required=True)
    a = ap.parse_args()
    out = {"init": cmd_init, "request": cmd_request, "response": cmd_response}[a.cmd](a)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
