import { test, expect, openHydrated, signUp, createStrategy, createClient } from "./fixtures";
import type { APIRequestContext } from "@playwright/test";

/** A user with `count` clients named "Lead 00"…, and `others` named "Other 0"…; returns the strategy. */
async function furnish(request: APIRequestContext, count: number, others = 0) {
  await signUp(request, "Selma Select");
  const strategy = await createStrategy(request, "Selection persona");
  for (let n = 0; n < count; n++) {
    await createClient(request, { name: `Lead ${String(n).padStart(2, "0")}`, strategy_id: String(strategy) });
  }
  for (let n = 0; n < others; n++) {
    await createClient(request, { name: `Other ${n}`, strategy_id: String(strategy) });
  }
  return strategy;
}

test("the selection bar appears with the count, selects the page or all matching, and shows only what the action needs", async ({
  page,
}) => {
  await furnish(page.request, 55, 3);
  await openHydrated(page, "/clients?q=lead");
  await expect(page.getByTestId("clients-total")).toHaveText("55 clients");
  const bar = page.getByTestId("selection-bar");
  const count = page.getByTestId("selection-count");
  await expect(bar).toBeHidden();

  await page.getByLabel("Select Lead 54").check();
  await expect(bar).toBeVisible();
  await expect(count).toHaveText("1 selected");

  // Only the inputs of the chosen action: the stage for a move, the strategy for a change of
  // strategy, the confirmation for a deletion.
  const stage = bar.getByLabel("Stage", { exact: true });
  const strategy = bar.getByLabel("Strategy", { exact: true });
  const confirm = bar.getByLabel("Yes, delete them");
  await expect(stage).toBeVisible();
  await expect(strategy).toBeHidden();
  await expect(confirm).toBeHidden();
  await bar.getByLabel("Action").selectOption("strategy");
  await expect(stage).toBeHidden();
  await expect(strategy).toBeVisible();
  await bar.getByLabel("Action").selectOption("delete");
  await expect(strategy).toBeHidden();
  await expect(confirm).toBeVisible();
  await bar.getByLabel("Action").selectOption("status");

  // The whole page, then every client the filter matches (more than a page).
  const pageBox = page.getByLabel("Select every client on this page");
  await pageBox.check();
  await expect(count).toHaveText("50 selected");
  await page.getByLabel("Select Lead 54").uncheck();
  await expect(count).toHaveText("49 selected");
  await expect(pageBox).not.toBeChecked();
  await page.getByLabel("Select all 55 matching").check();
  await expect(count).toHaveText("All 55 matching clients selected");
  await expect(pageBox).toBeChecked();

  // The server applies the action to the filter, not to the ticked page.
  await stage.selectOption("won");
  const saved = page.waitForResponse((response) => response.url().endsWith("/api/bulk_clients"));
  await bar.getByRole("button", { name: "Apply" }).click();
  expect((await saved).status()).toBe(200);
  await expect(page.getByTestId("bulk-outcome")).toHaveText("55 clients changed.");
  await openHydrated(page, "/clients?status=won");
  await expect(page.getByTestId("clients-total")).toHaveText("55 clients");
  await openHydrated(page, "/clients?status=lead");
  await expect(page.getByTestId("clients-total")).toHaveText("3 clients");
});

test("search applies as it is typed, keeping focus and caret, and the URL holds no empty parameter", async ({ page }) => {
  const strategy = await furnish(page.request, 3);
  await createClient(page.request, { name: "Dana Northwind", strategy_id: String(strategy) });
  await openHydrated(page, "/clients");
  const search = page.getByRole("searchbox", { name: "Search" });
  const historyLength = await page.evaluate(() => history.length);
  await search.click();
  await search.pressSequentially("northw", { delay: 40 });
  await expect(page).toHaveURL("/clients?q=northw");
  await expect(page.getByTestId("client-row")).toHaveCount(1);
  await expect(page.getByTestId("client-row")).toContainText("Dana Northwind");
  await expect(search).toBeFocused();
  expect(await search.evaluate((input: HTMLInputElement) => [input.selectionStart, input.value])).toEqual([6, "northw"]);
  // Typing replaces the history entry instead of adding one per search.
  expect(await page.evaluate(() => history.length)).toBe(historyLength);

  // Emptied, the search leaves the URL altogether.
  await search.fill("");
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("client-row")).toHaveCount(4);

  // Filters apply when changed; "any" removes the parameter; Enter adds nothing empty.
  const filter = page.locator("#client-strategy");
  await filter.selectOption(String(strategy));
  await expect(page).toHaveURL(`/clients?strategy=${strategy}`);
  await filter.selectOption("");
  await expect(page).toHaveURL("/clients");
  await page.locator("#client-status").selectOption("won");
  await expect(page).toHaveURL("/clients?status=won");
  await expect(page.getByTestId("clients-empty")).toBeVisible();
  await page.locator("#client-status").selectOption("");
  await search.focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("client-row")).toHaveCount(4);
});

