import { test, expect } from "@playwright/test";
import { signUp, createStrategy, createClient } from "./fixtures";

// The dashboard without JavaScript: drawn on the server, its range picker plain links and a GET form.
test("the dashboard's charts and tables are in the HTML, and the range picker works as links and a form", async ({
  page,
}) => {
  await signUp(page.request, "Nina Nojs");
  const strategy = await createStrategy(page.request, "Nojs persona");
  await createClient(page.request, { name: "Quiet Lead", strategy_id: String(strategy) });

  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  const leads = page.getByRole("figure").filter({ hasText: "New leads per day" });
  await expect(leads.locator("svg[role=group]")).toBeVisible();
  // The table alternative holds every day of the range.
  await leads.getByText("Show as table").click();
  await expect(leads.locator("table tbody tr")).toHaveCount(30);
  await expect(page.getByRole("heading", { name: "Speed to lead" })).toBeVisible();

  await page.getByRole("link", { name: "Last 90 days" }).click();
  await expect(page).toHaveURL(/\/\?range=90d$/);
  await expect(page.getByTestId("dashboard-range")).toBeVisible();

  // A custom range that ends before it starts: 422, the message, and what was typed.
  await page.getByLabel("From", { exact: true }).fill("2026-11-08");
  await page.getByLabel("To", { exact: true }).fill("2026-11-01");
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("range=custom")),
    page.getByRole("button", { name: "Apply" }).click(),
  ]);
  expect(answer.status()).toBe(422);
  await expect(page.getByRole("alert")).toContainText("The range ends before it starts.");
  await expect(page.getByLabel("From", { exact: true })).toHaveValue("2026-11-08");
});
