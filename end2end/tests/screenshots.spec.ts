import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test, expect, openHydrated, signInAsAdmin, createStrategy, createClient } from "./fixtures";
import { bookingOwner } from "./booking-helpers";

// The README's screenshots, taken from the real app in both themes. Every run takes them (into the
// test's output folder); `scripts/screenshots.sh` runs this file alone on a fresh database with
// UPDATE_SCREENSHOTS=1, which writes them to docs/screenshots/ instead.
const target = process.env.UPDATE_SCREENSHOTS === "1" ? join(__dirname, "..", "..", "docs", "screenshots") : null;

const LEADS: Array<[string, string, string, string]> = [
  ["Ana Silva", "Silva Bakery", "ana@silvabakery.example", "qualified"],
  ["Bruno Costa", "Costa Logistics", "bruno@costa.example", "contacted"],
  ["Chloe Dubois", "Dubois Design", "chloe@dubois.example", "lead"],
  ["Diego Garcia", "Garcia Motors", "diego@garciamotors.example", "booked"],
  ["Elena Rossi", "Rossi Wines", "elena@rossiwines.example", "booked"],
  ["Felix Nakamura", "Nakamura Labs", "felix@nakamura.example", "won"],
  ["Grace Kowalski", "Kowalski & Sons", "grace@kowalski.example", "lead"],
  ["Hana Müller", "Müller Optik", "hana@mueller.example", "lost"],
];

test("screenshots of the main pages in both themes", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signInAsAdmin(page.request);
  const strategy = await createStrategy(page.request, "Friendly closer");
  await createStrategy(page.request, "Technical advisor");
  let first = 0;
  for (const [name, company, email, status] of LEADS) {
    const id = await createClient(page.request, { name, company, email, status, strategy_id: String(strategy) });
    first ||= id;
  }
  const pages: Array<[string, string]> = [
    ["dashboard", "/"],
    ["clients", "/clients"],
    ["client", `/clients/${first}`],
    ["pipeline", "/pipeline"],
    ["strategies", "/strategies"],
    ["users", "/users"],
    ["settings", "/settings"],
    ["status", "/status"],
  ];
  const folder = target ?? testInfo.outputPath("screenshots");
  mkdirSync(folder, { recursive: true });
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    for (const [name, path] of pages) {
      await openHydrated(page, path);
      await expect(page.locator("[aria-busy=true]")).toHaveCount(0);
      await page.screenshot({ path: join(folder, `${name}-${scheme}.png`) });
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await openHydrated(page, "/");
    await expect(page.locator("[aria-busy=true]")).toHaveCount(0);
    await page.screenshot({ path: join(folder, `dashboard-phone-${scheme}.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }
  const signedOut = await page
    .context()
    .browser()!
    .newContext({ baseURL: testInfo.project.use.baseURL, viewport: { width: 1280, height: 800 } });
  const login = await signedOut.newPage();
  for (const scheme of ["light", "dark"] as const) {
    await login.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    await openHydrated(login, "/login");
    await login.screenshot({ path: join(folder, `login-${scheme}.png`) });
  }
  await signedOut.close();
});

test("screenshots of the public booking page at 1280 px and on a phone, in both themes", async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  const owner = await bookingOwner(request);
  const folder = target ?? testInfo.outputPath("screenshots");
  mkdirSync(folder, { recursive: true });
  for (const [device, width, height] of [["desktop", 1280, 800], ["phone", 390, 844]] as const) {
    await page.setViewportSize({ width, height });
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
      await openHydrated(page, `${owner.pagePath}?tz=Europe/Lisbon`);
      await expect(page.locator("a.slot").first()).toBeVisible();
      await page.screenshot({ path: join(folder, `booking-${device}-${scheme}.png`), fullPage: device === "phone" });
      await page.locator("a.slot").first().click();
      await expect(page.getByRole("button", { name: "Confirm booking" })).toBeVisible();
      await page.screenshot({ path: join(folder, `booking-form-${device}-${scheme}.png`), fullPage: device === "phone" });
    }
  }
});
