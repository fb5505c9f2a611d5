package yunjing.deploy.tls;

import java.nio.file.Path;

/** PEM files of one node: {@code chain} holds the node certificate then the CA; {@code key} is PKCS#8. */
public record NodeCertificate(Path chain, Path key) {
}
