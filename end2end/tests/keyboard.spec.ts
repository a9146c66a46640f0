import { test, expect, openHydrated, signUp, createStrategy, createClient } from "./fixtures";
import type { Page } from "@playwright/test";

/** Ctrl+K, then waits for the palette's field (its code is fetched the first time). */
async function openPalette(page: Page) {
  await page.keyboard.press("Control+k");
  const palette = page.getByRole("dialog", { name: "Command palette" });
  await expect(palette.getByRole("combobox")).toBeFocused();
  return palette;
}

test("the command palette jumps to a page, finds a client and closes on Escape", async ({ page }) => {
  await signUp(page.request, "Kim Keys");
  const strategy = await createStrategy(page.request, "Palette persona");
  const id = await createClient(page.request, {
    name: "Zephyrine Quartzwell",
    company: "Quartzwell Optics",
    strategy_id: String(strategy),
  });
  await openHydrated(page, "/");

  const palette = page.getByRole("dialog", { name: "Command palette" });
  await page.keyboard.press("Control+k");
  await expect(palette).toBeVisible();
  const input = palette.getByRole("combobox");
  await expect(input).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(palette).toBeHidden();

  await openPalette(page);
  await page.keyboard.type("pipe");
  await expect(palette.getByRole("option")).toHaveCount(1);
  await expect(palette.getByRole("option", { name: /Pipeline/ })).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("Enter");
  await expect(palette).toBeHidden();
  await expect(page).toHaveURL("/pipeline");
  await expect(page.getByRole("heading", { level: 1, name: "Pipeline" })).toBeVisible();

  await openPalette(page);
  await page.keyboard.type("quartzw");
  const found = palette.getByRole("option", { name: /Zephyrine Quartzwell · Quartzwell Optics/ });
  await expect(found).toBeVisible();
  // The arrows walk the options (pages and actions come first, none match here).
  await expect(palette.getByRole("option")).toHaveCount(1);
  await page.keyboard.press("ArrowDown");
  await expect(found).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(`/clients/${id}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Zephyrine Quartzwell");

  // Someone else's clients are never offered.
  await signUp(page.request, "Other Owner");
  await openHydrated(page, "/");
  await openPalette(page);
  const answered = page.waitForResponse((response) => response.url().endsWith("/api/find_clients"));
  await page.keyboard.type("quartzw");
  await answered;
  await expect(palette.getByText("Nothing matches")).toBeVisible();
  await expect(palette.getByRole("option")).toHaveCount(0);
});

test("/ focuses the clients search, and typing in a field is left alone", async ({ page }) => {
  await signUp(page.request, "Sam Slash");
  await openHydrated(page, "/clients");
  const search = page.getByRole("searchbox", { name: "Search" });
  await page.keyboard.press("/");
  await expect(search).toBeFocused();
  await page.keyboard.type("a/b");
  await expect(search).toHaveValue("a/b");
});

test("the theme follows the system, switches and is remembered", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await signUp(page.request, "Theo Theme");
  await openHydrated(page, "/");
  const root = page.locator("html");
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await expect(root).not.toHaveAttribute("data-theme");
  const systemDark = await background();

  const switcher = page.getByRole("group", { name: "Colour theme" });
  await expect(switcher.getByRole("button", { name: /System/ })).toHaveAttribute("aria-pressed", "true");
  await switcher.getByRole("button", { name: /Light/ }).click();
  await expect(root).toHaveAttribute("data-theme", "light");
  await expect(switcher.getByRole("button", { name: /Light/ })).toHaveAttribute("aria-pressed", "true");
  expect(await background()).not.toBe(systemDark);

  // The server renders the remembered theme on the first byte.
  const html = await (await page.request.get("/clients")).text();
  expect(html).toMatch(/<html[^>]*data-theme="light"/);
  await openHydrated(page, "/clients");
  await expect(root).toHaveAttribute("data-theme", "light");
  await expect(page.getByRole("group", { name: "Colour theme" }).getByRole("button", { name: /Light/ })).toHaveAttribute(
    "aria-pressed",
    "true",
  );

  // The palette switches it too; the system choice forgets the cookie.
  await openPalette(page);
  await page.keyboard.type("system theme");
  await page.keyboard.press("Enter");
  await expect(root).not.toHaveAttribute("data-theme");
  expect(await background()).toBe(systemDark);
  expect((await page.context().cookies()).some((cookie) => cookie.name === "theme")).toBe(false);
});

test("a client is created with the keyboard alone", async ({ page }) => {
  await signUp(page.request, "Kay Board");
  await createStrategy(page.request, "Keyboard persona");
  await openHydrated(page, "/clients");

  await openPalette(page);
  await page.keyboard.type("new client");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL("/clients/new");
  await expect(page.getByRole("heading", { level: 1, name: "New client" })).toBeVisible();

  // Tab to the name field, as someone without a mouse would.
  const name = page.getByLabel("Name", { exact: true });
  for (let presses = 0; presses < 40 && !(await name.evaluate((field) => field === document.activeElement)); presses++) {
    await page.keyboard.press("Tab");
  }
  await expect(name).toBeFocused();
  await page.keyboard.type("Katherine Johnson");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Email", { exact: true })).toBeFocused();
  await page.keyboard.type("katherine@nasa.example");
  // Enter in a text field submits the form.
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL("/clients");
  await expect(page.getByRole("link", { name: "Katherine Johnson" })).toBeVisible();
  await expect(page.getByRole("status").getByText("Client created.")).toBeVisible();
});
