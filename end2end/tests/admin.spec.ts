import { test, expect, openHydrated, signIn, signInAsAdmin, uniqueEmail, expectRefusal, PASSWORD, ADMIN_EMAIL } from "./fixtures";

test.beforeEach(async ({ page }) => {
  await signInAsAdmin(page.request);
});

test("an admin adds a user, disables them (signing them out) and enables them again", async ({ page, browser }) => {
  await openHydrated(page, "/users");
  const email = uniqueEmail("member");
  await page.getByText("Add a user").click();
  await page.getByLabel("Name", { exact: true }).fill("Morgan Member");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Role").selectOption("user");
  await page.getByLabel("Initial password").fill(PASSWORD);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("status").filter({ hasText: "can now sign in" })).toContainText(email);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("");

  // The new user signs in elsewhere.
  const member = await browser.newContext();
  await signIn(member.request, email);
  const memberPage = await member.newPage();
  await openHydrated(memberPage, "/");
  await expect(memberPage.getByTestId("user-name")).toContainText("Morgan Member");

  // Find them, then disable: the first press asks for confirmation.
  await page.getByLabel("Search users").fill(email);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/users\?q=/);
  const row = page.locator(`[data-testid=user-row][data-email="${email}"]`);
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await row.getByRole("button", { name: "Disable" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("Active");
  await row.getByRole("button", { name: "Confirm: disable and sign out" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("Disabled");

  // The disabled user's next request finds them signed out.
  await memberPage.reload();
  await expect(memberPage).toHaveURL(/\/login/);

  await row.getByRole("button", { name: "Enable" }).click();
  await expect(row.getByTestId("user-status")).toHaveText("Active");
  await signIn(member.request, email);
  await member.close();
});

test("an admin changes a role and sets a new password", async ({ page, browser, problems }) => {
  const email = uniqueEmail("promote");
  const created = await page.request.post("/api/create_user", {
    form: { name: "Pat Promote", email, role: "user", password: PASSWORD },
  });
  expect(created.status()).toBe(200);
  await openHydrated(page, `/users?q=${encodeURIComponent(email)}`);
  const row = page.locator(`[data-testid=user-row][data-email="${email}"]`);
  await row.getByRole("button", { name: "Make admin" }).click();
  await expect(row.getByText("Admin", { exact: true })).toBeVisible();
  await expect(row.getByRole("button", { name: "Make user" })).toBeVisible();

  await row.getByText("Set password").click();
  await row.getByPlaceholder("New password").fill("password");
  await row.getByRole("button", { name: "Save" }).click();
  await expect(row.getByRole("alert")).toContainText("most common");
  expectRefusal(problems, 422);

  await row.getByPlaceholder("New password").fill("a fresh harbour melody");
  await row.getByRole("button", { name: "Save" }).click();
  await expect(row.getByRole("status")).toContainText("signed out everywhere");

  const other = await browser.newContext();
  await signIn(other.request, email, "a fresh harbour melody");
  await other.close();
});

test("a user's own row offers no way to lock themselves out", async ({ page }) => {
  await openHydrated(page, "/users?q=admin%40e2e");
  const own = page.getByTestId("user-row").filter({ hasText: "(you)" });
  await expect(own).toHaveCount(1);
  await expect(own.getByRole("button")).toHaveCount(0);
});

test("an admin corrects a user's name and email", async ({ page, problems }) => {
  const email = uniqueEmail("typo");
  const created = await page.request.post("/api/create_user", {
    form: { name: "Jon Smiht", email, role: "user", password: PASSWORD },
  });
  expect(created.status()).toBe(200);
  await openHydrated(page, `/users?q=${encodeURIComponent(email)}`);
  const row = page.locator(`[data-testid=user-row][data-email="${email}"]`);
  await row.getByText("Edit").click();
  await row.getByLabel("Name of Jon Smiht").fill("Jon Smith");
  await row.getByLabel("Email of Jon Smiht").fill(ADMIN_EMAIL);
  await row.getByRole("button", { name: "Save" }).first().click();
  await expect(row.locator(".field-error")).toContainText("already exists");
  expectRefusal(problems, 422);
  const fixed = uniqueEmail("fixed");
  await row.getByLabel("Email of Jon Smiht").fill(fixed);
  await row.getByRole("button", { name: "Save" }).first().click();
  const renamed = page.locator(`[data-testid=user-row][data-email="${fixed}"]`);
  await expect(renamed.locator("th")).toContainText("Jon Smith");
  await signIn(page.request, fixed);
});
