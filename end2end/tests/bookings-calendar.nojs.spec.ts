import { test, expect } from "@playwright/test";
import { signUp, createStrategy, createClient } from "./fixtures";

// The calendar's forms as plain HTML posts: book from a client page, a clash that keeps what was
// typed, reschedule, cancel, mark completed, and the agenda and week views.
test("booking, rescheduling, cancelling and completing work without JavaScript", async ({ page }) => {
  await signUp(page.request, "Plain Calendar");
  const strategy = await createStrategy(page.request, "Plain calendar persona");
  const client = await createClient(page.request, { name: "Nora Plain", strategy_id: String(strategy) });

  await page.goto(`/clients/${client}`);
  await page.getByRole("link", { name: "Book a time" }).click();
  await expect(page).toHaveURL(`/bookings/new?client=${client}`);
  const form = page.getByTestId("booking-form");
  await form.getByRole("radio", { name: "A time of my own" }).check();
  await form.getByLabel("Date").fill("2030-02-04");
  await form.getByLabel("Start").fill("10:00");
  await form.getByLabel("Minutes").fill("45");
  await form.getByLabel("Subject").fill("Plain kick-off");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  const first = page.url();
  await expect(page.getByTestId("booking-when")).toContainText("Mon 4 Feb 2030, 10:00–10:45");
  await expect(page.getByTestId("booking-facts").getByRole("link", { name: "Nora Plain" })).toBeVisible();

  // The same time again: refused, back at the form with the clash named and the fields kept.
  await page.goto(`/bookings/new?client=${client}`);
  await form.getByRole("radio", { name: "A time of my own" }).check();
  await form.getByLabel("Date").fill("2030-02-04");
  await form.getByLabel("Start").fill("10:30");
  await form.getByLabel("Subject").fill("Clashing call");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page).toHaveURL(`/bookings/new?client=${client}`);
  await expect(form.getByRole("alert").first()).toContainText("overlaps the booking of Mon 4 Feb 2030, 10:00–10:45");
  await expect(form.getByLabel("Subject")).toHaveValue("Clashing call");
  await expect(form.getByLabel("Start")).toHaveValue("10:30");

  // A free slot of the booking type.
  await form.locator(".slot-grid label.slot").first().click();
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.getByTestId("booking-heading")).toContainText("Clashing call");

  // Reschedule the first one.
  await page.goto(first);
  const reschedule = page.getByTestId("reschedule-form");
  await reschedule.getByLabel("Date").fill("2030-02-05");
  await reschedule.getByLabel("Start").fill("15:00");
  await reschedule.getByRole("button", { name: "Move booking" }).click();
  await expect(page).toHaveURL(new RegExp(`${first}\\??$`));
  await expect(page.getByTestId("booking-when")).toContainText("Tue 5 Feb 2030, 15:00–15:45");

  // The week and the agenda show it.
  await page.goto("/bookings?view=week&date=2030-02-05");
  await expect(page.getByTestId("calendar-event").filter({ hasText: "Plain kick-off" })).toContainText("15:00–15:45");
  await page.goto("/bookings?view=agenda&date=2030-02-01");
  await expect(page.getByTestId("agenda-item").filter({ hasText: "Plain kick-off" })).toContainText("Nora Plain");

  // Cancel with a reason.
  await page.goto(first);
  await page.getByText("Cancel this booking…").click();
  await page.getByLabel("Reason (optional)").fill("Budget frozen");
  await page.getByRole("button", { name: "Cancel booking" }).click();
  await expect(page).toHaveURL(new RegExp(`${first}\\??$`));
  await expect(page.getByTestId("booking-heading").getByTestId("booking-status")).toHaveText("Cancelled");
  await expect(page.getByTestId("booking-facts")).toContainText("Budget frozen");

  // One that took place yesterday: mark it completed.
  const yesterday = new Date(Date.now() - 24 * 3600 * 1000).toISOString().slice(0, 10);
  await page.goto(`/bookings/new?client=${client}`);
  await form.getByRole("radio", { name: "A time of my own" }).check();
  await form.getByLabel("Date").fill(yesterday);
  await form.getByLabel("Start").fill("08:00");
  await form.getByLabel("Subject").fill("Yesterday's demo");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.getByTestId("booking-heading")).toContainText("Yesterday's demo");
  await page.getByRole("button", { name: "Mark completed" }).click();
  await expect(page.getByTestId("booking-heading").getByTestId("booking-status")).toHaveText("Completed");

  // The list holds all three; its form filters by status and by the days they start.
  await page.goto("/bookings");
  await page.getByTestId("booking-list-link").click();
  await expect(page).toHaveURL(/\/bookings\/list$/);
  await expect(page.getByTestId("booking-count")).toHaveText("3 bookings");
  await expect(page.getByTestId("booking-row").first()).toContainText("Tue 5 Feb 2030, 15:00–15:45");
  await page.getByLabel("Status").selectOption("completed");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=completed/);
  await expect(page.getByTestId("booking-row")).toHaveCount(1);
  await expect(page.getByTestId("booking-row")).toContainText("Yesterday's demo");
  await page.getByLabel("Status").selectOption("");
  await page.getByLabel("Starts from").fill("2030-02-05");
  await page.getByLabel("Starts until").fill("2030-02-05");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByTestId("booking-row")).toHaveCount(1);
  await expect(page.getByTestId("booking-row")).toContainText("Cancelled");
  await expect(page.getByLabel("Starts from")).toHaveValue("2030-02-05");
  // The search finds bookings by their client, within the filters; Enter sends the form.
  await page.getByLabel("Search").fill("nora plain");
  await page.getByLabel("Search").press("Enter");
  await expect(page).toHaveURL(/q=nora\+plain/);
  await expect(page.getByTestId("booking-row")).toHaveCount(1);
  await expect(page.getByTestId("booking-row").getByRole("link", { name: "Nora Plain" })).toBeVisible();
  await page.getByLabel("Search").fill("somebody else");
  await page.getByLabel("Search").press("Enter");
  await expect(page.getByTestId("booking-list-empty")).toContainText("No booking matches this search and these filters.");
  await expect(page.getByLabel("Search")).toHaveValue("somebody else");
});

