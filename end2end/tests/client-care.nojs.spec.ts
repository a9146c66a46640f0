import { test, expect } from "@playwright/test";
import { signUp, createStrategy, createClient } from "./fixtures";

// The duplicate warning and the client page's delete as plain HTML forms.
test("the duplicate warning and deleting a client work without JavaScript", async ({ page }) => {
  await signUp(page.request, "Plain Duplicate");
  const strategy = await createStrategy(page.request, "Plain duplicate persona");
  const existing = await createClient(page.request, { name: "Phil Phone", phone: "+44 20 7946 0958", strategy_id: String(strategy) });

  await page.goto("/clients/new");
  await page.getByLabel("Name").fill("Phil P.");
  await page.getByLabel("Phone").fill("+44 20 7946 0958");
  await page.getByRole("button", { name: "Add client" }).click();
  await expect(page).toHaveURL("/clients/new");
  const warning = page.getByTestId("duplicate-warning");
  await expect(warning).toContainText("Phil Phone already has this phone number.");
  await expect(warning.getByRole("link", { name: "Open that client" })).toHaveAttribute("href", `/clients/${existing}`);
  await expect(page.getByLabel("Name")).toHaveValue("Phil P.");
  await warning.getByLabel("Add this client anyway").check();
  await page.getByRole("button", { name: "Add client" }).click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("client-row").filter({ hasText: "Phil" })).toHaveCount(2);

  await page.goto(`/clients/${existing}`);
  await page.getByText("Delete this client…").click();
  await page.getByLabel("Yes, delete Phil Phone").check();
  await page.getByRole("button", { name: "Delete permanently" }).click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("client-row").filter({ hasText: "Phil" })).toHaveCount(1);
  expect((await page.request.get(`/clients/${existing}`)).status()).toBe(404);
});
