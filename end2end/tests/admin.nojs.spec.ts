import { test, expect } from "@playwright/test";
import { signIn, signInAsAdmin, uniqueEmail, PASSWORD } from "./fixtures";

// User management as plain HTML forms: no WASM, no JavaScript.
test("an admin adds and disables a user without JavaScript", async ({ page, browser }) => {
  await signInAsAdmin(page.request);
  await page.goto("/users");
  const email = uniqueEmail("nojs-member");
  await page.getByText("Add a user").click();
  await page.getByLabel("Name", { exact: true }).fill("Nadia NoScript");
  await page.getByLabel("Email", { exact: true }).fill("nadia@localhost");
  await page.getByLabel("Initial password").fill(PASSWORD);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.locator("#new-email-error")).toContainText("name@example.com");

  // A plain form post comes back empty: fill it in again.
  await page.getByLabel("Name", { exact: true }).fill("Nadia NoScript");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Initial password").fill(PASSWORD);
  await page.getByRole("button", { name: "Add user" }).click();
  await page.goto(`/users?q=${encodeURIComponent(email)}`);
  const row = page.locator(`[data-testid=user-row][data-email="${email}"]`);
  await expect(row.getByTestId("user-status")).toHaveText("Active");

  const member = await browser.newContext({ javaScriptEnabled: false });
  await signIn(member.request, email);
  const memberPage = await member.newPage();
  await memberPage.goto("/");
  await expect(memberPage.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();

  await row.getByRole("button", { name: "Disable" }).click();
  await expect(page).toHaveURL(/\/users\?q=/);
  await expect(row.getByTestId("user-status")).toHaveText("Disabled");
  await memberPage.reload();
  await expect(memberPage).toHaveURL(/\/login/);
  await member.close();
});
