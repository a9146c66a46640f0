import { test, expect, openHydrated, signUp, signInAsAdmin, expectRefusal } from "./fixtures";

/** A name no other test run uses, since the e2e database is shared. */
function uniqueName(prefix: string) {
  return `${prefix} ${process.pid}-${Date.now()}`;
}

test("a strategy is created with a live prompt preview, edited, duplicated and deleted", async ({
  page,
  problems,
}) => {
  await signUp(page.request, "Petra Persona");
  await openHydrated(page, "/strategies");
  await expect(page.getByText("No strategies yet.")).toBeVisible();
  await page.getByRole("link", { name: "Create your first strategy" }).click();
  await expect(page).toHaveURL("/strategies/new");
  await expect(page.getByRole("heading", { level: 1, name: "New strategy" })).toBeVisible();

  // The preview follows every keystroke, computed in the browser.
  const name = uniqueName("Closer");
  const preview = page.getByTestId("prompt-preview");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await expect(preview).toContainText(`You are “${name}”`);
  await expect(preview).not.toContainText("## Tone");
  await page.getByLabel("Tone", { exact: true }).fill("Upbeat and direct");
  await expect(preview).toContainText("## Tone");
  await expect(preview).toContainText("Upbeat and direct");
  await page.getByLabel("Objective", { exact: true }).fill("Book a discovery call.");
  await expect(preview).toContainText("Book a discovery call.");
  await page.getByLabel("Creativity", { exact: true }).fill("9");
  await expect(preview).toContainText("Creativity 9/10");
  await page.getByLabel("Example conversation").fill("Lead: Hi there\nSomeone: hello");
  await expect(preview).toContainText("Lead: Hi there");

  // A line without a speaker is refused, next to its field.
  await page.getByRole("button", { name: "Create strategy" }).click();
  await expect(page.locator("#example_conversation-error")).toHaveText("Line 2: start the line with “Lead:” or “AI:”.");
  await expect(page.getByLabel("Example conversation")).toHaveAttribute("aria-invalid", "true");
  expectRefusal(problems, 422);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);

  await page.getByLabel("Example conversation").fill("Lead: Hi there\nAI: Hello! What brings you here?");
  await expect(preview).toContainText("You: Hello! What brings you here?");
  await page.getByRole("button", { name: "Create strategy" }).click();
  await expect(page).toHaveURL(/\/strategies\/\d+\?created=1$/);
  await expect(page.getByRole("status").filter({ hasText: "Strategy created." })).toBeVisible();
  const originalUrl = page.url();

  // Edit: the preview starts from the saved version and follows the edits.
  await expect(page.getByLabel("Tone", { exact: true })).toHaveValue("Upbeat and direct");
  await expect(preview).toContainText("Upbeat and direct");
  await page.getByLabel("Tone", { exact: true }).fill("Calm and patient");
  await expect(preview).toContainText("Calm and patient");
  await page.getByLabel("Longest reply delay (seconds)").fill("5");
  await page.getByLabel("Shortest reply delay (seconds)").fill("10");
  await page.getByRole("button", { name: "Save strategy" }).click();
  await expect(page.locator("#reply_delay_max-error")).toContainText("at least the shortest");
  expectRefusal(problems, 422);
  await page.getByLabel("Longest reply delay (seconds)").fill("60");
  await page.getByRole("button", { name: "Save strategy" }).click();
  await expect(page.getByTestId("strategy-outcome")).toHaveText("Saved.");
  await page.reload();
  await expect(page.getByLabel("Tone", { exact: true })).toHaveValue("Calm and patient");
  await expect(page.getByLabel("Longest reply delay (seconds)")).toHaveValue("60");

  // Duplicate: the copy opens in the editor.
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByRole("button", { name: "Duplicate" }).click();
  await expect(page).toHaveURL(/\/strategies\/\d+\?copied=1$/);
  expect(page.url()).not.toBe(originalUrl);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(`${name} (copy)`);
  await expect(page.getByLabel("Tone", { exact: true })).toHaveValue("Calm and patient");

  // Delete the copy: open the disclosure, then confirm.
  await page.getByText("Delete this strategy…").click();
  await expect(page.getByTestId("strategy-usage")).toHaveText("No client uses this strategy.");
  await page.getByRole("button", { name: "Delete permanently" }).click();
  await expect(page).toHaveURL("/strategies?deleted=1");
  await expect(page.getByRole("status").filter({ hasText: "The strategy is deleted." })).toBeVisible();
  // Strategies other tests share with the team show in every list: count this user's own.
  const rows = page.getByTestId("strategy-row").filter({ hasNotText: "Shared" });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(name);
});

