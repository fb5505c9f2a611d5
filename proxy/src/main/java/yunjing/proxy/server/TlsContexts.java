package yunjing.proxy.server;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;

/**
 * The server TLS context: TLS 1.3 and 1.2 only (the service rule "TLS 1.2+ only"; RFC 8996 deprecates
 * 1.0 and 1.1), ALPN offering h2 then http/1.1 (RFC 7301), the JDK provider (no native dependency),
 * ciphers allowed for HTTP/2 (RFC 9113 §9.2.2).
 *
 * <p>Certificates and key are parsed here rather than by Netty so that every failure names the file.
 */
final class TlsContexts {

    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";

    private TlsContexts() {
    }

    static SslContext server(Path certChain, Path privateKey) throws IOException {
        X509Certificate[] chain = readCertificates(certChain);
        PrivateKey key = readPrivateKey(privateKey, chain[0].getPublicKey().getAlgorithm());
        checkKeyMatches(key, chain[0], certChain, privateKey);
        try {
            return SslContextBuilder.forServer(key, chain)
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2,
                            ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IOException("TLS context from " + certChain + " and " + privateKey + ": " + e.getMessage(), e);
        }
    }

    static X509Certificate[] readCertificates(Path file) throws IOException {
        byte[] pem = read(file, "tlsCertChain");
        try {
            Collection<? extends java.security.cert.Certificate> certs =
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
            if (certs.isEmpty()) {
                throw new IOException("tlsCertChain " + file + ": no certificate (expected: PEM, node certificate first)");
            }
            return certs.stream().map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
        } catch (CertificateException e) {
            throw new IOException("tlsCertChain " + file + ": not a PEM certificate chain: " + e.getMessage(), e);
        }
    }

    static PrivateKey readPrivateKey(Path file, String algorithm) throws IOException {
        String pem = new String(read(file, "tlsPrivateKey"), StandardCharsets.US_ASCII);
        int begin = pem.indexOf(KEY_BEGIN);
        int end = pem.indexOf(KEY_END);
        if (begin < 0 || end < begin) {
            String hint = pem.contains("ENCRYPTED PRIVATE KEY") ? " (encrypted keys are not supported)"
                    : pem.contains("RSA PRIVATE KEY") || pem.contains("EC PRIVATE KEY")
                    ? " (convert with: openssl pkcs8 -topk8 -nocrypt)" : "";
            throw new IOException("tlsPrivateKey " + file + ": no '" + KEY_BEGIN + "' block (expected: PEM PKCS#8)" + hint);
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + KEY_BEGIN.length(), end));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IOException("tlsPrivateKey " + file + ": not a PKCS#8 " + algorithm + " key: " + e.getMessage(), e);
        }
    }

    /** Signs with the key and verifies with the certificate, so a mismatched pair fails at start, not per handshake. */
    private static void checkKeyMatches(PrivateKey key, X509Certificate cert, Path certFile, Path keyFile) throws IOException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        try {
            byte[] probe = "yunjing key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw new IOException("tlsPrivateKey " + keyFile + " does not belong to the first certificate of " + certFile);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("tlsPrivateKey " + keyFile + " cannot sign for " + certFile + ": " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path file, String what) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException(what + " " + file + ": cannot read: " + e, e);
        }
    }
}
