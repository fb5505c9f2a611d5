package yunjing.deploy.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalCertificateAuthorityTest {

    @TempDir
    Path tmp;

    private static List<X509Certificate> read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> certs = new ArrayList<>();
            CertificateFactory.getInstance("X.509").generateCertificates(in).forEach(c -> certs.add((X509Certificate) c));
            return certs;
        }
    }

    @Test
    void issue_nodeCertificateCarriesNamesAndIsSignedByTheCa() throws Exception {
        LocalCertificateAuthority ca = LocalCertificateAuthority.openOrCreate(tmp);
        NodeCertificate node = ca.issue("gz-unicom", List.of("api.mirror.test", "models.mirror.test"),
                List.of(InetAddress.getByName("127.0.0.42")));

        List<X509Certificate> chain = read(node.chain());
        X509Certificate caCert = read(ca.caCertificate()).get(0);
        assertEquals(2, chain.size(), "node certificate then CA");
        chain.get(0).verify(caCert.getPublicKey());
        List<String> names = new ArrayList<>();
        chain.get(0).getSubjectAlternativeNames().forEach(san -> names.add(String.valueOf(san.get(1))));
        assertTrue(names.containsAll(List.of("api.mirror.test", "models.mirror.test", "gz-unicom", "127.0.0.42")), names.toString());
        assertTrue(caCert.getBasicConstraints() >= 0, "CA certificate is a CA");
        assertEquals(-1, chain.get(0).getBasicConstraints(), "node certificate is not a CA");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(node.key()));
        assertTrue(Files.readString(node.key()).startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
    }

    @Test
    void reopen_keepsTheCaAndReissuesOnlyWhenNamesChange() throws Exception {
        LocalCertificateAuthority first = LocalCertificateAuthority.openOrCreate(tmp);
        NodeCertificate a = first.issue("edge", List.of("api.mirror.test"), List.of(InetAddress.getByName("127.0.0.41")));
        byte[] caBytes = Files.readAllBytes(first.caCertificate());
        byte[] certBytes = Files.readAllBytes(a.chain());

        LocalCertificateAuthority second = LocalCertificateAuthority.openOrCreate(tmp);
        second.issue("edge", List.of("api.mirror.test"), List.of(InetAddress.getByName("127.0.0.41")));
        assertEquals(new String(caBytes), Files.readString(second.caCertificate()));
        assertEquals(new String(certBytes), Files.readString(a.chain()), "still valid: not reissued");

        second.issue("edge", List.of("api.mirror.test", "models.mirror.test"), List.of(InetAddress.getByName("127.0.0.41")));
        assertNotEquals(new String(certBytes), Files.readString(a.chain()), "a new name forces a new certificate");
    }
}
