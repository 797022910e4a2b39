#!/usr/bin/python3
"""zeep_client -- a partner on a standard SOAP toolkit, for the tests.

Debian's python3-zeep (4.2) signs the request with its own
zeep.wsse.signature.BinarySignature (xmlsec underneath), exactly as a
Digikoppeling partner on zeep would: RSA-SHA256 and SHA-256 configured,
the Security header with mustUnderstand and a Timestamp, WS-Addressing
headers as zeep's WsAddressingPlugin adds them (Action, MessageID, To; no
From).  Only the envelope around the kd body is made here, since the
protocol has no WSDL for zeep to read.

  zeep_client.py MODE URL CERT KEY CA BODY.xml [SERVER_CERT]

MODE default: zeep's BinarySignature as it comes, which signs the Body and
the Timestamp only.  MODE addressing: a small subclass that also signs the
WS-Addressing headers.  MODE sha1: zeep's own defaults for the algorithms
(RSA-SHA1, SHA-1).  MODE no-timestamp: a Security header without a
Timestamp.  Prints the HTTP status and the answer; with
SERVER_CERT, also whether the answer's signature verifies (python3-xmlsec)
with that certificate's key.
"""
import sys
import uuid

import requests
import xmlsec
from lxml import etree
from zeep.wsse import signature as zeep_signature
from zeep.wsse.signature import BinarySignature
from zeep.wsse.utils import WSU, get_security_header, get_timestamp
import datetime

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSU_NS = ("http://docs.oasis-open.org/wss/2004/01/"
          "oasis-200401-wss-wssecurity-utility-1.0.xsd")
WSSE = ("http://docs.oasis-open.org/wss/2004/01/"
        "oasis-200401-wss-wssecurity-secext-1.0.xsd")
DS = "http://www.w3.org/2000/09/xmldsig#"


class SignAddressing(BinarySignature):
    """BinarySignature that signs the WS-Addressing headers too (WB004)."""

    def apply(self, envelope, headers):
        plain = zeep_signature._sign_node

        def sign_node(ctx, sig, target, digest_method=None):
            plain(ctx, sig, target, digest_method)
            if target.tag == "{%s}Body" % SOAP:
                for block in envelope.find("{%s}Header" % SOAP):
                    if block.tag.startswith("{%s}" % WSA):
                        plain(ctx, sig, block, digest_method)

        zeep_signature._sign_node = sign_node
        try:
            return super().apply(envelope, headers)
        finally:
            zeep_signature._sign_node = plain


def envelope_for(body_file, url, timestamp=True):
    body_root = etree.parse(body_file).getroot()
    action = "urn:ketenpoort:ketendossier:1:" + etree.QName(body_root).localname
    env = etree.Element("{%s}Envelope" % SOAP,
                        nsmap={"soap-env": SOAP, "wsa": WSA})
    header = etree.SubElement(env, "{%s}Header" % SOAP)
    etree.SubElement(header, "{%s}Action" % WSA).text = action
    etree.SubElement(header, "{%s}MessageID" % WSA).text = \
        "urn:uuid:" + str(uuid.uuid4())
    etree.SubElement(header, "{%s}To" % WSA).text = url
    body = etree.SubElement(env, "{%s}Body" % SOAP)
    body.append(body_root)
    # the partner's configuration: mustUnderstand and a Timestamp
    security = get_security_header(env)
    security.set("{%s}mustUnderstand" % SOAP, "1")
    now = datetime.datetime.utcnow()
    if not timestamp:
        return env, action
    security.append(WSU.Timestamp(
        WSU.Created(get_timestamp(now, zulu_timestamp=True)),
        WSU.Expires(get_timestamp(now + datetime.timedelta(minutes=5),
                                  zulu_timestamp=True))))
    return env, action


def verify_answer(text, server_cert):
    doc = etree.fromstring(text)
    sig = doc.find(".//{%s}Signature" % DS)
    if sig is None:
        return "no signature"
    ctx = xmlsec.SignatureContext()
    for node in doc.iter():
        if node.get("{%s}Id" % WSU_NS):
            ctx.register_id(node, "Id", WSU_NS)
    ctx.key = xmlsec.Key.from_file(server_cert, xmlsec.constants.KeyDataFormatCertPem)
    try:
        ctx.verify(sig)
    except xmlsec.Error as e:
        return "does not verify: %s" % e
    return "verifies"


def main():
    mode, url, cert, key, ca, body_file = sys.argv[1:7]
    server_cert = sys.argv[7] if len(sys.argv) > 7 else None
    env, action = envelope_for(body_file, url, mode != "no-timestamp")
    if mode == "sha1":
        signer = SignAddressing(key, cert)	# zeep's defaults: RSA-SHA1, SHA-1
    else:
        signer = (SignAddressing if mode != "default" else BinarySignature)(
            key, cert,
            signature_method=xmlsec.constants.TransformRsaSha256,
            digest_method=xmlsec.constants.TransformSha256)
    signer.apply(env, {})
    data = etree.tostring(env, xml_declaration=True, encoding="utf-8")
    r = requests.post(url, data=data, cert=(cert, key), verify=ca, timeout=20,
                      headers={"Content-Type": "text/xml; charset=utf-8",
                               "SOAPAction": '"%s"' % action})
    print("HTTP %d" % r.status_code)
    print(r.text)
    if server_cert:
        print("answer signature: %s" % verify_answer(r.content, server_cert))


if __name__ == "__main__":
    main()