test("the columns fit their card at 1280 px: one line a row, long values cut with their full text as a title", async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signUp(page.request, "Wendy Wide");
  const strategy = await createStrategy(page.request, "A strategy with a rather long name indeed");
  const name = "Maximiliana Wolfeschlegelsteinhausenbergerdorff of Northwind";
  await createClient(page.request, {
    name,
    email: "maximiliana.wolfeschlegelsteinhausenbergerdorff@northwind-traders.example",
    phone: "+1 (415) 555-0100",
    company: "Northwind Traders International Holdings",
    status: "contacted",
    strategy_id: String(strategy),
  });
  await openHydrated(page, "/clients");
  const fits = await page.locator(".table-wrap").evaluate((wrap) => wrap.scrollWidth <= wrap.clientWidth);
  expect(fits, "the table does not scroll sideways").toBe(true);
  const row = page.getByTestId("client-row");
  const lines = await row.evaluate((tr) => {
    const cells = [...tr.children] as HTMLElement[];
    return cells.map((cell) => Math.round(cell.getBoundingClientRect().height));
  });
  expect(Math.max(...lines), "every cell is one line").toBeLessThan(48);
  await expect(row.getByRole("link", { name })).toHaveAttribute("title", name);
  await expect(row.locator(".c-phone")).toHaveAttribute("title", "+1 (415) 555-0100");
  // Sortable headers say how the list is sorted.
  await expect(page.getByRole("columnheader", { name: "Activity" })).toHaveAttribute("aria-sort", "descending");
  await expect(page.getByRole("columnheader", { name: "Name" })).toHaveAttribute("aria-sort", "none");
  // Each stage has its own colours.
  const badge = row.locator(".badge");
  const contacted = await badge.evaluate((element) => getComputedStyle(element).backgroundColor);
  await page.getByLabel(`Select ${name}`).check();
  await page.getByTestId("selection-bar").getByLabel("Stage", { exact: true }).selectOption("won");
  await page.getByTestId("selection-bar").getByRole("button", { name: "Apply" }).click();
  await expect(row.locator(".badge")).toHaveText("Won");
  const won = await row.locator(".badge").evaluate((element) => getComputedStyle(element).backgroundColor);
  expect(won).not.toBe(contacted);
});

test.describe("on a 390 px phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test("rows become cards and the filters fold away", async ({ page }) => {
    const strategy = await furnish(page.request, 2);
    await createClient(page.request, {
      name: "Phoebe Phone",
      email: "phoebe@example.com",
      phone: "+44 20 7946 0958",
      company: "Pocket Ltd",
      strategy_id: String(strategy),
    });
    await openHydrated(page, "/clients");
    const row = page.getByTestId("client-row").filter({ hasText: "Phoebe Phone" });
    expect(await row.evaluate((tr) => getComputedStyle(tr).display)).toBe("grid");
    await expect(row.getByText("Pocket Ltd")).toBeVisible();
    await expect(row.getByText("+44 20 7946 0958")).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // The search stays; the other filters wait behind a button.
    await expect(page.getByRole("searchbox", { name: "Search" })).toBeVisible();
    const strategyFilter = page.locator("#client-strategy");
    await expect(strategyFilter).toBeHidden();
    await page.getByText("Filters", { exact: true }).click();
    await expect(strategyFilter).toBeVisible();
    await strategyFilter.selectOption(String(strategy));
    await expect(page).toHaveURL(`/clients?strategy=${strategy}`);
  });
});
