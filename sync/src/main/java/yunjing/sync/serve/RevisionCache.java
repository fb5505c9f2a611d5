package yunjing.sync.serve;

import yunjing.sync.store.ArtifactStore;
import yunjing.sync.store.Manifest;
import yunjing.sync.store.Revision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parsed revisions by repo and revision id, so a request does not re-parse a manifest of maybe
 * megabytes of chunk lists. An entry is reused while its manifest file keeps its size and mtime:
 * a re-publish replaces the manifest (newer version), which the next lookup notices.
 * Thread-safe; runs on the blocking executor, never on an event loop.
 */
final class RevisionCache {
    private static final int MAX_ENTRIES = 64;

    private record Cached(Revision revision, FileTime modified, long size) {
    }

    private final ArtifactStore store;
    private final Map<String, Cached> entries = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    RevisionCache(ArtifactStore store) {
        this.store = store;
    }

    ArtifactStore store() {
        return store;
    }

    /** The revision {@code revisionId} of {@code repo}; NoSuchFileException when absent. */
    Revision get(String repo, String revisionId) throws IOException {
        String key = repo + "@" + revisionId;
        Cached cached;
        synchronized (entries) {
            cached = entries.get(key);
        }
        if (cached != null) {
            BasicFileAttributes now = attributes(cached.revision().directory().resolve(Manifest.FILE_NAME));
            if (now != null && now.lastModifiedTime().equals(cached.modified()) && now.size() == cached.size()) {
                return cached.revision();
            }
        }
        Revision revision = store.resolve(repo, revisionId);
        BasicFileAttributes attrs = attributes(revision.directory().resolve(Manifest.FILE_NAME));
        if (attrs != null) {
            synchronized (entries) {
                entries.put(key, new Cached(revision, attrs.lastModifiedTime(), attrs.size()));
            }
        }
        return revision;
    }

    private static BasicFileAttributes attributes(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException gone) {
            return null;
        }
    }
}
