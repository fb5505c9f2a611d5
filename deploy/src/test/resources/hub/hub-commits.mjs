// Lists a repository's commits with the real Hugging Face hub client (@huggingface/hub's
// listCommits, which follows Link headers page by page) and prints one line per commit:
// "commit ID DATE TITLE". Used by HubClientPeer; run from the npm prefix that has the package.
// usage: node hub-commits.mjs HUB_URL REPO REVISION
import { listCommits } from "@huggingface/hub";

const [hubUrl, repo, revision] = process.argv.slice(2);
for await (const c of listCommits({ repo: { type: "model", name: repo }, revision, hubUrl })) {
  console.log(`commit ${c.oid} ${c.date.toISOString()} ${c.title}`);
}
