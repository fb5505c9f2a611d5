// Downloads one file with the real Hugging Face hub client (@huggingface/hub) and prints its
// SHA-256 and size. Used by HubClientPeer; run from the npm prefix that has the package installed.
// usage: node hub-download.mjs HUB_URL REPO REVISION PATH OUT_FILE
import { downloadFile } from "@huggingface/hub";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";

const [hubUrl, repo, revision, path, out] = process.argv.slice(2);
const blob = await downloadFile({ repo: { type: "model", name: repo }, revision, path, hubUrl });
if (!blob) {
  console.error(`not found: ${repo}@${revision}/${path}`);
  process.exit(2);
}
const bytes = Buffer.from(await blob.arrayBuffer());
writeFileSync(out, bytes);
console.log(`sha256=${createHash("sha256").update(bytes).digest("hex")} size=${bytes.length}`);