test("the list searches, sorts and links to each strategy", async ({ page }) => {
  await signUp(page.request);
  for (const [name, tag] of [
    ["Bravo persona", "outbound"],
    ["alpha persona", "inbound"],
    ["Charlie persona", "outbound"],
  ]) {
    const response = await page.request.post("/api/create_strategy", {
      form: { name, tag, creativity: "5", reply_delay_min: "0", reply_delay_max: "0" },
    });
    expect(response.status(), await response.text()).toBe(200);
  }
  await openHydrated(page, "/strategies");
  await page.getByLabel("Sort by").selectOption("name");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/sort=name/);
  await expect(page.getByTestId("strategy-row").first()).toContainText("alpha persona");

  await page.getByLabel("Search strategies").fill("outbound");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("strategy-row")).toHaveCount(2);
  await page.getByRole("link", { name: "Charlie persona" }).click();
  await expect(page).toHaveURL(/\/strategies\/\d+$/);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Charlie persona");
});

test("an admin sees other users' strategies with their owner", async ({ page, browser }) => {
  await signUp(page.request, "Olga Owner");
  const name = uniqueName("Owned");
  const created = await page.request.post("/api/create_strategy", {
    form: { name, creativity: "5", reply_delay_min: "0", reply_delay_max: "0" },
  });
  expect(created.status()).toBe(200);

  const admin = await browser.newContext();
  await signInAsAdmin(admin.request);
  const adminPage = await admin.newPage();
  await openHydrated(adminPage, `/strategies?q=${encodeURIComponent(name)}`);
  const row = adminPage.getByTestId("strategy-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Olga Owner");
  await admin.close();
});

test("another user's strategy is not found", async ({ page, browser }) => {
  await signUp(page.request);
  const created = await page.request.post("/api/create_strategy", {
    form: { name: uniqueName("Private"), creativity: "5", reply_delay_min: "0", reply_delay_max: "0" },
  });
  const { id } = await created.json();

  const other = await browser.newContext();
  await signUp(other.request);
  const otherPage = await other.newPage();
  await openHydrated(otherPage, `/strategies/${id}`);
  await expect(otherPage.getByText("This strategy was not found.")).toBeVisible();
  await other.close();
});

test("the editor fits a 360 px wide screen", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signUp(page.request);
  await openHydrated(page, "/strategies/new");
  await expect(page.getByTestId("prompt-preview")).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

// The playground: the persona of the fields as typed (not saved) answers the person playing a
// lead, says what its action would do, and shows the request an endpoint would be sent.
test("the playground chats with the persona as it is typed, and saves nothing", async ({ page }) => {
  await signUp(page.request, "Paula Playground");
  await openHydrated(page, "/strategies/new");
  const playground = page.getByTestId("playground");
  await expect(playground.getByTestId("playground-empty")).toBeVisible();
  const name = uniqueName("Formal closer");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Tone", { exact: true }).fill("Formal");
  await page.getByLabel("Qualification priorities").fill("Team size");

  const message = playground.getByLabel("Your message as the lead");
  await message.fill("Hi there");
  await message.press("Enter");
  const said = playground.getByTestId("playground-message");
  await expect(said).toHaveCount(2);
  await expect(said.nth(1)).toContainText("Hello Sam, thank you for getting in touch. Could you tell me your team size?");
  await expect(message).toHaveValue("");

  // No booking type yet: a qualified lead would go to the team, and the card says so.
  await message.fill("We are 12 people");
  await playground.getByRole("button", { name: "Send as the lead" }).click();
  await expect(said).toHaveCount(4);
  await expect(playground.getByTestId("playground-action")).toContainText("Would hand the conversation to the team");

  await playground.getByText("The request an AI endpoint is sent").click();
  const request = playground.getByTestId("playground-request");
  await expect(request).toContainText("the built-in offline persona");
  await expect(request).toContainText("user:\nWe are 12 people");
  await expect(request).toContainText("No free times are available");
  await expect(request).toContainText("Tools it may call: hand_off, set_stage.");

  await playground.getByRole("button", { name: "Start over" }).click();
  await expect(said).toHaveCount(0);
  // Nothing was saved: the typed strategy is not in the list.
  await openHydrated(page, "/strategies");
  await expect(page.getByRole("heading", { name: "Saved strategies" })).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);
});
