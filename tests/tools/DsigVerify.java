/*
 * DsigVerify — an independent verifier for what ketenpoort signs: the
 * JDK's own XML-DSig (javax.xml.crypto, Apache Santuario inside OpenJDK),
 * no code of ours and no xmlsec.
 *
 *   java DsigVerify.java FILE...
 *
 * For each file: parse it (namespace aware, no DTD, secure processing),
 * mark every wsu:Id as an ID, take the key from the certificate in the
 * wsse:BinarySecurityToken that KeyInfo's SecurityTokenReference names,
 * and validate the ds:Signature with secure validation on: SignedInfo's
 * signature and every Reference's digest.  Prints "ok FILE N references
 * (URI ...)" or "bad FILE: why" per file; exits 1 when any is bad.
 */
import java.io.File;
import java.io.ByteArrayInputStream;
import java.security.Key;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.crypto.AlgorithmMethod;
import javax.xml.crypto.KeySelector;
import javax.xml.crypto.KeySelectorResult;
import javax.xml.crypto.XMLCryptoContext;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class DsigVerify {
	static final String DS = "http://www.w3.org/2000/09/xmldsig#";
	static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/"
	    + "oasis-200401-wss-wssecurity-secext-1.0.xsd";
	static final String WSU = "http://docs.oasis-open.org/wss/2004/01/"
	    + "oasis-200401-wss-wssecurity-utility-1.0.xsd";

	public static void main(String[] args) throws Exception {
		DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
		dbf.setNamespaceAware(true);
		dbf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
		dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl",
		    true);
		XMLSignatureFactory fac = XMLSignatureFactory.getInstance("DOM");
		int bad = 0;

		for (String name : args) {
			try {
				Document doc = dbf.newDocumentBuilder().parse(new File(name));
				System.out.println("ok " + name + " " + verify(fac, doc));
			} catch (Exception e) {
				bad++;
				System.out.println("bad " + name + ": " + e);
			}
		}
		System.exit(bad == 0 ? 0 : 1);
	}

	static String verify(XMLSignatureFactory fac, Document doc)
	    throws Exception {
		NodeList all = doc.getElementsByTagNameNS("*", "*");
		Element token = null;

		for (int i = 0; i < all.getLength(); i++) {
			Element e = (Element)all.item(i);

			if (e.hasAttributeNS(WSU, "Id"))
				e.setIdAttributeNS(WSU, "Id", true);
		}
		NodeList sigs = doc.getElementsByTagNameNS(DS, "Signature");
		if (sigs.getLength() != 1)
			throw new Exception(sigs.getLength() + " ds:Signature elements");
		Element sig = (Element)sigs.item(0);
		NodeList refs = sig.getElementsByTagNameNS(WSSE, "Reference");
		if (refs.getLength() != 1)
			throw new Exception("no SecurityTokenReference/Reference");
		String uri = ((Element)refs.item(0)).getAttribute("URI");
		if (!uri.startsWith("#") ||
		    (token = doc.getElementById(uri.substring(1))) == null ||
		    !WSSE.equals(token.getNamespaceURI()) ||
		    !"BinarySecurityToken".equals(token.getLocalName()))
			throw new Exception("the token reference " + uri +
			    " names no BinarySecurityToken");
		byte[] der = Base64.getMimeDecoder().decode(token.getTextContent());
		X509Certificate cert = (X509Certificate)CertificateFactory
		    .getInstance("X.509")
		    .generateCertificate(new ByteArrayInputStream(der));
		final Key key = cert.getPublicKey();

		DOMValidateContext ctx = new DOMValidateContext(
		    new KeySelector() {
			public KeySelectorResult select(KeyInfo ki, Purpose p,
			    AlgorithmMethod m, XMLCryptoContext c) {
				return () -> key;
			}
		    }, sig);
		ctx.setProperty("org.jcp.xml.dsig.secureValidation", Boolean.TRUE);
		XMLSignature signature = fac.unmarshalXMLSignature(ctx);
		boolean valid = signature.validate(ctx);
		StringBuilder why = new StringBuilder();
		@SuppressWarnings("unchecked")
		List<Reference> list = signature.getSignedInfo().getReferences();

		for (Reference r : list)
			why.append(' ').append(r.getURI())
			    .append(r.validate(ctx) ? "" : "(digest differs)");
		if (!signature.getSignatureValue().validate(ctx))
			why.append(" SignatureValue(does not verify)");
		if (!valid)
			throw new Exception("does not validate:" + why);
		return list.size() + " references (" + why.toString().trim() + ")";
	}
}
