// What a person waits for in Chromium: for each main page, cold load to hydrated (an empty cache,
// `html[data-hydrated]` set) and a repeat visit (the same page loaded again in the same browser, its
// files cached), and from the clients list, click to the client page rendered (its heading shown),
// with the pointer resting on the list first, as a hand does, and without. Each case also counts
// the client files (`/pkg/`) the browser asked the server for.
// Optionally over an emulated network latency. Prints a Markdown table of p50 and p90 per case.
//
// Usage: node bench/page-timings.mjs BASE_URL [--runs N] [--latency MS]
// (bench/page-timings.sh starts a release server on a fresh database and calls this.)
import { createRequire } from "node:module";
import { existsSync } from "node:fs";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium, request } = require("@playwright/test");

const args = process.argv.slice(2);
const base = args[0] ?? "http://127.0.0.1:3000";
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const runs = option("--runs", 10);
const latency = option("--latency", 0);
const executablePath = existsSync("/usr/lib/chromium/chromium") ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium";
const password = "page timing lantern harbour";

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function seed() {
  const api = await request.newContext({ baseURL: base });
  const email = `timing-${Date.now()}@example.com`;
  const signup = await api.post("/api/signup", { form: { name: "Timing", email, password }, maxRedirects: 0 });
  if (signup.status() >= 400) throw new Error(`sign-up: ${signup.status()} ${await signup.text()}`);
  const strategy = await api.post("/api/create_strategy", {
    form: { name: "Timing persona", creativity: "5", reply_delay_min: "0", reply_delay_max: "0" },
  });
  const strategyId = (await strategy.json()).id;
  let clientId;
  for (let i = 0; i < 60; i++) {
    const client = await api.post("/api/create_client", {
      form: { name: `Client ${i}`, email: `c${i}@example.com`, strategy_id: String(strategyId) },
    });
    clientId = await client.json();
  }
  const state = await api.storageState();
  await api.dispose();
  return { state, clientId };
}

async function context(browser, state) {
  const ctx = await browser.newContext({ storageState: state, viewport: { width: 1280, height: 800 } });
  if (latency > 0) {
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false, latency, downloadThroughput: -1, uploadThroughput: -1,
    });
    return { ctx, page };
  }
  return { ctx, page: await ctx.newPage() };
}

/** Counts the client files the server sent (a cached file, from memory or disk, does not count). */
async function countFiles(page) {
  const counter = { files: 0 };
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const cached = new Set();
  cdp.on("Network.requestServedFromCache", ({ requestId }) => cached.add(requestId));
  cdp.on("Network.responseReceived", ({ requestId, response }) => {
    const fromCache = cached.has(requestId) || response.fromDiskCache || response.fromPrefetchCache;
    if (new URL(response.url).pathname.startsWith("/pkg/") && !fromCache) counter.files += 1;
  });
  return counter;
}

async function load(page, path) {
  const started = Date.now();
  await page.goto(base + path);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 30_000 });
  return Date.now() - started;
}

async function coldLoad(browser, state, path, repeat) {
  const { ctx, page } = await context(browser, state);
  if (repeat) await load(page, path);
  const counter = await countFiles(page);
  const ms = await load(page, path);
  await ctx.close();
  return [ms, counter.files];
}

async function clickToClient(browser, state, warm) {
  const { ctx, page } = await context(browser, state);
  await page.goto(base + "/clients");
  await page.locator("html[data-hydrated]").waitFor({ state: "attached", timeout: 30_000 });
  const link = page.getByTestId("client-row").first().locator("a").first();
  const name = await link.textContent();
  if (warm) {
    await link.hover();
    await page.waitForTimeout(300);
  }
  const counter = await countFiles(page);
  const started = Date.now();
  await link.click();
  await page.getByRole("heading", { level: 1, name }).waitFor({ timeout: 30_000 });
  const ms = Date.now() - started;
  await ctx.close();
  return [ms, counter.files];
}

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const { state, clientId } = await seed();
const pages = ["/", "/clients", `/clients/${clientId}`, "/pipeline", "/strategies", "/bookings", "/settings"];
const rows = [];
const measure = async (name, once) => {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once());
  rows.push([name, results.map(([ms]) => ms), Math.max(...results.map(([, files]) => files))]);
};
for (const repeat of [false, true]) {
  for (const path of pages) {
    const label = path.replace(String(clientId), "{id}");
    await measure(`${repeat ? "repeat visit" : "cold load"} to hydrated: ${label}`, () =>
      coldLoad(browser, state, path, repeat));
  }
}
for (const warm of [false, true]) {
  await measure(`click to client page rendered${warm ? ", pointer on the list first" : ""}`, () =>
    clickToClient(browser, state, warm));
}
await browser.close();

console.log(`\n${runs} runs each, ${latency} ms emulated latency, Chromium at 1280 px\n`);
console.log("| Case | p50 ms | p90 ms | /pkg files from the server |");
console.log("|---|---:|---:|---:|");
for (const [name, times, files] of rows) {
  console.log(`| ${name} | ${percentile(times, 50)} | ${percentile(times, 90)} | ${files} |`);
}
