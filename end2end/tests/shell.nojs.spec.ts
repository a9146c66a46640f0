import { test, expect } from "@playwright/test";
import { signUp } from "./fixtures";

// Without JavaScript the server-rendered pages must still be complete and navigable.
test("pages render and links work without JavaScript", async ({ page }) => {
  await signUp(page.request);
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status" }).click();
  await expect(page).toHaveURL("/status");
  await expect(page.getByTestId("status-schema")).toHaveText(/^m\d{8}_\d{6}_\w+$/);
});
