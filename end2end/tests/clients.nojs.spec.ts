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
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await page.getByLabel("Company").fill("Offline Ltd");
  await page.getByRole("button", { name: "Save client" }).click();
  await expect(page).toHaveURL(/\/clients\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Olga Offline");
  await expect(page.getByText("Offline Ltd").first()).toBeVisible();

  // The client page's stage and notes forms work as plain posts too.
  await page.getByLabel("Stage", { exact: true }).selectOption("contacted");
  await page.getByRole("button", { name: "Move" }).click();
  await expect(page.getByTestId("client-status")).toHaveText("Contacted");
  await page.getByLabel("New note").fill("Prefers email.");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("client-notes").locator(".note-body")).toHaveText("Prefers email.");
  await expect(page.getByTestId("client-activity")).toContainText("Status: Lead → Contacted");

  // So does a move on the pipeline board.
  await page.goto("/pipeline");
  const card = page.getByTestId("pipeline-card").filter({ hasText: "Olga Offline" });
  await card.getByRole("button", { name: "Move Olga Offline" }).click();
  await card.getByRole("menuitem", { name: "Won" }).click();
  await expect(page).toHaveURL("/pipeline");
  await expect(page.locator('[data-status="won"]').getByTestId("pipeline-card")).toContainText("Olga Offline");
});
