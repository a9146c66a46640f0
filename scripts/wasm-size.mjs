// Prints the release client's size (WASM + JS glue) raw, gzip and brotli, and fails when the
// brotli total exceeds the budget. Usage: node scripts/wasm-size.mjs target/site/pkg [budget-kb]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const dir = process.argv[2] ?? "target/site/pkg";
const budgetKb = Number(process.argv[3] ?? 400);
const files = readdirSync(dir).filter((name) => /\.(wasm|js)$/.test(name));
if (files.length === 0) {
  console.error(`no .wasm or .js files in ${dir}: build the release client first`);
  process.exit(1);
}
const kb = (bytes) => (bytes / 1024).toFixed(1);
let total = { raw: 0, gzip: 0, brotli: 0 };
for (const name of files.sort()) {
  const data = readFileSync(join(dir, name));
  const sizes = {
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
  for (const key of Object.keys(total)) total[key] += sizes[key];
  console.log(`${name.padEnd(24)} raw ${kb(sizes.raw).padStart(8)} KB  gzip ${kb(sizes.gzip).padStart(7)} KB  brotli ${kb(sizes.brotli).padStart(7)} KB`);
}
console.log(`${"client total".padEnd(24)} raw ${kb(total.raw).padStart(8)} KB  gzip ${kb(total.gzip).padStart(7)} KB  brotli ${kb(total.brotli).padStart(7)} KB  (budget ${budgetKb} KB brotli)`);
if (total.brotli > budgetKb * 1024) {
  console.error(`the client is over its budget: ${kb(total.brotli)} KB brotli > ${budgetKb} KB`);
  process.exit(1);
}
