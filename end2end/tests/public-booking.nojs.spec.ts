import { test, expect } from "@playwright/test";
import { uniqueEmail } from "./fixtures";
import { aFullDay, bookingOwner, onDay, ownerPage } from "./booking-helpers";

// The same visit as plain HTML forms and links: no WASM, no JavaScript.
test("visitors book, collide and cancel without JavaScript", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);

  await page.goto(`${owner.pagePath}?tz=America/New_York`);
  await page.getByLabel("Time zone").selectOption("Europe/Berlin");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/tz=Europe%2FBerlin/);
  // A day with all its times ahead: the first day offered can have too few left late in the day.
  const day = aFullDay();
  await page.goto(onDay(page.url(), day));
  await expect(page.locator(`a.day-free[data-date="${day}"][aria-current="date"]`)).toHaveCount(1);
  const slot = page.locator("a.slot").nth(2);
  const start = await slot.getAttribute("data-start");
  await slot.click();
  const formUrl = page.url();

  // A malformed email is named next to its field, and what was typed stays.
  const visitorEmail = uniqueEmail("plain");
  await page.getByLabel("Your name").fill("Paula Plain");
  await page.getByLabel("Email").fill("paula@example"); // the browser takes it, the server does not
  await page.getByLabel(/Anything that helps/).fill("</textarea><b>bold?</b>");
  await page.getByRole("button", { name: "Confirm booking" }).click();
  await expect(page.locator("#email-error")).toContainText("Enter an email address like name@example.com.");
  await expect(page.getByLabel(/Anything that helps/)).toHaveValue("</textarea><b>bold?</b>");

  // A second visitor has the same form open and books first.
  const second = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await second.goto(formUrl);
  await second.getByLabel("Your name").fill("First Booker");
  await second.getByLabel("Email").fill(uniqueEmail("first"));
  await second.getByRole("button", { name: "Confirm booking" }).click();
  await expect(second.getByRole("heading", { name: "You are booked." })).toBeVisible();

  // The time was taken meanwhile: back at the free times, with the message.
  await page.getByLabel("Email").fill(visitorEmail);
  await page.getByRole("button", { name: "Confirm booking" }).click();
  await expect(page.getByTestId("slot-taken")).toContainText("was just taken by someone else");
  await expect(page.locator(`a.slot[data-start="${start}"]`)).toHaveCount(0);

  // Another time, booked.
  await page.locator("a.slot").first().click();
  await page.getByLabel("Your name").fill("Paula Plain");
  await page.getByLabel("Email").fill(visitorEmail);
  await page.getByRole("button", { name: "Confirm booking" }).click();
  await expect(page.getByRole("heading", { name: "You are booked." })).toBeVisible();
  const manageUrl = page.url().split("?")[0];

  const ownerTab = await ownerPage(browser, owner.email, false);
  await ownerTab.goto(`/clients?q=${encodeURIComponent(visitorEmail)}`);
  await ownerTab.getByRole("link", { name: "Paula Plain" }).first().click();
  await expect(ownerTab.getByTestId("client-bookings")).toContainText("30-minute call with Paula Plain");

  await page.goto(manageUrl);
  await page.getByLabel("Reason (optional)").fill("Plans changed");
  await page.getByRole("button", { name: "Cancel booking" }).click();
  await expect(page.getByRole("heading", { name: "Your booking is cancelled." })).toBeVisible();
  await expect(page.getByTestId("booking-status")).toHaveText("Cancelled");
});
