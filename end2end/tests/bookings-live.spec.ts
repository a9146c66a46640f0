import { test, expect, openHydrated, signUp } from "./fixtures";
import { createBooking } from "./booking-helpers";

// Bookings made, moved or cancelled elsewhere (another tab, a colleague, the AI, a guest: here the
// server functions called from outside the page) show on an open calendar and bookings list
// without a reload, through the tab's live stream.

test("the calendar shows a booking made and moved elsewhere without a reload", async ({ page }) => {
  await signUp(page.request, "Live Calendar");
  await openHydrated(page, "/bookings?view=week&date=2030-02-05");
  await expect(page.getByTestId("calendar-title")).toHaveText("4 – 10 Feb 2030");
  await expect(page.getByTestId("calendar-empty")).toBeVisible();
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

  const id = await createBooking(page.request, "2030-02-05T10:00:00Z", "Booked elsewhere");
  const event = page.getByTestId("calendar-event").filter({ hasText: "Booked elsewhere" });
  await expect(event).toHaveAttribute("href", `/bookings/${id}`);
  await expect(event).toContainText("10:00–10:30");

  const moved = await page.request.post("/api/reschedule_booking", {
    form: { id: String(id), starts_at: "2030-02-06T12:00:00Z" },
  });
  expect(moved.status(), await moved.text()).toBe(200);
  await expect(event).toContainText("12:00–12:30");
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
});

test("the bookings list updates live, and what someone is typing in it stays", async ({ page }) => {
  await signUp(page.request, "Live List");
  const first = await createBooking(page.request, "2030-02-05T10:00:00Z", "First call");
  await openHydrated(page, "/bookings/list");
  const rows = page.getByTestId("booking-row");
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId("booking-count")).toHaveText("1 booking");

  // Cancelled elsewhere: its status changes in place.
  const cancelled = await page.request.post("/api/cancel_booking", { form: { id: String(first) } });
  expect(cancelled.status(), await cancelled.text()).toBe(200);
  await expect(rows.filter({ hasText: "First call" }).getByTestId("booking-status")).toHaveText("Cancelled");

  // A search being typed (not sent yet) stays, focused, while a new booking arrives.
  const search = page.getByLabel("Search");
  await search.fill("Somebody");
  const second = await createBooking(page.request, "2030-02-06T10:00:00Z", "Second call");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toHaveAttribute("data-id", String(second));
  await expect(page.getByTestId("booking-count")).toHaveText("2 bookings");
  await expect(search).toHaveValue("Somebody");
  await expect(search).toBeFocused();
});

// The calendar renders the new data into the grid it has, so the grid keeps its scroll.
test("on a phone, a week scrolled sideways stays where it was when a booking arrives", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signUp(page.request, "Live Phone");
  await openHydrated(page, "/bookings?view=week&date=2030-02-05");
  const grid = page.locator(".cal-scroll");
  await grid.evaluate((element) => element.scrollTo({ left: element.scrollWidth }));
  const left = await grid.evaluate((element) => element.scrollLeft);
  expect(left).toBeGreaterThan(100);

  await createBooking(page.request, "2030-02-10T10:00:00Z", "Sunday call");
  await expect(page.getByTestId("calendar-event").filter({ hasText: "Sunday call" })).toBeVisible();
  expect(await grid.evaluate((element) => element.scrollLeft)).toBe(left);
});

test("a booking's page shows a change made elsewhere, and what is typed in its forms stays", async ({ page }) => {
  await signUp(page.request, "Live Detail");
  const id = await createBooking(page.request, "2030-02-05T10:00:00Z", "Detail call");
  await openHydrated(page, `/bookings/${id}`);
  await expect(page.getByTestId("booking-when")).toContainText("10:00–10:30");
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

  // The page's own change is no news.
  await page.locator("#booking-location").fill("Room 1");
  await page.getByTestId("edit-booking-form").getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("booking-facts")).toContainText("Room 1");
  await page.waitForTimeout(1500);
  await expect(page.getByTestId("booking-changed")).toHaveCount(0);

  // Moved elsewhere while a note is being typed: the heading and the details follow, the note stays.
  const notes = page.locator("#booking-notes");
  await notes.fill("Half-typed note");
  const moved = await page.request.post("/api/reschedule_booking", {
    form: { id: String(id), starts_at: "2030-02-06T12:00:00Z" },
  });
  expect(moved.status(), await moved.text()).toBe(200);
  await expect(page.getByTestId("booking-when")).toContainText("12:00–12:30");
  await expect(page.getByTestId("booking-facts")).toContainText("12:00–12:30");
  await expect(page.getByTestId("booking-changed")).toBeVisible();
  await expect(notes).toHaveValue("Half-typed note");
  await expect(page.locator("#reschedule-date")).toHaveValue("2030-02-05");

  // Cancelled elsewhere: the status shows it.
  const cancelled = await page.request.post("/api/cancel_booking", { form: { id: String(id), reason: "Ill" } });
  expect(cancelled.status(), await cancelled.text()).toBe(200);
  await expect(page.getByTestId("booking-heading")).toContainText("Cancelled");
  await expect(page.getByTestId("booking-facts")).toContainText("Ill");

  // Asked for, the forms take the booking as it is now.
  await page.getByRole("button", { name: "Show the change in the forms" }).click();
  await expect(page.getByTestId("booking-changed")).toHaveCount(0);
  await expect(page.getByTestId("reschedule-form")).toHaveCount(0);
  await expect(page.locator("#booking-location")).toHaveValue("Room 1");
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
});
