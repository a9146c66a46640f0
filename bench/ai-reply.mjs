// The AI persona's reply time in Chromium: from the moment a lead sends a message on the public
// chat (Enter in the composer) to the moment the persona's reply shows on the lead's screen, with
// the offline responder, no reply delay and the owner's real free slots. Sequential messages, one
// at a time. Prints p50/p90/p99/max as a Markdown table.
//
// Usage: node bench/ai-reply.mjs URL [--messages N]   (bench/ai-reply.sh starts the instance.)
import { createRequire } from "node:module";
import { existsSync } from "node:fs";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium, request } = require("@playwright/test");

const [base] = process.argv.slice(2, 3);
const at = process.argv.indexOf("--messages");
const messages = at > 0 ? Number(process.argv[at + 1]) : 200;
const executablePath = existsSync("/usr/lib/chromium/chromium") ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium";
const percentile = (values, p) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const must = async (response, what) => {
  if (response.status() >= 400) throw new Error(`${what}: ${response.status()} ${await response.text()}`);
  return response;
};

// The owner: a persona that answers on its own at once, bookings open every day.
const api = await request.newContext({ baseURL: base });
await must(await api.post("/api/signup", {
  form: { name: "Reply Owner", email: `reply-${Date.now()}@example.com`, password: "reply lantern harbour" },
  maxRedirects: 0,
}), "sign-up");
await must(await api.post("/api/create_strategy", {
  form: { name: "Quick persona", creativity: "5", reply_delay_min: "0", reply_delay_max: "0",
    default_ai_mode: "auto", ai_message_cap: "500", qualification_priority: "Team size, then budget" },
}), "strategy");
const profile = { name: "Reply Owner", timezone: "Europe/Lisbon", booking_enabled: "on" };
for (const day of ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) {
  profile[`hours[${day}_on]`] = "on";
  profile[`hours[${day}_start]`] = "08:00";
  profile[`hours[${day}_end]`] = "20:00";
}
await must(await api.post("/api/update_profile", { form: profile }), "profile");
const { page_path } = await (await must(await api.post("/api/load_booking_links"), "links")).json();
const talk = `${base}${page_path.replace("/book/", "/talk/")}`;

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
// One lead writes at most 12 messages a minute (the public chat's limit per conversation): a new
// lead, in a browser context of its own, takes over every 10 messages.
const PER_LEAD = 10;
async function newLead(n) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(talk);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("Your name").fill(`Lee Lead ${n}`);
  await page.getByLabel("Email").fill(`lee-${n}@example.com`);
  await page.getByLabel("Your message").fill("Hi there");
  await page.getByRole("button", { name: "Start the conversation" }).click();
  await page.locator("li.talk-theirs").first().waitFor();
  await page.evaluate(() => {
    window.__replies = [];
    new MutationObserver((records) => {
      const at = performance.timeOrigin + performance.now();
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType === 1 && node.matches?.("li.talk-theirs")) window.__replies.push(at);
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  // Let the page's stream connect before the first message.
  await page.waitForTimeout(300);
  return { context, page };
}

const latencies = [];
let lead = null;
for (let i = 0; i < messages; i++) {
  if (i % PER_LEAD === 0) {
    await lead?.context.close();
    lead = await newLead(i / PER_LEAD);
  }
  const { page } = lead;
  const box = page.getByRole("textbox", { name: "Message" });
  const before = await page.evaluate(() => window.__replies.length);
  await box.fill(`Message ${i}: we are ${(i % PER_LEAD) + 2} people`);
  const sent = await page.evaluate(() => performance.timeOrigin + performance.now());
  await box.press("Enter");
  const shown = await page
    .waitForFunction((n) => window.__replies[n], before, { timeout: 10_000, polling: 2 })
    .catch(async (error) => {
      const last = await page.locator("li[data-testid=talk-message]").allTextContents();
      const problem = await page.locator(".form-error, .field-error").allTextContents();
      throw new Error(`no reply to message ${i}: ${error.message}\n${last.slice(-4).join("\n")}\n${problem.join(" ")}`);
    });
  latencies.push((await shown.jsonValue()) - sent);
}
await lead?.context.close();
await browser.close();
await api.dispose();

console.log(`\n${messages} lead messages (${PER_LEAD} per lead), one at a time; offline responder, no delay; Chromium on the same machine\n`);
console.log("| Case | p50 ms | p90 ms | p99 ms | max ms |");
console.log("|---|---:|---:|---:|---:|");
const fmt = (ms) => ms.toFixed(1);
console.log(`| lead's Enter to the persona's reply on screen | ${fmt(percentile(latencies, 50))} | ${fmt(percentile(latencies, 90))} | ${fmt(percentile(latencies, 99))} | ${fmt(Math.max(...latencies))} |`);
