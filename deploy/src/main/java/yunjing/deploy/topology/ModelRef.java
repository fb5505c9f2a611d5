package yunjing.deploy.topology;

import yunjing.origin.ModelSpec.ImageParts;

/**
 * A model an origin serves: the API name and the artifact-store repository it loads from.
 *
 * @param generateSeed when non-null and the store lacks the repository, the node writes the
 *                     seeded test model there first (the local demo); null means the files must
 *                     already be published
 * @param images       {@code images: refuse} (default: a 400 names the problem) or {@code ignore} (image parts
 *                     are dropped untokenized) for a text-only model
 */
public record ModelRef(String name, String repo, String ref, Long generateSeed, ImageParts images) {

    public ModelRef(String name, String repo, String ref, Long generateSeed) {
        this(name, repo, ref, generateSeed, ImageParts.REFUSE);
    }

    /** The same model, dropping image parts instead of refusing them. */
    public ModelRef ignoringImages() {
        return new ModelRef(name, repo, ref, generateSeed, ImageParts.IGNORE);
    }
}
