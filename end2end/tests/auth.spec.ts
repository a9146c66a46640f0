import { test, expect, openHydrated, uniqueEmail, signUp, PASSWORD } from "./fixtures";

test("sign up, sign out, and sign back in to the page first asked for", async ({ page }) => {
  const email = uniqueEmail("signup");
  await openHydrated(page, "/signup");
  await page.getByLabel("Name").fill("Rosa Diaz");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("user-name")).toContainText("Rosa Diaz");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  // Signed out, a protected page sends the visitor to sign in, then back.
  await page.goto("/clients");
  await expect(page).toHaveURL("/login?next=%2Fclients");
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByRole("heading", { level: 1, name: "Clients" })).toBeVisible();
});

test("a wrong password is refused with one message for both mistakes", async ({ page, problems }) => {
  await openHydrated(page, "/login");
  await page.getByLabel("Email").fill(uniqueEmail("nobody"));
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await expect(page).toHaveURL(/\/login/);
  // The refused request itself is logged by Chromium as a failed resource (422): expected.
  const index = problems.findIndex((p) => p.includes("422"));
  if (index >= 0) problems.splice(index, 1);
});

test("sign-up errors appear next to their fields", async ({ page, problems }) => {
  await openHydrated(page, "/signup");
  await page.getByLabel("Name").fill("Rosa");
  await page.getByLabel("Email").fill(uniqueEmail("common"));
  await page.getByLabel("Password").fill("password123");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#password-error")).toContainText("most common");
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  const index = problems.findIndex((p) => p.includes("422"));
  if (index >= 0) problems.splice(index, 1);
});

test("signing out everywhere else ends the other browser's session", async ({ page, browser }) => {
  const email = await signUp(page.request);
  const other = await browser.newContext();
  const login = await other.request.post("/api/login", { form: { email, password: PASSWORD }, maxRedirects: 0 });
  expect(login.status()).toBeLessThan(400);

  await openHydrated(page, "/settings");
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByTestId("logout-elsewhere-outcome")).toHaveText("Signed out of 1 other session.");

  const otherPage = await other.newPage();
  await otherPage.goto("/settings");
  await expect(otherPage).toHaveURL("/login?next=%2Fsettings");
  await other.close();
});
