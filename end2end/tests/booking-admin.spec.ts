import { test, expect, expectRefusal, openHydrated, signUp, signIn, createClient, createStrategy, ADMIN_EMAIL, ADMIN_PASSWORD } from "./fixtures";

// The calendar's settings and new-booking forms after the follow-ups: deleting a booking type
// behind a ticked box (never the last one), an admin choosing whose calendar, and the client finder.
test("a booking type is deleted only after the box is ticked, and the last one cannot be", async ({ page, problems }) => {
  await signUp(page.request, "Tidy Types");
  await openHydrated(page, "/bookings/settings");
  const types = page.getByTestId("booking-types");
  await expect(types.getByTestId("last-type")).toBeHidden();
  await types.locator("summary").filter({ hasText: "30-minute call" }).click();
  await expect(types.getByTestId("last-type")).toBeVisible();
  await expect(types.getByText("Delete this type…")).toHaveCount(0);

  await page.getByText("New booking type").click();
  const created = page.getByTestId("new-type-form");
  await created.getByLabel("Name").fill("Quick intro");
  await created.getByLabel("URL slug").fill("quick-intro");
  await created.getByLabel("Duration (minutes)").fill("15");
  await created.getByRole("button", { name: "Add type" }).click();
  await expect(types).toContainText("Quick intro");

  const intro = types.locator("li").filter({ hasText: "Quick intro" });
  await intro.locator("summary").filter({ hasText: "Quick intro" }).click();
  await intro.getByText("Delete this type…").click();
  const remove = intro.getByTestId("delete-type-form");
  await remove.getByRole("button", { name: "Delete Quick intro" }).click();
  await expect(remove.getByRole("alert").first()).toContainText("Tick the box");
  expectRefusal(problems, 422);
  await expect(types).toContainText("Quick intro");

  await remove.getByLabel("Yes, delete Quick intro").check();
  await remove.getByRole("button", { name: "Delete Quick intro" }).click();
  await expect(types).not.toContainText("Quick intro");
  await expect(types).toContainText("30-minute call");
});

test("an admin opens another user's availability and new-booking form from the owner picker", async ({ page, browser }) => {
  const other = await browser.newContext();
  const name = `Pia Picked ${Date.now() % 100000}`;
  await signUp(other.request, name);
  await other.close();

  await signIn(page.request, ADMIN_EMAIL, ADMIN_PASSWORD);
  await openHydrated(page, "/bookings/settings");
  const picker = page.getByTestId("owner-picker");
  await picker.getByLabel("Whose availability").selectOption({ label: name });
  await expect(page).toHaveURL(/\/bookings\/settings\?owner=\d+$/);
  await expect(page.getByTestId("availability-owner")).toHaveText(`${name}'s availability`);
  const owner = new URL(page.url()).searchParams.get("owner");

  await openHydrated(page, "/bookings/new?date=2030-02-04");
  await page.getByTestId("owner-picker").getByLabel("Whose calendar").selectOption({ label: name });
  await expect(page).toHaveURL(`/bookings/new?date=2030-02-04&owner=${owner}`);
  await expect(page.getByTestId("owner-picker").getByLabel("Whose calendar")).toHaveValue(owner!);
});

test("the new-booking form finds a client by name and books for them", async ({ page }) => {
  await signUp(page.request, "Finder Owner");
  const strategy = String(await createStrategy(page.request, "Finder persona"));
  await createClient(page.request, { name: "Ana Findable", email: "ana.findable@example.com", strategy_id: strategy });
  await createClient(page.request, { name: "Bruno Elsewhere", strategy_id: strategy });

  await openHydrated(page, "/bookings/new?date=2030-02-04");
  await page.getByTestId("slot-picker").getByLabel("Find a client").fill("findable");
  await page.getByRole("button", { name: "Show free times" }).click();
  const form = page.getByTestId("booking-form");
  await expect(form.locator("#client-hint")).toHaveText("Clients matching “findable”.");
  const select = form.getByTestId("client-select");
  await expect(select.locator("option")).toHaveText(["No client", "Ana Findable · ana.findable@example.com"]);
  await select.selectOption({ label: "Ana Findable · ana.findable@example.com" });

  await form.getByRole("radio", { name: "A time of my own" }).check();
  await form.getByLabel("Date").fill("2030-02-04");
  await form.getByLabel("Start").fill("11:00");
  await form.getByLabel("Subject").fill("Found and booked");
  await form.getByRole("button", { name: "Book", exact: true }).click();
  await expect(page).toHaveURL(/\/bookings\/\d+$/);
  await expect(page.getByTestId("booking-facts").getByRole("link", { name: "Ana Findable" })).toBeVisible();
});
