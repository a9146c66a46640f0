import { test, expect, openHydrated, signUp, createClient } from "./fixtures";
import type { Page } from "@playwright/test";

// Markup that would act if any of it reached a page unescaped: it closes every raw-text element,
// then adds a form, a refresh to another site and an element to look for.
const HOSTILE =
  '</textarea></title></script></style><form id="pwned"><button>x</button></form>' +
  '<meta http-equiv="refresh" content="0;url=https://evil.example"><b id="pwned-b">&amp;';

async function strategyWithHostileText(page: Page) {
  const response = await page.request.post("/api/create_strategy", {
    form: {
      name: "Hostile persona",
      tone: "warm",
      creativity: "5",
      reply_delay_min: "0",
      reply_delay_max: "0",
      ai_instructions: HOSTILE,
      objective: HOSTILE,
      objection_handling: HOSTILE,
      qualification_priority: HOSTILE,
      disqualification_criteria: HOSTILE,
      example_conversation: `Lead: ${HOSTILE}\nAI: ${HOSTILE}`,
    },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).id as number;
}

async function expectInert(page: Page, where: string) {
  await expect(page.locator("#pwned"), where).toHaveCount(0);
  await expect(page.locator("#pwned-b"), where).toHaveCount(0);
  await expect(page.locator('meta[http-equiv="refresh"]'), where).toHaveCount(0);
  expect(new URL(page.url()).host, where).not.toContain("evil.example");
}

test("text a person wrote shows as text in every page and field, never as markup", async ({ page }) => {
  await signUp(page.request, "Hana Hostile");
  const strategyId = await strategyWithHostileText(page);
  const name = HOSTILE.slice(0, 190);
  const clientId = await createClient(page.request, {
    name,
    strategy_id: String(strategyId),
    company: HOSTILE.slice(0, 190),
    position: HOSTILE.slice(0, 190),
    notes: HOSTILE,
  });
  const note = await page.request.post("/api/add_client_note", { form: { id: String(clientId), body: HOSTILE } });
  expect(note.status()).toBe(200);

  // Loaded cold (the server's HTML, then hydration): the title, the notes, every field.
  await openHydrated(page, `/clients/${clientId}`);
  await expectInert(page, "client page");
  await expect(page).toHaveTitle(`${name} · CRM`);
  await expect(page.getByTestId("initial-notes").locator(".note-body")).toHaveText(HOSTILE);
  await expect(page.getByTestId("client-notes").locator(".note-body")).toHaveText(HOSTILE);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("</textarea>");

  await openHydrated(page, `/clients/${clientId}/edit`);
  await expectInert(page, "client form");
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await expect(page.getByLabel("Company")).toHaveValue(HOSTILE.slice(0, 190));

  await openHydrated(page, `/strategies/${strategyId}`);
  await expectInert(page, "strategy editor");
  await expect(page.getByLabel("Instructions", { exact: true })).toHaveValue(HOSTILE);

  await openHydrated(page, "/clients");
  await expectInert(page, "clients list");
  await expect(page.getByTestId("client-row").first()).toContainText("</textarea>");
  await openHydrated(page, "/pipeline");
  await expectInert(page, "pipeline");

  // Reached by the client-side router (rendered in the browser, not by the server).
  await page.getByTestId("pipeline-card").first().getByRole("link").first().click();
  await expect(page).toHaveURL(new RegExp(`/clients/${clientId}$`));
  await expect(page.getByTestId("client-notes").locator(".note-body")).toHaveText(HOSTILE);
  await expect(page).toHaveTitle(`${name} · CRM`);
  await expectInert(page, "client page after navigation");
});
