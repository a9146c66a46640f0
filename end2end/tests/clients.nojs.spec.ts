import { test, expect } from "@playwright/test";
import { signUp } from "./fixtures";

// The client form and list as plain HTML: no WASM, no JavaScript.
test("clients are created, searched and edited without JavaScript", async ({ page }) => {
  await signUp(page.request, "Plain Lister");
  const strategy = await page.request.post("/api/create_strategy", {
    form: { name: "Plain strategy", creativity: "5", reply_delay_min: "0", reply_delay_max: "0" },
  });
  expect(strategy.status()).toBe(200);

  await page.goto("/clients/new");
  await page.getByLabel("Name").fill("Olga Offline");
  await page.getByLabel("Phone").fill("12ab");
  await page.getByRole("button", { name: "Add client" }).click();
  await expect(page.locator("#phone-error")).toContainText("7 to 15 digits");

  await page.getByLabel("Name").fill("Olga Offline");
  await page.getByLabel("Phone").fill("020 7946 0958");
  await page.getByRole("button", { name: "Add client" }).click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("client-row").filter({ hasText: "Olga Offline" })).toBeVisible();

  await page.getByLabel("Search").fill("7946");
  await page.getByRole("button", { name: "Apply" }).first().click();
  await expect(page.getByTestId("client-row")).toHaveCount(1);
  await page.getByRole("link", { name: "Olga Offline" }).click();
  await page.getByLabel("Company").fill("Offline Ltd");
  await page.getByRole("button", { name: "Save client" }).click();
  await expect(page.getByTestId("client-row").filter({ hasText: "Offline Ltd" })).toBeVisible();
});
