import { test, expect } from "@playwright/test";
import { signUp, PASSWORD } from "./fixtures";

// Settings as plain HTML forms: no WASM, no JavaScript.
test("settings and the password change work without JavaScript", async ({ page }) => {
  await signUp(page.request);
  await page.goto("/settings");
  await page.getByLabel("Company").fill("Plain Forms Ltd");
  await page.getByLabel("Time zone").selectOption("Europe/Berlin");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Your settings are saved." })).toBeVisible();
  await expect(page.getByLabel("Company")).toHaveValue("Plain Forms Ltd");
  await expect(page.getByLabel("Time zone")).toHaveValue("Europe/Berlin");

  await page.getByLabel("Sunday start").fill("12:00");
  await page.getByLabel("Sunday end").fill("11:00");
  await page.getByLabel("Sunday", { exact: true }).check();
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator("[data-day=sun] .field-error")).toHaveText("Sunday: the end must be after the start.");

  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill("plain harbour lanterns");
  await page.getByLabel("Repeat the new password").fill("plain harbour lanterns");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Your password is changed" })).toBeVisible();
});
