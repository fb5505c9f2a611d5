package yunjing.deploy.topology;

/**
 * A model an origin serves: the API name and the artifact-store repository it loads from.
 *
 * @param generateSeed when non-null and the store lacks the repository, the node writes the
 *                     seeded test model there first (the local demo); null means the files must
 *                     already be published
 */
public record ModelRef(String name, String repo, String ref, Long generateSeed) {
}
