import { readFileSync } from "node:fs";
import { test, expect, openHydrated, signUp, expectRefusal, createStrategy } from "./fixtures";

/** 1,200 good rows (three batches) and two bad ones. */
function leadsFile() {
  const lines = ["Full Name,E-mail,Mobile,Stage"];
  for (let n = 0; n < 1200; n += 1) {
    lines.push(`Lead ${String(n).padStart(4, "0")},lead${n}@import.example,,${n % 2 === 0 ? "won" : "lead"}`);
  }
  lines.push(",nameless@import.example,,");
  lines.push("Bad Mail,not-an-email,,");
  return lines.join("\n") + "\n";
}

test("a CSV import maps columns, shows progress and an error report, and the list exports", async ({ page, problems }) => {
  await signUp(page.request, "Ivo Importer");
  await createStrategy(page.request, "Importer persona");
  await openHydrated(page, "/clients");
  await page.getByRole("link", { name: "Import" }).click();
  await expect(page).toHaveURL("/clients/import");

  // A file that is not text is refused with a clear message, and nothing is stored.
  await page.getByLabel("CSV file").setInputFiles({
    name: "photo.csv",
    mimeType: "text/csv",
    buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]),
  });
  await page.getByRole("button", { name: "Upload and map columns" }).click();
  await expect(page.getByTestId("import-upload-error")).toHaveText(
    'The file is not UTF-8 text (save it as "CSV UTF-8").',
  );

  await page.getByLabel("CSV file").setInputFiles({
    name: "leads.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(leadsFile()),
  });
  await page.getByRole("button", { name: "Upload and map columns" }).click();
  await expect(page).toHaveURL(/\/clients\/imports\/\d+$/);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });

  // The separator is detected; columns are guessed from the header; the preview follows the mapping.
  await expect(page.getByLabel("Columns are separated by")).toHaveValue("comma");
  await expect(page.getByTestId("import-replace-existing")).not.toBeChecked();
  await expect(page.getByLabel("Name (required)")).toHaveValue("0");
  // Exact labels: the per-field "Replace Email" and "Replace Status" boxes contain these words.
  await expect(page.getByLabel("Email", { exact: true })).toHaveValue("1");
  await expect(page.getByLabel("Status", { exact: true })).toHaveValue("3");
  const firstPreview = page.getByTestId("import-preview-row").first();
  await expect(firstPreview).toContainText("lead0@import.example");
  await expect(firstPreview).toContainText("won");
  await page.getByLabel("Status", { exact: true }).selectOption("");
  await expect(firstPreview).not.toContainText("won");
  await page.getByLabel("Status", { exact: true }).selectOption("3");
  await page.getByLabel("Skip the row").check();
  await page.getByRole("button", { name: "Import" }).click();

  // The progress bar, then the summary with the error report.
  await expect(page.getByTestId("import-progress-bar")).toBeVisible();
  await expect(page.getByTestId("import-status")).toHaveText("Import finished.", { timeout: 30_000 });
  await expect(page.getByTestId("import-count")).toHaveText("1,202 of 1,202 rows");
  await expect(page.getByTestId("import-created")).toHaveText("1200");
  await expect(page.getByTestId("import-failed")).toHaveText("2");
  const [report] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("import-errors-link").click(),
  ]);
  const reportText = readFileSync((await report.path())!, "utf8");
  expect(reportText.split("\n")[0]).toBe("Line,Error,Full Name,E-mail,Mobile,Stage");
  expect(reportText).toContain("1202,Name: Enter the client's name.,,nameless@import.example");
  expect(reportText).toContain("Email: Enter an email address like name@example.com.");

  // The list shows the imported clients; the export is what the filter shows.
  await page.getByRole("link", { name: "See the clients" }).click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("clients-total")).toHaveText("1,200 clients");
  await page.getByLabel("Status").first().selectOption("won");
  await expect(page).toHaveURL(/status=won/);
  await expect(page.getByTestId("clients-export")).toHaveAttribute("href", /\/clients\/export\.csv\?status=won/);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("clients-export").click()]);
  expect(download.suggestedFilename()).toMatch(/^clients-\d{4}-\d{2}-\d{2}\.csv$/);
  const exported = readFileSync((await download.path())!, "utf8").replace(/^\uFEFF/, "");
  const rows = exported.trim().split("\n");
  expect(rows[0]).toMatch(
    /^Name,Email,Phone,Company,Position,External id,Status,Strategy,Notes,Created \([\w/]+\),Last activity \([\w/]+\)$/,
  );
  expect(rows).toHaveLength(601);
  expect(rows.slice(1).every((row) => row.includes(",Won,Importer persona,"))).toBe(true);
  // The upload page lists the import with its counts.
  await openHydrated(page, "/clients/import");
  const latest = page.getByTestId("import-history-row").first();
  await expect(latest).toContainText("leads.csv");
  await expect(latest.getByTestId("history-created")).toHaveText("1200");
  await expect(latest.getByTestId("history-failed")).toHaveText("2");
  expectRefusal(problems, 422);
});

test("a semicolon file is read with its separator, the separator can be changed, and a draft discarded", async ({
  page,
  problems,
}) => {
  await signUp(page.request, "Sara Semicolon");
  await createStrategy(page.request, "Semicolon persona");
  await openHydrated(page, "/clients/import");
  await page.getByLabel("CSV file").setInputFiles({
    name: "europe.csv",
    mimeType: "text/csv",
    buffer: Buffer.from('Name;Email;Notes\nAna;ana@europe.example;"1,5 kg"\n'),
  });
  await page.getByRole("button", { name: "Upload and map columns" }).click();
  await expect(page).toHaveURL(/\/clients\/imports\/\d+$/);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(page.getByLabel("Columns are separated by")).toHaveValue("semicolon");
  await expect(page.getByTestId("import-preview-row").first()).toContainText("ana@europe.example");

  // Read with commas, no row has a name column: the page says so and Import is disabled.
  await page.getByLabel("Columns are separated by").selectOption("comma");
  await page.getByRole("button", { name: "Read the file again" }).click();
  await expect(page.getByTestId("import-nothing")).toBeVisible();
  await expect(page.getByRole("button", { name: "Import", exact: true })).toBeDisabled();
  await page.getByLabel("Columns are separated by").selectOption("semicolon");
  await page.getByRole("button", { name: "Read the file again" }).click();
  await expect(page.getByTestId("import-nothing")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Import", exact: true })).toBeEnabled();

  // Discarding the draft goes back to the upload page; the draft is gone.
  const draftUrl = page.url();
  await page.getByRole("button", { name: "Discard" }).click();
  await expect(page).toHaveURL("/clients/import");
  const gone = await page.goto(draftUrl);
  expect(gone?.status()).toBe(404);
  await expect(page.getByTestId("error-page")).toBeVisible();
  // Chromium reports the page's own 404 on the console: expected.
  expectRefusal(problems, 404);
});
