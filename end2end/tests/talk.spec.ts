import { test, expect, openHydrated, uniqueEmail } from "./fixtures";
import { bookingOwner, ownerPage } from "./booking-helpers";

// The public chat with JavaScript: a lead (not signed in) and the owner talk to each other live,
// each in their own browser context; a private note never reaches the lead.
test("a lead and the owner talk live, and a private note stays with the team", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);
  const talkPath = owner.pagePath.replace("/book/", "/talk/");
  const leadName = `Lena Lead ${Date.now() % 100000}`;

  await openHydrated(page, talkPath);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Chat with Olga Owner/);
  await page.getByLabel("Your name").fill(leadName);
  await page.getByLabel("Email").fill(uniqueEmail("lena"));
  await page.getByLabel("Your message").fill("Hi! Do you build <b>websites</b>?");
  await page.getByRole("button", { name: "Start the conversation" }).click();
  const seen = page.getByTestId("talk-message");
  await expect(seen).toHaveCount(1);
  await expect(seen.first().locator(".message-body")).toHaveText("Hi! Do you build <b>websites</b>?");
  await expect(seen.first()).toContainText("You");

  const agent = await ownerPage(browser, owner.email);
  const agentProblems: string[] = [];
  agent.on("console", (message) => {
    if (message.type() === "error" || /hydrat/i.test(message.text())) agentProblems.push(message.text());
  });
  await openHydrated(agent, "/chat?show=waiting");
  const item = agent.getByTestId("inbox-item").filter({ hasText: leadName });
  await expect(item).toContainText("Waiting");
  await expect(item.getByTestId("unread-count")).toHaveText("1");
  await item.getByRole("link").click();
  const thread = agent.getByTestId("thread-message");
  await expect(thread).toHaveCount(1);

  await agent.getByRole("textbox", { name: "Message" }).fill("Hello, we do! What do you have in mind?");
  await agent.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(2);
  await expect(seen.nth(1)).toContainText("Olga Owner");
  await expect(seen.nth(1).locator(".message-body")).toHaveText("Hello, we do! What do you have in mind?");

  await agent.getByTestId("private-note").check();
  await agent.getByRole("textbox", { name: "Message" }).fill("Sounds like a serious buyer");
  await agent.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(thread).toHaveCount(3);

  // The owner is typing when the lead writes: the lead's message is added in place, the state
  // turns to waiting, and the draft, the focus and the messages already shown stay (the thread
  // used to be drawn again on every event, which threw the draft away).
  const agentComposer = agent.getByRole("textbox", { name: "Message" });
  await agentComposer.fill("Half-written answer");
  await agentComposer.focus();
  await expect(agent.getByTestId("conversation-state")).toHaveText("Open");
  const firstShown = await thread.first().elementHandle();
  await page.getByRole("textbox", { name: "Message" }).fill("A shop,\nwith about 200 products.");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(3);
  await expect(page.getByRole("textbox", { name: "Message" })).toHaveValue("");
  await expect(thread).toHaveCount(4);
  await expect(thread.nth(3).locator(".message-body")).toHaveText("A shop,\nwith about 200 products.");
  await expect(agent.getByTestId("conversation-state")).toHaveText("Waiting for a reply");
  await expect(agentComposer).toHaveValue("Half-written answer");
  await expect(agentComposer).toBeFocused();
  expect(await firstShown!.evaluate((node) => node.isConnected)).toBe(true);

  await page.reload();
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(seen).toHaveCount(3);
  await expect(page.getByText("Sounds like a serious buyer")).toHaveCount(0);
  await agent.context().close();
  expect(agentProblems).toEqual([]);
});
