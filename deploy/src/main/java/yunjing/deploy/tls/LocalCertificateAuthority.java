package yunjing.deploy.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A local certificate authority kept in the state directory, so HTTPS works from the first
 * start without anyone running openssl. Files (PEM):
 * <pre>
 * tls/ca.pem          the CA certificate to trust (curl --cacert, SSL_CERT_FILE, REQUESTS_CA_BUNDLE)
 * tls/ca.key          the CA key, mode 0600
 * tls/{node}.pem      node certificate followed by the CA certificate
 * tls/{node}.key      node key, PKCS#8, mode 0600
 * </pre>
 * Keys are ECDSA P-256 signed with SHA-256 through the JDK's own providers (BouncyCastle only
 * builds the certificate structures; the JDK has no public API for that). A node certificate is
 * reissued when it is missing, expires within 30 days, or lacks a name it must carry.
 */
public final class LocalCertificateAuthority {

    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration NODE_VALIDITY = Duration.ofDays(397);  // the CA/Browser Forum ceiling
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final X509Certificate caCert;
    private final PrivateKey caKey;

    private LocalCertificateAuthority(Path dir, X509Certificate caCert, PrivateKey caKey) {
        this.dir = dir;
        this.caCert = caCert;
        this.caKey = caKey;
    }

    /** Opens the CA in {@code dir}, creating it on first use. */
    public static LocalCertificateAuthority openOrCreate(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path certFile = dir.resolve("ca.pem");
        Path keyFile = dir.resolve("ca.key");
        try {
            if (Files.exists(certFile) && Files.exists(keyFile)) {
                return new LocalCertificateAuthority(dir, readCertificate(certFile), readKey(keyFile));
            }
            KeyPair pair = newKeyPair();
            X500Name name = new X500Name("CN=yunjing local CA " + Instant.now().getEpochSecond() + ",O=yunjing");
            Instant now = Instant.now();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(builder, pair.getPrivate());
            writeSecret(keyFile, pem(pair.getPrivate()));
            writeAtomically(certFile, pem(cert));
            return new LocalCertificateAuthority(dir, cert, pair.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IOException(dir + ": cannot create the local CA: " + e.getMessage(), e);
        }
    }

    public Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    /**
     * Returns the certificate and key files for {@code nodeId}, issuing them if needed. The
     * certificate names the node id and every given DNS name and IP address.
     */
    public NodeCertificate issue(String nodeId, Collection<String> dnsNames, Collection<InetAddress> addresses)
            throws IOException {
        Path certFile = dir.resolve(nodeId + ".pem");
        Path keyFile = dir.resolve(nodeId + ".key");
        Set<String> names = new TreeSet<>(dnsNames);
        names.add(nodeId);
        try {
            if (Files.exists(certFile) && Files.exists(keyFile) && stillGood(readCertificate(certFile), names, addresses)) {
                return new NodeCertificate(certFile, keyFile);
            }
            KeyPair pair = newKeyPair();
            List<GeneralName> san = new ArrayList<>();
            names.forEach(n -> san.add(new GeneralName(GeneralName.dNSName, n)));
            addresses.forEach(a -> san.add(new GeneralName(GeneralName.iPAddress, a.getHostAddress())));
            Instant now = Instant.now();
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCert, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(NODE_VALIDITY)),
                    new X500Name("CN=" + nodeId + ",O=yunjing"), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(new KeyPurposeId[]{KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san.toArray(GeneralName[]::new)))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
            X509Certificate cert = sign(builder, caKey);
            writeSecret(keyFile, pem(pair.getPrivate()));
            writeAtomically(certFile, pem(cert) + pem(caCert));
            return new NodeCertificate(certFile, keyFile);
        } catch (GeneralSecurityException e) {
            throw new IOException(certFile + ": cannot issue certificate: " + e.getMessage(), e);
        }
    }

    private static boolean stillGood(X509Certificate cert, Set<String> names, Collection<InetAddress> addresses)
            throws GeneralSecurityException {
        if (cert.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) {
            return false;
        }
        Set<String> present = new TreeSet<>();
        Collection<List<?>> san = cert.getSubjectAlternativeNames();
        if (san != null) {
            san.forEach(entry -> present.add(String.valueOf(entry.get(1))));
        }
        for (InetAddress a : addresses) {
            if (!present.contains(a.getHostAddress())) {
                return false;
            }
        }
        return present.containsAll(names);
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            X509CertificateHolder holder = builder.build(signer);
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(128, RANDOM);
    }

    private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            if (!(object instanceof X509CertificateHolder holder)) {
                throw new IOException(file + ": not a PEM certificate");
            }
            return new JcaX509CertificateConverter().getCertificate(holder);
        }
    }

    private static PrivateKey readKey(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            if (!(object instanceof PrivateKeyInfo info)) {
                throw new IOException(file + ": not a PKCS#8 PEM private key");
            }
            return new JcaPEMKeyConverter().getPrivateKey(info);
        }
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            // PKCS#8 ("BEGIN PRIVATE KEY") is what Netty's SslContextBuilder and most tools read.
            if (object instanceof PrivateKey key) {
                writer.writeObject(new JcaPKCS8Generator(key, null));
            } else {
                writer.writeObject(object);
            }
        }
        return out.toString();
    }

    private static void writeSecret(Path file, String content) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temp, content, StandardCharsets.US_ASCII);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, content, StandardCharsets.US_ASCII);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
