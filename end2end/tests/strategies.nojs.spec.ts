import { test, expect } from "@playwright/test";
import { signUp } from "./fixtures";

// Strategies as plain HTML forms: no WASM, no JavaScript.
test("a strategy is created, edited and deleted without JavaScript", async ({ page }) => {
  await signUp(page.request);
  await page.goto("/strategies");
  await page.getByRole("link", { name: "New strategy" }).click();
  await expect(page).toHaveURL("/strategies/new");

  // Refused on the server, explained next to the field.
  const name = `Plain persona ${process.pid}-${Date.now()}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Example conversation").fill("Hello there");
  await page.getByRole("button", { name: "Create strategy" }).click();
  await expect(page.locator("#example_conversation-error")).toHaveText("Line 1: start the line with “Lead:” or “AI:”.");

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Tone", { exact: true }).fill("Plain and polite");
  await page.getByLabel("Example conversation").fill("Lead: Hi\nAI: Hello!");
  await page.getByRole("button", { name: "Create strategy" }).click();
  await expect(page).toHaveURL(/\/strategies\/\d+\?created=1$/);
  await expect(page.getByRole("status").filter({ hasText: "Strategy created." })).toBeVisible();
  // Without JavaScript the preview shows the saved version.
  await expect(page.getByTestId("prompt-preview")).toContainText("Plain and polite");
  await expect(page.getByTestId("prompt-preview")).toContainText("You: Hello!");

  await page.getByLabel("Tone", { exact: true }).fill("Brisk");
  await page.getByLabel("Creativity", { exact: true }).fill("1");
  await page.getByRole("button", { name: "Save strategy" }).click();
  await expect(page).toHaveURL(/\/strategies\/\d+\?saved=1$/);
  await expect(page.getByRole("status").filter({ hasText: "Your changes are saved." })).toBeVisible();
  await expect(page.getByLabel("Tone", { exact: true })).toHaveValue("Brisk");
  await expect(page.getByTestId("prompt-preview")).toContainText("Creativity 1/10");

  await page.getByRole("button", { name: "Duplicate" }).click();
  await expect(page).toHaveURL(/\/strategies\/\d+\?copied=1$/);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(`${name} (copy)`);

  await page.getByText("Delete this strategy…").click();
  await page.getByRole("button", { name: "Delete permanently" }).click();
  await expect(page).toHaveURL("/strategies?deleted=1");
  await expect(page.getByRole("status").filter({ hasText: "The strategy is deleted." })).toBeVisible();
  // Strategies other tests share with the team show in every list: count this user's own.
  await expect(page.getByTestId("strategy-row").filter({ hasNotText: "Shared" })).toHaveCount(1);
});
