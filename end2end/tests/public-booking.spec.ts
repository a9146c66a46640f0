import { test, expect, expectRefusal, openHydrated, uniqueEmail } from "./fixtures";
import { aFullDay, bookingOwner, onDay, ownerPage } from "./booking-helpers";

// The public booking page with JavaScript: a visitor books without an account, the owner sees it
// on the client's page, a second visitor on the same time is refused with the message, and the
// visitor cancels through the manage link.
test("visitors book, collide and cancel on the public page", async ({ page, browser, request, problems }) => {
  const owner = await bookingOwner(request);

  // The second visitor opens the form of the first free time, and waits.
  await openHydrated(page, owner.pagePath);
  await expect(page).toHaveURL(/tz=/); // the browser's own zone, detected with Intl
  // A day with all its times ahead: the first day offered can have too few left late in the day.
  const day = aFullDay();
  await openHydrated(page, onDay(page.url(), day));
  await expect(page.locator(`a.day-free[data-date="${day}"][aria-current="date"]`)).toHaveCount(1);
  const slot = page.locator("a.slot").nth(2);
  const start = await slot.getAttribute("data-start");
  await slot.click();
  await expect(page.getByRole("button", { name: "Confirm booking" })).toBeVisible();
  await page.getByLabel("Your name").fill("Second Visitor");
  await page.getByLabel("Email").fill(uniqueEmail("second"));
  const formUrl = page.url();

  // The first visitor books that time.
  const first = await (await browser.newContext()).newPage();
  await first.goto(formUrl);
  await first.locator("html[data-hydrated]").waitFor({ state: "attached" });
  const visitorEmail = uniqueEmail("visitor");
  await first.getByLabel("Your name").fill("Vera Visitor");
  await first.getByLabel("Email").fill(visitorEmail);
  await first.getByLabel("Phone (optional)").fill("+351 912 345 678");
  await first.getByLabel(/Anything that helps/).fill("<b>Hello</b> & see you");
  await first.getByRole("button", { name: "Confirm booking" }).click();
  await expect(first.getByRole("heading", { name: "You are booked." })).toBeVisible();
  await expect(first.getByTestId("email-note")).toContainText("No confirmation e-mail is sent");
  await expect(first.getByRole("link", { name: "Add to calendar (.ics)" })).toHaveAttribute("href", /\/invite\.ics$/);
  const manageUrl = first.url().split("?")[0];

  // The second visitor is refused, back at the free times, with a message naming the time.
  await page.getByRole("button", { name: "Confirm booking" }).click();
  await expect(page.getByTestId("slot-taken")).toContainText("was just taken by someone else");
  await expect(page.locator(`a.slot[data-start="${start}"]`)).toHaveCount(0);
  expectRefusal(problems, 409);

  // The owner sees the booking on the new client's page.
  const ownerTab = await ownerPage(browser, owner.email);
  await ownerTab.goto(`/clients?q=${encodeURIComponent(visitorEmail)}`);
  await ownerTab.getByRole("link", { name: "Vera Visitor" }).first().click();
  await expect(ownerTab.getByTestId("client-bookings")).toContainText("30-minute call with Vera Visitor");

  // The visitor cancels through the manage link.
  await first.goto(manageUrl);
  await first.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await first.getByLabel("Reason (optional)").fill("Something came up");
  await first.getByRole("button", { name: "Cancel booking" }).click();
  await expect(first.getByRole("heading", { name: "Your booking is cancelled." })).toBeVisible();
  await expect(first.getByTestId("booking-status")).toHaveText("Cancelled");
});

test("an unknown booking page is a 404 page", async ({ page, problems }) => {
  const response = await page.goto("/book/no-such-person-here");
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId("public-error")).toContainText("This booking page was not found.");
  expectRefusal(problems, 404);
});
