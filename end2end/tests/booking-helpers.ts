import { expect, type APIRequestContext, type Browser } from "@playwright/test";
import { createStrategy, PASSWORD, signUp } from "./fixtures";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** An owner who takes bookings every day 08:00-20:00 (so there are free times whenever the test
 *  runs), with a default strategy for the clients the public page adds. `request` is signed in as
 *  them. Returns their email and booking page address. */
export async function bookingOwner(request: APIRequestContext) {
  const name = `Olga Owner ${Date.now() % 100000}`;
  const email = await signUp(request, name);
  await createStrategy(request, "Booked leads");
  const form: Record<string, string> = { name, timezone: "Europe/Lisbon", booking_enabled: "on" };
  for (const day of DAYS) {
    form[`hours[${day}_on]`] = "on";
    form[`hours[${day}_start]`] = "08:00";
    form[`hours[${day}_end]`] = "20:00";
  }
  const saved = await request.post("/api/update_profile", { form });
  expect(saved.status(), await saved.text()).toBeLessThan(400);
  const links = await request.post("/api/load_booking_links");
  expect(links.status()).toBe(200);
  const { page_path } = (await links.json()) as { page_path: string };
  return { email, pagePath: page_path };
}

/** A browser page of its own, signed in as `email` (the owner looking at their CRM). */
export async function ownerPage(browser: Browser, email: string, javaScriptEnabled = true) {
  const context = await browser.newContext({ javaScriptEnabled });
  const response = await context.request.post("/api/login", { form: { email, password: PASSWORD }, maxRedirects: 0 });
  expect(response.status()).toBeLessThan(400);
  return context.newPage();
}

/** The signed-in user's first booking type. */
export async function firstType(request: APIRequestContext) {
  const response = await request.post("/api/list_booking_types", { form: {} });
  expect(response.status()).toBe(200);
  return (await response.json())[0].id as number;
}

/** A booking made through the server function; returns its id. */
export async function createBooking(request: APIRequestContext, startsAt: string, subject: string, clientId?: number) {
  const form: Record<string, string> = {
    booking_type_id: String(await firstType(request)),
    starts_at: startsAt,
    subject,
  };
  if (clientId) form.client_id = String(clientId);
  const response = await request.post("/api/create_booking", { form });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).id as number;
}

/** A day whose free times are all still ahead, whenever the test runs: the day after tomorrow
 *  (UTC), as the public page's `date=` expects it. Today can have two or no free times left once
 *  the owner's evening comes, and tomorrow starts within the two-hour notice in zones far ahead. */
export function aFullDay() {
  const day = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
  return day.toISOString().slice(0, 10);
}

/** `url` with the public page's shown day set to `date`. */
export function onDay(url: string, date: string) {
  const address = new URL(url, "http://placeholder");
  address.searchParams.set("date", date);
  return address.pathname + address.search;
}
