// End-to-end test of credo's Dashboard in real headless Chromium, against a
// credo serve started by dashboard_e2e_test.go (which sets the CREDO_* env).
// It walks the seed documents' steps as a person would, checks every page
// with axe-core (no serious or critical violation) and saves a screenshot of
// each page in CREDO_ARTIFACTS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run this through go test ./internal/dashboard -run E2E)`);
  return v;
};
const base = env("CREDO_ISSUER").replace(/\/$/, "");
const adminID = env("CREDO_ADMIN_CLIENT_ID");
const adminSecret = env("CREDO_ADMIN_CLIENT_SECRET");
const readOnlyLink = env("CREDO_READONLY_LINK");
const artifacts = env("CREDO_ARTIFACTS");
mkdirSync(artifacts, { recursive: true });

let context, page, profile;
const cspErrors = [];

before(async () => {
  profile = mkdtempSync(join(tmpdir(), "credo-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CREDO_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
      "--no-first-run", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 860 },
  });
  page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(30000); // generous: CI runs this beside other test packages on 2 cores
  page.on("console", (m) => { if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text()); });
  page.on("pageerror", (e) => cspErrors.push("page error: " + e.message));
  page.on("dialog", (d) => d.accept()); // the confirmations of destructive forms
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

// check runs axe-core on the page and saves a screenshot.
async function check(name) {
  const res = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const bad = res.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [],
    `axe-core on ${name}`);
  await page.screenshot({ path: join(artifacts, name + ".png"), fullPage: true });
  assert.deepEqual(cspErrors, [], `no CSP violation or script error on ${name}`);
}

// step is one test; after a failed step the rest are skipped (each builds
// on the one before), and the failing page is saved as a screenshot.
let broken = false;
function step(name, fn) {
  test(name, async (t) => {
    if (broken) { t.skip("an earlier step failed"); return; }
    try {
      await fn();
    } catch (e) {
      broken = true;
      await page.screenshot({ path: join(artifacts, "FAILED.png"), fullPage: true }).catch(() => {});
      throw e;
    }
  });
}

// firstPaint is the page's first contentful paint in ms (or, where the
// browser reports none, when its DOM was ready).
async function firstPaint() {
  return page.evaluate(() => new Promise((resolve) => {
    const nav = () => performance.getEntriesByType("navigation")[0]?.domContentLoadedEventEnd;
    try {
      new PerformanceObserver((l) => {
        const e = l.getEntries().find((p) => p.name === "first-contentful-paint");
        if (e) resolve(e.startTime);
      }).observe({ type: "paint", buffered: true });
    } catch (e) { resolve(nav()); }
    setTimeout(() => resolve(nav()), 2000);
  }));
}

// submit runs action (a click or key that sends a form) and waits for the
// page it leads to.
async function submit(action) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), action()]);
}

async function flash() {
  return (await page.locator(".flash").allInnerTexts()).join("\n");
}

let apiPath, clientID, secret;

step("sign in with admin client credentials", async () => {
  const t0 = Date.now();
  await page.goto(base + "/dashboard/");
  assert.match(page.url(), /\/dashboard\/login$/);
  const fp = await firstPaint();
  console.log(`sign-in page: first paint ${Math.round(fp)} ms, loaded in ${Date.now() - t0} ms`);
  assert.ok(fp > 0 && fp < 1000, `first paint under 1 s on loopback (${fp} ms)`);
  await check("01-sign-in");
  // Keyboard only: the Client ID field has focus; Tab moves to the secret.
  await page.keyboard.type(adminID);
  await page.keyboard.press("Tab");
  await page.keyboard.type("wrong");
  await submit(() => page.keyboard.press("Enter"));
  await page.waitForURL(/\/dashboard\/login$/);
  assert.match(await flash(), /Wrong Client ID or Client Secret/);
  await page.getByLabel("Client Secret").fill(adminSecret);
  await submit(() => page.getByRole("button", { name: "Continue" }).click());
  await page.waitForURL(base + "/dashboard/");
  await page.getByRole("heading", { name: "Activity" }).waitFor();
});

