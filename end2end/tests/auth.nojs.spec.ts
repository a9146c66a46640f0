import { test, expect } from "@playwright/test";
import { uniqueEmail, PASSWORD } from "./fixtures";

// The same flows as plain HTML forms: no WASM, no JavaScript.
test("sign up, sign out and sign in without JavaScript", async ({ page }) => {
  const email = uniqueEmail("nojs");
  await page.goto("/signup");
  await page.getByLabel("Name").fill("No Script");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.goto("/clients?q=ana");
  await expect(page).toHaveURL("/login?next=%2Fclients%3Fq%3Dana");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL("/clients?q=ana");
  await expect(page.getByRole("heading", { level: 1, name: "Clients" })).toBeVisible();
});
