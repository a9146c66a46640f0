import { test, expect, openHydrated, signUp, expectRefusal, createStrategy, createClient } from "./fixtures";

test("the client page changes the stage and notes and shows them in the activity", async ({ page, problems }) => {
  await signUp(page.request, "Paula Profile");
  const strategy = await createStrategy(page.request, "Profile persona");
  const id = await createClient(page.request, {
    name: "Rita Reyes",
    email: "rita@reyes.example",
    company: "Reyes Bikes",
    position: "Owner",
    strategy_id: String(strategy),
  });
  await openHydrated(page, `/clients/${id}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Rita Reyes");
  await expect(page.getByRole("link", { name: "rita@reyes.example" })).toHaveAttribute("href", "mailto:rita@reyes.example");
  await expect(page.getByRole("link", { name: "Profile persona" })).toBeVisible();
  await expect(page.getByTestId("messages-empty")).toBeVisible();
  await expect(page.getByTestId("bookings-empty")).toBeVisible();
  await expect(page.getByTestId("notes-empty")).toHaveText("No notes yet.");
  await expect(page.getByTestId("client-activity")).toContainText("created the client");

  await page.getByLabel("Stage", { exact: true }).selectOption("qualified");
  await page.getByRole("button", { name: "Move" }).click();
  await expect(page.getByTestId("client-status")).toHaveText("Qualified");
  await expect(page.getByTestId("client-activity").locator("li").first()).toContainText("Status: Lead → Qualified");

  // Notes are a log: each one is added with its author and time, and none is written over.
  await page.getByLabel("New note").fill("Asked for a quote.");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("client-notes").locator("li")).toHaveCount(1);
  await expect(page.getByTestId("notes-empty")).toHaveCount(0);
  await expect(page.getByLabel("New note")).toHaveValue("");
  await page.getByLabel("New note").fill("Quote sent,\nwaiting.");
  await page.getByRole("button", { name: "Add note" }).click();
  const notes = page.getByTestId("client-notes").locator("li");
  await expect(notes).toHaveCount(2);
  await expect(notes.first()).toContainText("Paula Profile");
  await expect(notes.first().locator(".note-body")).toHaveText("Quote sent,\nwaiting.");
  await expect(notes.nth(1).locator(".note-body")).toHaveText("Asked for a quote.");
  await expect(page.getByTestId("client-activity").locator("li").first()).toContainText("added a note");

  // A too long note is refused next to the field, keeps what was typed, and adds nothing.
  await page.getByLabel("New note").evaluate((area: HTMLTextAreaElement) => {
    area.removeAttribute("maxlength");
    area.value = "x".repeat(20_001);
  });
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.locator("#body-error")).toContainText("20000 characters");
  expectRefusal(problems, 422);
  await expect(page.getByLabel("New note")).toHaveValue("x".repeat(20_001));
  await page.reload();
  await expect(page.getByTestId("client-notes").locator("li")).toHaveCount(2);

  // Another user's client is not found.
  const stranger = await page.context().browser()!.newContext({ baseURL: new URL(page.url()).origin });
  await signUp(stranger.request, "Nosy Neighbour");
  const response = await stranger.request.get(`/clients/${id}`);
  expect(await response.text()).toContain("This client");
  await stranger.close();
});

test("pipeline cards move by drag and drop and by keyboard, and the moves persist", async ({ page }) => {
  await signUp(page.request, "Pia Pipeline");
  const strategy = await createStrategy(page.request, "Board persona");
  await createClient(page.request, { name: "Dragged Dora", strategy_id: String(strategy) });
  await createClient(page.request, { name: "Keyboard Kim", strategy_id: String(strategy) });
  await openHydrated(page, "/pipeline");
  const stage = (status: string) => page.locator(`[data-status="${status}"]`);
  await expect(stage("lead").getByTestId("pipeline-card")).toHaveCount(2);
  await expect(stage("lead").getByTestId("stage-total")).toHaveText("2");

  // Each move shows at once and saves in the background: wait for the server's answer before
  // reloading, or the reload may cancel the save.
  const saved = () => page.waitForResponse((response) => response.url().endsWith("/api/move_client"));

  // Mouse: drag a card onto another stage.
  const dragSaved = saved();
  await stage("lead").getByTestId("pipeline-card").filter({ hasText: "Dragged Dora" }).dragTo(stage("qualified"));
  await expect(stage("qualified").getByTestId("pipeline-card")).toContainText("Dragged Dora");
  await expect(page.getByTestId("pipeline-message")).toHaveText("Moved Dragged Dora to Qualified.");
  await expect(stage("lead").getByTestId("stage-total")).toHaveText("1");
  expect((await dragSaved).status()).toBe(200);
  // The dropped card no longer looks dragged, and the focus follows it (wait for it, or it could
  // land after the focus below and open this card's menu instead).
  await expect(stage("qualified").getByTestId("pipeline-card")).not.toHaveClass(/dragging/);
  await expect(stage("qualified").getByRole("button", { name: "Move Dragged Dora" })).toBeFocused();

  // Keyboard: the card's Move menu, then Enter on a stage; focus follows the card.
  await page.getByRole("button", { name: "Move Keyboard Kim" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Contacted" })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Won" })).toBeFocused();
  const keyboardSaved = saved();
  await page.keyboard.press("Enter");
  expect((await keyboardSaved).status()).toBe(200);
  await expect(stage("won").getByTestId("pipeline-card")).toContainText("Keyboard Kim");
  await expect(stage("won").getByRole("button", { name: "Move Keyboard Kim" })).toBeFocused();

  // Both moves were saved and audited.
  await page.reload();
  await expect(stage("qualified").getByTestId("pipeline-card")).toContainText("Dragged Dora");
  await expect(stage("won").getByTestId("pipeline-card")).toContainText("Keyboard Kim");
  await expect(stage("lead").getByTestId("pipeline-card")).toHaveCount(0);
  await stage("won").getByRole("link", { name: "Keyboard Kim" }).click();
  await expect(page.getByTestId("client-activity")).toContainText("Status: Lead → Won");
});
