import { test, expect, openHydrated, signUp, signInAsAdmin, createStrategy, createClient } from "./fixtures";
import type { Page } from "@playwright/test";
import { createBooking } from "./booking-helpers";

/** The value shown on the tile labelled `label`. */
function tileValue(page: Page, label: string) {
  return page.locator(".tile", { has: page.locator(".tile-label", { hasText: label }) }).locator(".tile-value");
}

test("the range picker changes the figures, and a figure's link opens the matching filtered list", async ({ page }) => {
  await signUp(page.request, "Dana Dashboard");
  const strategy = await createStrategy(page.request, "Dashboard persona");
  const ids: number[] = [];
  for (const name of ["Ada Count", "Bea Count"]) {
    ids.push(await createClient(page.request, { name, strategy_id: String(strategy) }));
  }
  // One of them has a conversation.
  const sent = await page.request.post("/api/send_chat_message", {
    form: { client_id: String(ids[0]), body: "Hello Ada" },
    headers: { accept: "application/json" },
  });
  expect(sent.status(), await sent.text()).toBe(200);
  // And a booking, made today.
  await createBooking(page.request, "2030-01-07T11:00:00Z", "Dashboard demo", ids[0]);

  await openHydrated(page, "/");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(tileValue(page, "New leads")).toHaveText("2");
  await expect(page.getByRole("figure").filter({ hasText: "New leads per day" }).locator("svg")).toBeVisible();

  await page.getByRole("link", { name: "Last 7 days" }).click();
  await expect(page).toHaveURL(/\/\?range=7d$/);
  await expect(page.getByRole("link", { name: "Last 7 days" })).toHaveAttribute("aria-current", "true");
  await expect(tileValue(page, "New leads")).toHaveText("2");

  // A custom range long ago holds nothing.
  await page.getByLabel("From", { exact: true }).fill("2020-01-01");
  await page.getByLabel("To", { exact: true }).fill("2020-01-31");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/range=custom&from=2020-01-01&to=2020-01-31/);
  await expect(page.getByTestId("dashboard-range")).toContainText("1 Jan – 31 Jan 2020");
  await expect(tileValue(page, "New leads")).toHaveText("0");

  // Back to the last 30 days; the tile opens the clients created in that range.
  await page.getByRole("link", { name: "Last 30 days" }).click();
  await expect(tileValue(page, "New leads")).toHaveText("2");
  await page.locator(".tile", { hasText: "New leads" }).click();
  await expect(page).toHaveURL(/\/clients\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}/);
  await expect(page.getByTestId("client-row")).toHaveCount(2);
  await expect(page.getByLabel("Added from")).not.toHaveValue("");

  // The active conversations tile opens the inbox for the same days: the one conversation.
  await page.goBack();
  await expect(tileValue(page, "Active conversations")).toHaveText("1");
  await page.locator(".tile", { hasText: "Active conversations" }).click();
  await expect(page).toHaveURL(/\/chat\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}$/);
  await expect(page.getByTestId("inbox-item")).toHaveCount(1);
  await expect(page.getByTestId("inbox-item")).toContainText("Ada Count");
  await expect(page.getByLabel("Active from")).not.toHaveValue("");
  // Days before it: none.
  await page.getByLabel("Active from").fill("2020-01-01");
  await page.getByLabel("Active until").fill("2020-01-31");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/from=2020-01-01&to=2020-01-31/);
  await expect(page.getByTestId("inbox-empty")).toContainText("No conversation matches these filters.");

  // The bookings made tile opens the bookings list of those made in the range: the one booking.
  await openHydrated(page, "/");
  await expect(tileValue(page, "Bookings made")).toHaveText("1");
  await page.locator(".tile", { hasText: "Bookings made" }).click();
  await expect(page).toHaveURL(/\/bookings\/list\?made_from=\d{4}-\d{2}-\d{2}&made_to=\d{4}-\d{2}-\d{2}&sort=-made$/);
  await expect(page.getByTestId("booking-count")).toHaveText("1 booking");
  await expect(page.getByTestId("booking-row")).toHaveCount(1);
  await expect(page.getByTestId("booking-row")).toContainText("Ada Count");
  await expect(page.getByTestId("booking-row")).toContainText("Confirmed");
  await expect(page.getByLabel("Booked from")).not.toHaveValue("");
  // None of them is cancelled.
  await page.getByLabel("Status").selectOption("cancelled");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=cancelled/);
  await expect(page.getByTestId("booking-list-empty")).toContainText("No booking matches these filters.");
  await expect(page.getByTestId("booking-count")).toHaveText("0 bookings");
});

test("an admin sees the people table and filters the figures by owner", async ({ page }) => {
  const email = await signUp(page.request, "Owen Owner");
  const strategy = await createStrategy(page.request, "Owner persona");
  for (const name of ["One", "Two", "Three"]) {
    await createClient(page.request, { name: `${name} of Owen`, strategy_id: String(strategy) });
  }
  await signInAsAdmin(page.request);

  await openHydrated(page, "/");
  const people = page.getByTestId("dashboard-people");
  await expect(people).toBeVisible();
  // The test database is shared: another test's Owen may be there too; this one is named by email.
  expect(email).toContain("@");
  const owner = page.getByTestId("dashboard-owner");
  const ownerValue = await owner.locator("option", { hasText: "Owen Owner" }).last().getAttribute("value");
  await owner.selectOption(ownerValue!);
  await expect(page).toHaveURL(new RegExp(`owner=${ownerValue}`));
  await expect(tileValue(page, "New leads")).toHaveText("3");
  await expect(people.locator("tbody tr")).toHaveCount(1);
  await expect(people).toContainText("Owen Owner");
});

// After hydration a mark's tooltip shows at once on hover and on keyboard focus (the browser's own,
// from the SVG title, waits and never shows on focus), Escape hides it, and charts drawn again for
// another range have theirs too.
test("a chart's tooltip shows on hover and on focus, and Escape hides it", async ({ page, problems }) => {
  await signUp(page.request, "Tina Tooltip");
  const strategy = await createStrategy(page.request, "Tooltip persona");
  for (const name of ["Ada Tip", "Bea Tip"]) {
    await createClient(page.request, { name, strategy_id: String(strategy) });
  }
  await openHydrated(page, "/?range=7d");
  const chart = page.getByRole("figure").filter({ hasText: "New leads per day" });
  const marks = chart.locator("a.chart-mark");
  await expect(marks).toHaveCount(7);
  const tip = page.locator(".chart-tip");
  await expect(tip).toBeHidden();

  await marks.last().hover();
  await expect(tip).toBeVisible();
  await expect(tip).toHaveText(/: 2$/);
  // Its title became the link's name, so the browser shows no second tooltip.
  await expect(marks.last().locator("title")).toHaveCount(0);
  await expect(marks.last()).toHaveAttribute("aria-label", /: 2$/);
  const tipBox = (await tip.boundingBox())!;
  const markBox = (await marks.last().boundingBox())!;
  expect(tipBox.y + tipBox.height).toBeLessThanOrEqual(markBox.y + 1);

  await marks.first().focus();
  await expect(tip).toHaveText(/: 0$/);
  await page.keyboard.press("Escape");
  await expect(tip).toBeHidden();

  await page.getByRole("link", { name: "Last 30 days" }).click();
  await expect(page).toHaveURL(/\/(\?range=30d)?$/);
  await expect(marks).toHaveCount(30);
  await marks.last().hover();
  await expect(tip).toHaveText(/: 2$/);
  expect(problems).toEqual([]);
});
