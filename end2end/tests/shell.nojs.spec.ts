import { test, expect } from "@playwright/test";
import { signUp, signInAsAdmin } from "./fixtures";

// Without JavaScript the server-rendered pages must still be complete and navigable.
test("pages render and links work without JavaScript", async ({ page }) => {
  await signInAsAdmin(page.request);
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clients" }).click();
  await expect(page).toHaveURL("/clients");
  // Who is signed in and the admin's own links are written in place, not streamed for a script.
  await expect(page.getByTestId("user-name")).toContainText("admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status" }).click();
  await expect(page).toHaveURL("/status");
  await expect(page.getByTestId("status-schema")).toHaveText(/^m\d{8}_\d{6}_\w+$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL("/users");
});

test("the status page is for admins: anyone else gets 403 inside the layout", async ({ page }) => {
  await signUp(page.request, "Nora Member");
  await page.goto("/");
  await expect(page.getByTestId("user-name")).toHaveText("Nora Member");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status" })).toHaveCount(0);
  const response = await page.goto("/status");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { level: 1, name: "No access" })).toBeVisible();
  await expect(page.getByTestId("status-schema")).toHaveCount(0);
});

test("the theme switch posts the choice, which the server remembers", async ({ page }) => {
  await signUp(page.request);
  await page.goto("/clients?q=zz");
  const root = page.locator("html");
  await expect(root).not.toHaveAttribute("data-theme");
  const switcher = page.getByRole("group", { name: "Colour theme" });
  await switcher.getByRole("button", { name: /Dark/ }).click();
  // Back on the same page, now dark, and still dark on the next one.
  await expect(page).toHaveURL("/clients?q=zz");
  await expect(root).toHaveAttribute("data-theme", "dark");
  await expect(switcher.getByRole("button", { name: /Dark/ })).toHaveAttribute("aria-pressed", "true");
  await page.goto("/status");
  await expect(root).toHaveAttribute("data-theme", "dark");
  await switcher.getByRole("button", { name: /System/ }).click();
  await expect(page).toHaveURL("/status");
  await expect(root).not.toHaveAttribute("data-theme");

  // Only a known theme, and only back to one of our own pages.
  const refused = await page.request.post("/preferences/theme", { form: { theme: "neon", back: "/" }, maxRedirects: 0 });
  expect(refused.status()).toBe(422);
  const foreign = await page.request.post("/preferences/theme", {
    form: { theme: "dark", back: "https://evil.example/" },
    maxRedirects: 0,
  });
  expect(foreign.status()).toBe(303);
  expect(foreign.headers()["location"]).toBe("/");
});
