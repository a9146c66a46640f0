// Chat delivery latency in Chromium: from the moment a message is sent (the POST to instance A
// starts) to the moment it shows in a thread open in the browser, when the browser is connected to
// A itself and when it is connected to instance B (the message crosses Redis). Sequential sends,
// one at a time. Prints p50/p90/p99/max per case as a Markdown table.
//
// Usage: node bench/chat-delivery.mjs URL_A URL_B [--messages N]
// (bench/chat-delivery.sh starts the two release instances on one PostgreSQL and Redis.)
import { createRequire } from "node:module";
import { existsSync } from "node:fs";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium, request } = require("@playwright/test");

const [a, b] = process.argv.slice(2, 4);
const at = process.argv.indexOf("--messages");
const messages = at > 0 ? Number(process.argv[at + 1]) : 200;
const executablePath = existsSync("/usr/lib/chromium/chromium") ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium";
const now = () => performance.timeOrigin + performance.now();
const percentile = (values, p) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

const api = await request.newContext({ baseURL: a });
const signup = await api.post("/api/signup", {
  form: { name: "Delivery", email: `delivery-${Date.now()}@example.com`, password: "delivery lantern harbour" },
  maxRedirects: 0,
});
if (signup.status() >= 400) throw new Error(`sign-up: ${signup.status()} ${await signup.text()}`);
const strategy = await api.post("/api/create_strategy", {
  form: { name: "Delivery persona", creativity: "5", reply_delay_min: "0", reply_delay_max: "0" },
});
const strategyId = (await strategy.json()).id;
const client = await (await api.post("/api/create_client", {
  form: { name: "Dana Delivery", email: "dana@example.com", strategy_id: String(strategyId) },
})).json();

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ storageState: await api.storageState() });
const rows = [];
for (const [label, viewer] of [["one instance (send to A, shown from A)", a], ["two instances (send to A, shown from B)", b]]) {
  const page = await context.newPage();
  await page.goto(`${viewer}/chat/${client}`);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.evaluate(() => {
    window.__seen = new Map();
    new MutationObserver((records) => {
      const at = performance.timeOrigin + performance.now();
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType !== 1) continue;
          for (const body of node.querySelectorAll?.(".message-body") ?? []) {
            if (!window.__seen.has(body.textContent)) window.__seen.set(body.textContent, at);
          }
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  // Let the page's stream connect before the first send.
  await page.waitForTimeout(500);
  const latencies = [];
  for (let i = 0; i < messages; i++) {
    const body = `delivery ${label.split(" ")[0]} ${i}`;
    const sent = now();
    const response = await api.post("/api/send_chat_message", { form: { client_id: String(client), body } });
    if (response.status() >= 400) throw new Error(`send: ${response.status()} ${await response.text()}`);
    const shown = await page.waitForFunction((text) => window.__seen.get(text), body, { timeout: 10_000, polling: 5 });
    latencies.push((await shown.jsonValue()) - sent);
  }
  rows.push([label, latencies]);
  await page.close();
}
await browser.close();
await api.dispose();

console.log(`\n${messages} messages per case, sent one at a time; Chromium on the same machine\n`);
console.log("| Case | p50 ms | p90 ms | p99 ms | max ms |");
console.log("|---|---:|---:|---:|---:|");
const fmt = (ms) => ms.toFixed(1);
for (const [label, values] of rows) {
  console.log(`| ${label} | ${fmt(percentile(values, 50))} | ${fmt(percentile(values, 90))} | ${fmt(percentile(values, 99))} | ${fmt(Math.max(...values))} |`);
}
