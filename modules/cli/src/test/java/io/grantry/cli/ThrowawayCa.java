package io.grantry.cli;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * A certificate authority made for one test and thrown away: a P-256 CA certificate and the server
 * certificates it signs, written as the PEM files PostgreSQL and its clients read. Built from
 * Bouncy Castle's ASN.1 classes (bcprov, already on the class path; the certificate builders are in
 * bcpkix, which is not) and the JDK's {@link Signature}, so no openssl is needed.
 */
final class ThrowawayCa {
  private static final AlgorithmIdentifier ECDSA_SHA256 =
      new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);

  private final X500Name name;
  private final KeyPair keys;
  private final X509Certificate certificate;

  ThrowawayCa(String commonName) throws Exception {
    this.name = new X500Name("CN=" + commonName);
    this.keys = p256();
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    ext.addExtension(
        Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    this.certificate = sign(name, keys, ext);
  }

  /** Writes the CA's certificate (what {@code sslrootcert} names). */
  Path writeCertificate(Path file) throws Exception {
    Files.writeString(
        file, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
    return file;
  }

  /**
   * Issues a server certificate for the DNS name {@code dnsName} (its only subject alternative
   * name) and writes it and its key ({@code server.crt}, {@code server.key}, PKCS #8) into {@code
   * dir}; returns the two paths.
   */
  Path[] issueServer(String dnsName, Path dir) throws Exception {
    KeyPair server = p256();
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    ext.addExtension(
        Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    ext.addExtension(
        Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    ext.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
    X509Certificate cert = sign(new X500Name("CN=" + dnsName), server, ext);
    Path crt = dir.resolve("server.crt");
    Path key = dir.resolve("server.key");
    Files.writeString(crt, pem("CERTIFICATE", cert.getEncoded()), StandardCharsets.US_ASCII);
    Files.writeString(
        key, pem("PRIVATE KEY", server.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    return new Path[] {crt, key};
  }

  /** A certificate for {@code subject}'s key, signed by this CA (set before this is called). */
  private X509Certificate sign(X500Name subject, KeyPair subjectKeys, ExtensionsGenerator ext)
      throws Exception {
    V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
    tbs.setSerialNumber(
        new ASN1Integer(new BigInteger(64, new SecureRandom()).add(BigInteger.ONE)));
    tbs.setSignature(ECDSA_SHA256);
    tbs.setIssuer(name);
    Instant now = Instant.now();
    tbs.setStartDate(new Time(Date.from(now.minus(Duration.ofHours(1)))));
    tbs.setEndDate(new Time(Date.from(now.plus(Duration.ofDays(1)))));
    tbs.setSubject(subject);
    tbs.setSubjectPublicKeyInfo(
        SubjectPublicKeyInfo.getInstance(subjectKeys.getPublic().getEncoded()));
    tbs.setExtensions(ext.generate());
    TBSCertificate unsigned = tbs.generateTBSCertificate();
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(keys.getPrivate()); // the CA's (its own certificate is self-signed)
    s.update(unsigned.getEncoded(ASN1Encoding.DER));
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(unsigned);
    v.add(ECDSA_SHA256);
    v.add(new DERBitString(s.sign()));
    byte[] der = new DERSequence(v).getEncoded(ASN1Encoding.DER);
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  private static KeyPair p256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