step("create an API with two permissions", async () => {
  await page.getByRole("link", { name: "APIs" }).click();
  await page.getByLabel("Name").fill("Reports");
  await page.getByLabel("Identifier").fill("https://reports.example.com");
  await page.getByLabel("Signing Algorithm").selectOption("ES256");
  await page.getByLabel("Token Expiration (seconds)").fill("3600");
  await check("02-apis");
  await submit(() => page.getByRole("button", { name: "Create" }).click());
  await page.waitForURL(/\/dashboard\/apis\/[^/]+\/settings$/);
  assert.match(await flash(), /API Reports created/);
  apiPath = new URL(page.url()).pathname.replace(/\/settings$/, "");
  await check("03-api-settings");
  await page.getByRole("link", { name: "Permissions" }).click();
  for (const [v, d] of [["read:reports", "Read reports"], ["write:reports", "Write reports"]]) {
    await page.getByLabel("Permission", { exact: true }).fill(v);
    await page.getByLabel("Description").fill(d);
    await submit(() => page.getByRole("button", { name: "+ Add" }).click());
    await page.waitForURL(/\/permissions$/);
    assert.match(await flash(), new RegExp(`Permission ${v} added`));
  }
  await check("04-api-permissions");
});

step("create a Machine to Machine application; the secret is shown once", async () => {
  await page.getByRole("link", { name: "Applications", exact: true }).click();
  await page.getByLabel("Name").fill("Report Builder");
  await submit(() => page.getByRole("button", { name: "Create" }).click());
  await page.waitForURL(/\/dashboard\/applications\/[^/]+\/settings$/);
  secret = await page.locator("#new-secret").inputValue();
  clientID = await page.locator("#a-id").inputValue();
  assert.ok(secret.length >= 32 && clientID.length >= 16);
  await check("05-application-created");
  await page.reload();
  assert.equal(await page.locator("#new-secret").count(), 0, "the secret is not shown again");
});

step("authorize it with two scopes in the Machine to Machine Applications tab", async () => {
  await page.goto(base + apiPath + "/m2m");
  const row = page.locator(`form[data-m2m]:has(input[name=client_id][value="${clientID}"])`);
  await row.getByLabel("Authorized").check();
  await row.getByLabel("read:reports").check();
  await row.getByLabel("write:reports").check();
  await submit(() => row.getByRole("button", { name: "Update" }).click());
  await page.waitForURL(/\/m2m$/);
  assert.match(await flash(), /Application authorized/);
  const again = page.locator(`form[data-m2m]:has(input[name=client_id][value="${clientID}"])`);
  assert.ok(await again.getByLabel("read:reports").isChecked());
  assert.ok(await again.getByLabel("write:reports").isChecked());
  await check("06-api-m2m");
});

step("Test tab: the request in ten languages, run, decoded claims", async () => {
  await page.goto(base + apiPath + "/test?client_id=" + encodeURIComponent(clientID));
  const tabs = page.getByRole("tab");
  assert.deepEqual(await tabs.allInnerTexts(), ["cURL", "C#", "Go", "Java", "Node.JS", "Obj-C", "PHP", "Python", "Ruby", "Swift"]);
  await tabs.first().click();
  assert.match(await page.locator("#src-curl").innerText(), new RegExp(`client_id=${clientID}`));
  // Arrow keys move between the language tabs.
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getByRole("tab", { name: "C#" }).getAttribute("aria-selected"), "true");
  assert.ok(await page.locator("#code-csharp").isVisible());
  assert.ok(!(await page.locator("#code-curl").isVisible()));
  await page.getByRole("tab", { name: "Python" }).click();
  assert.match(await page.locator("#src-python").innerText(), /HTTPConnection\("127\.0\.0\.1:\d+"\)/);
  await page.getByRole("tab", { name: "cURL" }).click();
  // A wrong secret shows the token endpoint's refusal.
  await page.getByLabel(/Client Secret of/).fill("not-the-secret");
  await submit(() => page.getByRole("button", { name: "Get token" }).click());
  assert.match(await page.locator(".result").innerText(), /HTTP 401[\s\S]*invalid_client/);
  await page.getByLabel(/Client Secret of/).fill(secret);
  await submit(() => page.getByRole("button", { name: "Get token" }).click());
  await page.locator("#t-claims").waitFor();
  const claims = JSON.parse(await page.locator("#t-claims").innerText());
  assert.equal(claims.scope, "read:reports write:reports");
  assert.equal(claims.aud, "https://reports.example.com");
  assert.equal(claims.iss, base + "/");
  assert.equal(claims.sub, clientID + "@clients");
  assert.equal(JSON.parse(await page.locator("#t-header").innerText()).alg, "ES256");
  await check("07-api-test");
});

step("rotate the secret with a grace period", async () => {
  await page.goto(base + "/dashboard/applications/" + clientID + "/credentials");
  await page.getByLabel("Keep the previous secret valid for").selectOption("3600");
  await submit(() => page.getByRole("button", { name: "Rotate secret" }).click());
  await page.waitForURL(/\/credentials$/);
  assert.match(await flash(), /previous secret keeps working until/);
  const next = await page.locator("#new-secret").inputValue();
  assert.ok(next && next !== secret);
  await check("08-application-credentials");
});

