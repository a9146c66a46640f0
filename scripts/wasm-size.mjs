// Prints the release client's size, raw, gzip and brotli, and fails when the download of any one
// page exceeds the budget. With `cargo leptos build --split` the client is the main module
// (crm.wasm + crm.js + the split loader), which every page loads, plus per group of lazy pages
// (src/app/lazy_pages.rs) the chunks that __wasm_split_manifest.json lists for it; each file is
// compressed on its own, as it is served. Release builds put content hashes in the names
// (crm.<hash>.wasm, __wasm_split_manifest.<hash>.json).
// Usage: node scripts/wasm-size.mjs target/site/pkg [budget-kb]
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const dir = process.argv[2] ?? "target/site/pkg";
// 510 KB since the lazy pages' shared code is three chunks (vendor/README.md): a page is six files
// instead of up to 131 (a round trip each over HTTP/1.1), and the largest page takes 34 KB of code
// it may not use yet (2026-12-02, docs/performance.md, "One shared chunk per group of pages"); it was 400, 415, 425, 430,
// 440, 450, 460, then 475 KB. 515 KB since every page follows booking changes live (the tab's
// stream made generic, 2026-12-04: the dashboard went from 508.3 to 510.4 KB).
const budgetKb = Number(process.argv[3] ?? 515);
const files = readdirSync(dir).filter((name) => /\.(wasm|js)$/.test(name));
const isMain = (name) => /^crm(\.[\w-]+)?\.(wasm|js)$/.test(name) || name.startsWith("__wasm_split.");
if (!files.some((name) => isMain(name) && name.endsWith(".wasm"))) {
  console.error(`no crm.wasm in ${dir}: build the release client first`);
  process.exit(1);
}
const kb = (bytes) => (bytes / 1024).toFixed(1);
const sizes = new Map();
for (const name of files) {
  const data = readFileSync(join(dir, name));
  sizes.set(name, {
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  });
}
const sum = (names) =>
  names.reduce(
    (total, name) => {
      const size = sizes.get(name) ?? { raw: 0, gzip: 0, brotli: 0 };
      return { raw: total.raw + size.raw, gzip: total.gzip + size.gzip, brotli: total.brotli + size.brotli, files: total.files + 1 };
    },
    { raw: 0, gzip: 0, brotli: 0, files: 0 },
  );
const line = (label, size) =>
  console.log(
    `${label.padEnd(28)} raw ${kb(size.raw).padStart(8)} KB  gzip ${kb(size.gzip).padStart(7)} KB  brotli ${kb(size.brotli).padStart(7)} KB  (${size.files} files)`,
  );

const main = files.filter(isMain);
line("main (every page)", sum(main));
const manifestName = readdirSync(dir).find((name) => /^__wasm_split_manifest(\.[\w-]+)?\.json$/.test(name));
const manifest = manifestName ? JSON.parse(readFileSync(join(dir, manifestName), "utf8")) : {};
let worst = { label: "main only", size: sum(main) };
for (const [split, chunks] of Object.entries(manifest).sort()) {
  const label = split.replace(/^__/, "").replace(/_\d+$/, "").replaceAll("_", " ");
  const size = sum([...main, ...chunks.map((chunk) => `${chunk}.wasm`)]);
  line(`  pages: ${label}`, size);
  if (size.brotli > worst.size.brotli) worst = { label, size };
}
line("all files", sum(files));
console.log(`largest page download: ${worst.label}, ${kb(worst.size.brotli)} KB brotli (budget ${budgetKb} KB)`);
if (worst.size.brotli > budgetKb * 1024) {
  console.error(`the client is over its budget: ${worst.label} needs ${kb(worst.size.brotli)} KB brotli > ${budgetKb} KB`);
  process.exit(1);
}
// The server sends these files precompressed (`cargo leptos build --precompress` writes a .br and a
// .gz beside each; the file service picks one by Accept-Encoding): a release build without them
// would compress on every request instead.
const missing = files.filter((name) => !existsSync(join(dir, `${name}.br`)) || !existsSync(join(dir, `${name}.gz`)));
if (missing.length > 0) {
  console.error(`not precompressed (build with --precompress): ${missing.join(", ")}`);
  process.exit(1);
}
