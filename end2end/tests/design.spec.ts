import AxeBuilder from "@axe-core/playwright";
import {
  test,
  expect,
  openHydrated,
  signUp,
  signInAsAdmin,
  createStrategy,
  createClient,
  type APIRequestContext,
} from "./fixtures";
import type { Page } from "@playwright/test";
import { createBooking } from "./booking-helpers";

/** A user with a strategy and a client, so every page has something on it; returns the pages to visit. */
async function furnishedAccount(request: APIRequestContext) {
  await signUp(request, "Dora Design");
  const strategy = await createStrategy(request, "Design persona");
  const client = await createClient(request, {
    name: "Grace Hopper",
    email: "grace@navy.example",
    phone: "+1 415 555 0100",
    company: "Harvard Computation Lab",
    strategy_id: String(strategy),
  });
  await createBooking(request, "2030-01-07T11:00:00Z", "Design review", client);
  return [
    "/",
    "/clients",
    "/clients/new",
    `/clients/${client}`,
    `/clients/${client}/edit`,
    "/clients/import",
    "/pipeline",
    "/strategies",
    "/strategies/new",
    `/strategies/${strategy}`,
    "/settings",
    "/bookings/list",
  ];
}

/** axe-core's serious and critical findings, one readable line each. */
async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`);
}

for (const scheme of ["light", "dark"] as const) {
  test(`every main page passes axe-core in the ${scheme} theme`, async ({ page }) => {
    test.setTimeout(90_000);
    await page.emulateMedia({ colorScheme: scheme });
    const paths = await furnishedAccount(page.request);
    const findings: string[] = [];
    for (const path of paths) {
      await openHydrated(page, path);
      findings.push(...(await seriousViolations(page)).map((line) => `${path} ${line}`));
    }
    await page.context().clearCookies();
    for (const path of ["/login", "/signup"]) {
      await openHydrated(page, path);
      findings.push(...(await seriousViolations(page)).map((line) => `${path} ${line}`));
    }
    expect(findings).toEqual([]);
  });

  test(`the admin's users and status pages pass axe-core in the ${scheme} theme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await signInAsAdmin(page.request);
    for (const path of ["/", "/users", "/status"]) {
      await openHydrated(page, path);
      expect(await seriousViolations(page), path).toEqual([]);
    }
  });
}

test.describe("on a 360 px phone", () => {
  test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

  test("no main page scrolls sideways, and the menu folds away", async ({ page }) => {
    const paths = await furnishedAccount(page.request);
    const overflowing: string[] = [];
    for (const path of paths) {
      await openHydrated(page, path);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 360) overflowing.push(`${path}: ${width}px wide`);
    }
    expect(overflowing).toEqual([]);

    await openHydrated(page, "/clients");
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav).toBeHidden();
    const menu = page.getByRole("button", { name: "Menu" });
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await nav.getByRole("link", { name: "Pipeline" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Pipeline" })).toBeVisible();
    await expect(nav).toBeHidden();
    // Like any button, the toggle answers Space as well as Enter.
    await menu.focus();
    await page.keyboard.press(" ");
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    await expect(nav).toBeVisible();
  });

  test("the calendar's view switch stays on screen beside an admin's owner picker", async ({ page }) => {
    await signInAsAdmin(page.request);
    await openHydrated(page, "/bookings?view=week");
    await expect(page.getByRole("combobox", { name: "Whose calendar" })).toBeVisible();
    const agenda = page.getByRole("navigation", { name: "View" }).getByRole("link", { name: "Agenda" });
    const box = await agenda.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x + box!.width).toBeLessThanOrEqual(360);
  });

  test("the users page fits too", async ({ page }) => {
    await signInAsAdmin(page.request);
    await openHydrated(page, "/users");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  });
});
