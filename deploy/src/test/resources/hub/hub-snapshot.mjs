// Downloads a whole revision with the real Hugging Face hub client (@huggingface/hub's
// snapshotDownload: model info, then the tree API, then each file) and prints one line per file:
// "file PATH sha256=HEX size=N", sorted (the client logs its own progress lines too). Used by HubClientPeer; run from the npm prefix that has the package.
// usage: node hub-snapshot.mjs HUB_URL REPO REVISION CACHE_DIR
import { snapshotDownload } from "@huggingface/hub";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const [hubUrl, repo, revision, cacheDir] = process.argv.slice(2);
const folder = await snapshotDownload({ repo: { type: "model", name: repo }, revision, hubUrl, cacheDir });

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      yield* files(path);
    } else {
      yield path;
    }
  }
}
const lines = [];
for (const path of files(folder)) {
  const bytes = readFileSync(path); // follows the snapshot's links into the blob store
  lines.push(`file ${relative(folder, path)} sha256=${createHash("sha256").update(bytes).digest("hex")} size=${bytes.length}`);
}
console.log(lines.sort().join("\n"));