step("rotate the signing keys", async () => {
  await page.getByRole("link", { name: "Signing Keys" }).click();
  await submit(() => page.getByRole("button", { name: "Rotate Keys" }).click());
  await page.waitForURL(/\/dashboard\/keys$/);
  assert.match(await flash(), /Keys rotated/);
  assert.ok((await page.getByText("Previously used").count()) > 0);
  await check("09-signing-keys");
});

step("find the exchange in Logs", async () => {
  await page.getByRole("link", { name: "Logs" }).click();
  await page.getByLabel("Type").selectOption("seccft");
  await page.getByLabel("Application").selectOption(clientID);
  await submit(() => page.getByRole("button", { name: "Filter" }).click());
  await page.waitForURL(/type=seccft/);
  const row = page.getByRole("row").filter({ hasText: "Client Credentials for Access Token" });
  assert.ok((await row.count()) >= 1);
  await check("10-logs");
  await row.first().getByRole("link").click();
  await page.getByRole("heading", { name: "Client Credentials for Access Token" }).waitFor();
  assert.match(await page.locator("#raw").innerText(), /https:\/\/reports\.example\.com/);
  await check("11-log-detail");
});

step("Actions, Settings and Activity pages", async () => {
  await page.getByRole("link", { name: "Flows & Library" }).click();
  await page.getByLabel("Name").fill("Add a claim");
  await submit(() => page.getByRole("button", { name: "Create" }).click());
  await page.waitForURL(/\/dashboard\/actions\/[^/]+$/);
  await page.getByLabel("Code").fill("exports.onExecuteCredentialsExchange = async (event, api) => {\n  api.accessToken.setCustomClaim('https://example.com/tier', 'gold');\n};\n");
  await submit(() => page.getByRole("button", { name: "Deploy" }).click());
  assert.match(await flash(), /Saved and deployed/);
  await submit(() => page.getByRole("button", { name: "Run" }).click());
  assert.match(await page.locator("#test-result").innerText(), /"https:\/\/example\.com\/tier": "gold"/);
  await check("12-action");
  await page.getByRole("link", { name: "Flows & Library" }).click();
  await check("13-actions");
  await page.getByRole("link", { name: "Settings" }).click();
  await check("14-settings");
  await page.getByRole("link", { name: "Organizations", exact: true }).click();
  await page.getByLabel("Name", { exact: true }).fill("acme");
  await page.getByLabel("Display Name").fill("Acme Corp");
  await submit(() => page.getByRole("button", { name: "Create" }).click());
  assert.match(await flash(), /Organization acme created/);
  await page.getByRole("link", { name: "Machine to Machine Access" }).click();
  await check("14b-organization-m2m");
  await page.getByRole("link", { name: "Activity" }).click();
  assert.ok(Number(await page.locator("#total-tokens").innerText()) >= 1);
  assert.ok(Number(await page.locator("#total-denials").innerText()) >= 1);
  assert.match(await page.locator("main").innerText(), /invalid_client: 1/);
  assert.ok((await page.locator("svg.chart").count()) >= 1);
  await check("15-activity");
  // Narrow screens: the navigation wraps above the content.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + apiPath + "/m2m");
  await check("16-mobile-m2m");
  await page.setViewportSize({ width: 1280, height: 860 });
});

step("sign out", async () => {
  await submit(() => page.getByRole("button", { name: "Sign out" }).click());
  await page.waitForURL(/\/dashboard\/login/);
  await page.goto(base + "/dashboard/apis");
  assert.match(page.url(), /\/dashboard\/login\?next=/);
});

step("a read-only admin (login link) sees read-only pages", async () => {
  await page.goto(readOnlyLink);
  await check("17-login-link");
  await submit(() => page.getByRole("button", { name: "Sign in" }).click());
  await page.waitForURL(base + "/dashboard/");
  assert.ok(await page.getByText("read-only", { exact: true }).isVisible());
  await page.getByRole("link", { name: "APIs" }).click();
  assert.equal(await page.getByRole("button", { name: "Create" }).count(), 0);
  assert.match(await page.locator(".readonly-note").innerText(), /create:resource_servers/);
  await page.goto(base + apiPath + "/m2m");
  assert.ok(await page.getByRole("button", { name: "Update" }).first().isDisabled());
  await page.getByRole("link", { name: "Signing Keys" }).click();
  assert.equal(await page.getByRole("button", { name: "Rotate Keys" }).count(), 0);
  await check("18-read-only-keys");
  // The link worked once.
  await submit(() => page.getByRole("button", { name: "Sign out" }).click());
  await page.goto(readOnlyLink);
  await submit(() => page.getByRole("button", { name: "Sign in" }).click());
  assert.match(await flash(), /expired or was already used/);
});
