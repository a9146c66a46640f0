import { test, expect, signUp, createClient, createStrategy } from "./fixtures";

const HOSTILE =
  '</textarea></title><form id="pwned"><button>x</button></form>' +
  '<meta http-equiv="refresh" content="0;url=https://evil.example"><b id="pwned-b">';

test("without JavaScript, text a person wrote is shown as text", async ({ page }) => {
  await signUp(page.request, "Nora Nojs");
  const strategyId = await createStrategy(page.request, "Plain persona");
  const name = HOSTILE.slice(0, 190);
  const clientId = await createClient(page.request, { name, strategy_id: String(strategyId), notes: HOSTILE });
  const note = await page.request.post("/api/add_client_note", { form: { id: String(clientId), body: HOSTILE } });
  expect(note.status()).toBe(200);

  for (const path of [`/clients/${clientId}`, `/clients/${clientId}/edit`, "/clients", "/pipeline"]) {
    await page.goto(path);
    await expect(page.locator("#pwned"), path).toHaveCount(0);
    await expect(page.locator("#pwned-b"), path).toHaveCount(0);
    await expect(page.locator('meta[http-equiv="refresh"]'), path).toHaveCount(0);
  }
  await page.goto(`/clients/${clientId}`);
  await expect(page.getByTestId("initial-notes").locator(".note-body")).toHaveText(HOSTILE);
  await expect(page.getByTestId("client-notes").locator(".note-body")).toHaveText(HOSTILE);
  await expect(page).toHaveTitle(`${name} · CRM`);
});