test("weekly hours and a booking type are saved without JavaScript, and a bad window is named", async ({ page }) => {
  await signUp(page.request, "Plain Hours");
  await page.goto("/settings");
  await page.getByTestId("availability-link").click();
  await expect(page).toHaveURL("/bookings/settings");
  const weekly = page.getByTestId("weekly-hours");
  await weekly.getByLabel("Monday").fill("09:00-12:00, 11:00-17:00");
  await weekly.getByRole("button", { name: "Save weekly hours" }).click();
  await expect(weekly.getByText("The windows overlap.")).toBeVisible();
  await expect(weekly.getByLabel("Monday")).toHaveValue("09:00-12:00, 11:00-17:00");
  await weekly.getByLabel("Monday").fill("09:00-12:00, 13:00-17:00");
  await weekly.getByRole("button", { name: "Save weekly hours" }).click();
  await expect(weekly.getByLabel("Monday")).toHaveValue("09:00-12:00, 13:00-17:00");

  await page.getByText("New booking type").click();
  const created = page.getByTestId("new-type-form");
  await created.getByLabel("Name").fill("Deep dive");
  await created.getByLabel("URL slug").fill("deep-dive");
  await created.getByLabel("Duration (minutes)").fill("60");
  await created.getByRole("button", { name: "Add type" }).click();
  await expect(page.getByTestId("booking-types")).toContainText("Deep dive");

  const override = page.getByTestId("override-form");
  await override.getByLabel("Date").fill("2030-03-01");
  await override.getByRole("button", { name: "Save date" }).click();
  await expect(page.getByTestId("overrides")).toContainText("Fri 1 Mar 2030");
  await expect(page.getByTestId("overrides")).toContainText("Day off");
});
