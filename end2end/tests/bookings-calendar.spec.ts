import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  test,
  expect,
  openHydrated,
  signUp,
  createStrategy,
  createClient,
  expectRefusal,
} from "./fixtures";
import { createBooking } from "./booking-helpers";

function isoDay(date: Date) {
  return date.toISOString().slice(0, 10);
}

test("a booking is made from a client page, rescheduled, refused on a clash and cancelled", async ({ page, problems }) => {
  await signUp(page.request, "Cal Owner");
  const strategy = await createStrategy(page.request, "Calendar persona");
  const client = await createClient(page.request, { name: "Cleo Calendar", strategy_id: String(strategy) });

  await openHydrated(page, `/clients/${client}`);
  await page.getByTestId("book-a-time").click();
  await expect(page).toHaveURL(`/bookings/new?client=${client}`);
  const form = page.getByTestId("booking-form");
  await expect(form.getByRole("link", { name: "Cleo Calendar" })).toBeVisible();
  await form.locator(".slot-grid label.slot").first().click();
  await form.getByLabel("Subject").fill("Kick-off");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  const id = Number(page.url().split("/").pop());
  await expect(page.getByTestId("booking-heading")).toContainText("Kick-off");
  await expect(page.getByTestId("booking-heading").getByTestId("booking-status")).toHaveText("Confirmed");
  await expect(page.getByTestId("booking-facts").getByRole("link", { name: "Cleo Calendar" })).toHaveAttribute(
    "href",
    `/clients/${client}`,
  );

  // Reschedule into a far Monday, then into a clash: the clash is named and what was typed stays.
  const reschedule = page.getByTestId("reschedule-form");
  await reschedule.getByLabel("Date").fill("2030-01-07");
  await reschedule.getByLabel("Start").fill("10:00");
  await reschedule.getByRole("button", { name: "Move booking" }).click();
  await expect(page.getByTestId("booking-when")).toContainText("Mon 7 Jan 2030, 10:00–10:30");
  await createBooking(page.request, "2030-01-07T11:00:00Z", "Blocker");
  await reschedule.getByLabel("Start").fill("11:15");
  await reschedule.getByRole("button", { name: "Move booking" }).click();
  await expect(reschedule.getByRole("alert")).toContainText("overlaps the booking of Mon 7 Jan 2030, 11:00–11:30");
  expectRefusal(problems, 409);
  await expect(reschedule.getByLabel("Start")).toHaveValue("11:15");
  await expect(page.getByTestId("booking-when")).toContainText("10:00–10:30");

  // The week shows it by its time; arrows and T move the calendar.
  await openHydrated(page, "/bookings?view=week&date=2030-01-08");
  await expect(page.getByTestId("calendar-title")).toHaveText("7 – 13 Jan 2030");
  const event = page.getByTestId("calendar-event").filter({ hasText: "Kick-off" });
  await expect(event).toHaveAttribute("href", `/bookings/${id}`);
  await expect(event).toContainText("10:00–10:30");
  await page.keyboard.press("ArrowRight");
  await expect(page).toHaveURL(/date=2030-01-15/);
  await expect(page.getByTestId("calendar-title")).toHaveText("14 – 20 Jan 2030");
  await page.keyboard.press("t");
  await expect(page).toHaveURL(new RegExp(`date=${isoDay(new Date())}`));
  await openHydrated(page, "/bookings?view=agenda&date=2030-01-07");
  await expect(page.getByTestId("agenda-item").filter({ hasText: "Kick-off" })).toContainText("Cleo Calendar");

  // Cancel with a reason.
  await openHydrated(page, `/bookings/${id}`);
  await page.getByText("Cancel this booking…").click();
  await page.getByLabel("Reason (optional)").fill("Moved to next quarter");
  await page.getByRole("button", { name: "Cancel booking" }).click();
  await expect(page.getByTestId("booking-heading").getByTestId("booking-status")).toHaveText("Cancelled");
  await expect(page.getByTestId("booking-facts")).toContainText("Moved to next quarter");
  await expect(page.getByTestId("reschedule-form")).toHaveCount(0);
});

test("a booking that took place is marked completed", async ({ page }) => {
  await signUp(page.request, "Cal Closer");
  const yesterday = new Date(Date.now() - 24 * 3600 * 1000);
  const id = await createBooking(page.request, `${isoDay(yesterday)}T10:00:00Z`, "Demo done");
  await openHydrated(page, `/bookings/${id}`);
  await page.getByRole("button", { name: "Mark completed" }).click();
  await expect(page.getByTestId("booking-heading").getByTestId("booking-status")).toHaveText("Completed");
  await expect(page.getByRole("button", { name: "Mark completed" })).toBeVisible();
});

test("screenshots of the calendar at desk and phone width in both themes", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signUp(page.request, "Shot Owner");
  const strategy = await createStrategy(page.request, "Shot persona");
  const client = await createClient(page.request, { name: "Ana Silva", strategy_id: String(strategy) });
  // Next week's Monday and Wednesday, in UTC (the account's zone).
  const now = new Date();
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + ((8 - now.getUTCDay()) % 7 || 7)));
  const at = (days: number, time: string) => `${isoDay(new Date(monday.getTime() + days * 86400000))}T${time}:00Z`;
  const first = await createBooking(page.request, at(0, "09:30"), "Discovery call", client);
  await createBooking(page.request, at(0, "14:00"), "Pricing review");
  await createBooking(page.request, at(2, "11:00"), "Onboarding", client);
  await createBooking(page.request, at(3, "16:00"), "Contract walkthrough");
  const folder = testInfo.outputPath("screenshots");
  mkdirSync(folder, { recursive: true });
  const pages: Array<[string, string]> = [
    ["week", `/bookings?view=week&date=${isoDay(monday)}`],
    ["default", `/bookings?date=${isoDay(monday)}`],
    ["booking", `/bookings/${first}`],
    ["new", `/bookings/new?client=${client}`],
    ["availability", "/bookings/settings"],
  ];
  for (const [width, height, size] of [[1280, 900, "desk"], [390, 844, "phone"]] as const) {
    await page.setViewportSize({ width, height });
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
      for (const [name, path] of pages) {
        await openHydrated(page, path);
        await page.screenshot({ path: join(folder, `bookings-${name}-${size}-${scheme}.png`), fullPage: true });
      }
    }
  }
});
