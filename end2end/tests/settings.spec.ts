import { test, expect, openHydrated, signUp, signIn, expectRefusal, PASSWORD } from "./fixtures";

test("the profile, time zone and working hours are saved and come back", async ({ page }) => {
  await signUp(page.request, "Sam Settings");
  await openHydrated(page, "/settings");
  await page.getByLabel("Company").fill("Settings & Sons");
  await page.getByLabel("Time zone").selectOption("America/Sao_Paulo");
  await page.getByLabel("Let the AI persona book appointments").check();
  await page.getByLabel("Saturday", { exact: true }).check();
  await page.getByLabel("Saturday start").fill("10:00");
  await page.getByLabel("Saturday end").fill("13:30");
  await page.getByLabel("Calendar id").fill("cal_e2e");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByTestId("profile-outcome")).toHaveText("Saved.");

  await page.reload();
  await expect(page.getByLabel("Company")).toHaveValue("Settings & Sons");
  await expect(page.getByLabel("Time zone")).toHaveValue("America/Sao_Paulo");
  await expect(page.getByLabel("Saturday", { exact: true })).toBeChecked();
  await expect(page.getByLabel("Saturday end")).toHaveValue("13:30");
  await expect(page.getByLabel("Calendar id")).toHaveValue("cal_e2e");
});

test("bad settings are explained next to their fields", async ({ page, problems }) => {
  await signUp(page.request);
  await openHydrated(page, "/settings");
  await page.getByLabel("Monday start").fill("18:00");
  await page.getByLabel("Location id").fill("not valid!");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator("[data-day=mon] .field-error")).toHaveText("Monday: the end must be after the start.");
  await expect(page.locator("#ghl_location_id-error")).toContainText("letters, digits");
  await expect(page.getByLabel("Location id")).toHaveAttribute("aria-invalid", "true");
  expectRefusal(problems, 422);
});

test("changing the password clears the form and signs other sessions out", async ({ page, browser, problems }) => {
  const email = await signUp(page.request);
  const other = await browser.newContext();
  await signIn(other.request, email);

  await openHydrated(page, "/settings");
  await page.getByLabel("Current password").fill("not my password");
  await page.getByLabel("New password", { exact: true }).fill("quiet harbour lanterns");
  await page.getByLabel("Repeat the new password").fill("quiet harbour lanterns");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#current_password-error")).toHaveText("This is not your current password.");
  expectRefusal(problems, 422);

  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-outcome")).toHaveText("Password changed. Signed out of 1 other session.");
  await expect(page.getByLabel("Current password")).toHaveValue("");

  const otherPage = await other.newPage();
  await otherPage.goto("/settings");
  await expect(otherPage).toHaveURL("/login?next=%2Fsettings");
  await other.close();

  // Still signed in here, with the new session id.
  await openHydrated(page, "/settings");
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
});
