// The auditor's web view in a real browser (issue 17): Debian's Chromium,
// headless, driven by puppeteer-core, against a gateway that
// tests/integration/browser.sh started.  The auditor's certificate reaches
// Chromium from an NSS database made for the test (its HOME), chosen by
// the profile's auto_select_certificate setting (what the
// AutoSelectCertificateForUrls policy sets): real TLS client
// authentication, nothing bypassed.  Prints TAP lines numbered from
// KP_TAP_FROM; the shell adds them to its plan.
//
// Each page: its HTTP status, axe-core finds no WCAG 2.1 A/AA violation,
// every link, field and button is reached with Tab alone and shows its
// focus, a screenshot under KP_SHOTS.  Then what an auditor does: the
// overview's count, a search by BSN typed and sent by keyboard (the BSN in
// no URL the browser visited and no response header), the rows the same
// as audit query's, a message and its signature verified again, the
// inzage the same as audit inzage's (which then lists the view), a
// verification clean and then, after the test changed the log, red with
// the first bad entry linked; an auditor not listed is refused.

import { execFileSync } from "node:child_process";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const env = process.env;
const url = env.KP_URL;
const bsn = env.KP_BSN;
const shots = env.KP_SHOTS;
mkdirSync(shots, { recursive: true });

let n = Number(env.KP_TAP_FROM || 0);
let failed = 0;
function ok(pass, what, diag) {
  n++;
  console.log(`${pass ? "" : "not "}ok ${n} - ${what}`);
  if (!pass) {
    failed++;
    if (diag !== undefined) console.log(`#   ${String(diag).replace(/\n/g, "\n#   ")}`);
  }
}
function eq(got, want, what) {
  ok(JSON.stringify(got) === JSON.stringify(want), what,
    `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}
function cli(...args) {
  return execFileSync(env.KP, args, { encoding: "utf8" });
}

const visited = [];	// every URL the browser asked for
const headers = [];	// every response header, "name: value"

async function browserFor(home, profile) {
  return puppeteer.launch({
    executablePath: env.KP_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    userDataDir: profile,
    env: { ...process.env, HOME: home },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
}

async function watch(page) {
  page.on("request", (r) => visited.push(r.url()));
  page.on("response", (r) => {
    for (const [k, v] of Object.entries(r.headers())) headers.push(`${k}: ${v}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") console.log(`# console (${page.url()}): ${m.text()}`);
  });
}

// axe-core's WCAG 2.1 A and AA rules on the page as it is now
async function axe(page, name) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
  }));
  ok(r.violations.length === 0, `${name}: axe-core finds no WCAG 2.1 AA violation`,
    r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((x) => x.target).join(" ")})`).join("\n"));
}

// Tab through the page: every focusable element reached, each showing its focus
async function keyboard(page, name) {
  const total = await page.evaluate(() => {
    const els = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select")];
    els.forEach((e, i) => e.setAttribute("data-kp-tab", String(i)));
    document.activeElement && document.activeElement.blur();
    return els.length;
  });
  const reached = new Set();
  let unseen = 0;
  for (let i = 0; i < 2 * total + 5; i++) {
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || !e.hasAttribute("data-kp-tab")) return null;
      const s = getComputedStyle(e);
      const shown = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) ||
        e.classList.contains("skip");
      return { i: e.getAttribute("data-kp-tab"), shown };
    });
    if (f === null) continue;
    reached.add(f.i);
    if (!f.shown) unseen++;
  }
  ok(reached.size === total && unseen === 0,
    `${name}: Tab alone reaches all ${total} links, fields and buttons, each showing its focus`,
    `reached ${reached.size} of ${total}; ${unseen} without a visible focus`);
}

async function visit(page, path, name, status = 200) {
  const r = await page.goto(url + path, { waitUntil: "networkidle0" });
  eq(r.status(), status, `${name}: HTTP ${status}`);
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  return r;
}

async function check(page, name) {
  await axe(page, name);
  await keyboard(page, name);
}

const text = (page) => page.evaluate(() => document.body.innerText);

const browser = await browserFor(env.KP_HOME, env.KP_PROFILE);
try {
  const page = await browser.newPage();
  await watch(page);

  // the overview
  await visit(page, "/", "overzicht");
  await check(page, "overzicht");
  const entries = cli("audit", "query", "-c", env.KP_CONF, "--format", "csv").trim().split("\n").length - 1;
  ok((await text(page)).includes(`Het auditlog telt ${entries} regels`),
    `overzicht: the count of entries is the log's (${entries})`);
  ok(await page.$eval("svg[role=img] title", (t) => t.textContent.startsWith("Berichten van")),
    "overzicht: the chart is an SVG with its title");

  // the search, by keyboard: Tab to the BSN field, type, Enter
  await visit(page, "/zoeken", "zoeken");
  await check(page, "zoeken");
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let tabs = 0;
  while (tabs++ < 20) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement.id === "bsn")) break;
  }
  ok(tabs < 20, "zoeken: the BSN field is reached by Tab");
  await page.keyboard.type(bsn);
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.keyboard.press("Enter")]);
  ok(/\/zoeken\/[0-9a-f]{32}$/.test(page.url()), "zoeken: Enter sends it; the result's address is the search's token", page.url());
  await page.screenshot({ path: `${shots}/zoekresultaten.png`, fullPage: true });
  await check(page, "zoekresultaten");
  const seqs = await page.$$eval("tbody tr td:first-child a", (as) => as.map((a) => Number(a.textContent)).sort((a, b) => a - b));
  const want = cli("audit", "query", "-c", env.KP_CONF, "--bsn", bsn, "--format", "csv").trim().split("\n").slice(1)
    .map((l) => Number(l.split(",")[0].replace(/"/g, ""))).sort((a, b) => a - b);
  eq(seqs, want, `zoekresultaten: exactly audit query --bsn's ${want.length} entries`);

  // a message: a disclosure delivered on a basis (audit query names it),
  // followed from its row in the results
  const disclosed = cli("audit", "query", "-c", env.KP_CONF, "--bsn", bsn, "--outcome", "delivered",
    "--format", "jsonl").trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.basis);
  const msg = disclosed && await page.$$eval("tbody tr td:last-child a", (as, id) => {
    const a = as.find((x) => decodeURIComponent(x.getAttribute("href")) === "/bericht/" + id);
    return a ? a.getAttribute("href") : null;
  }, disclosed.messageid);
  ok(Boolean(msg), "zoekresultaten: a disclosure on a basis among them, linked to its message", JSON.stringify(disclosed));
  await visit(page, msg || "/", "bericht");
  await check(page, "bericht");
  ok(/Dit mag volgens de wet \(.+\)\.|U heeft hiervoor toestemming gegeven \(toestemming .+\)\./.test(await text(page)) &&
    (await page.$$eval("td code", (cs) => cs.some((c) => /^(wet|toestemming): /.test(c.textContent)))),
    "bericht: the disclosure decision, its basis in words next to its code");
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
    page.click("a[href$='?controleer=1']")]);
  await page.screenshot({ path: `${shots}/bericht-gecontroleerd.png`, fullPage: true });
  ok((await text(page)).includes("De handtekening klopt:"), "bericht: its signature verified again on request holds");

  // the citizen's inzage, from the results page
  await page.goBack({ waitUntil: "networkidle0" });
  await page.goBack({ waitUntil: "networkidle0" });
  const inzage = await page.$eval("a[href^='/inzage/']", (a) => a.getAttribute("href"));
  await visit(page, inzage, "inzage");
  await check(page, "inzage");
  const rows = await page.$$eval("main table tbody tr", (trs) => trs.length);
  const cliRows = JSON.parse(cli("audit", "inzage", "-c", env.KP_CONF, "--bsn", bsn, "--format", "json")).regels;
  eq(rows, cliRows.length, `inzage: the rows of audit inzage (${cliRows.length})`);
  ok(cliRows.filter((r) => r.wat_code === "viewed" && r.toelichting.includes(env.KP_AUDITOR)).length >= 3,
    "inzage: audit inzage lists the auditor's views (the search, the message, the report)");
  ok((await text(page)).includes("een controleur heeft bekeken"), "inzage: and the page says so in words");

  // verification: clean, then after a change to the log, red and linked
  await visit(page, "/controle", "controle");
  await check(page, "controle");
  async function verify(name) {
    await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }),
      page.click("form[action='/controle'] button")]);
    await page.screenshot({ path: `${shots}/${name}-bezig.png`, fullPage: true });
    await page.waitForFunction(() => {
      const v = document.getElementById("voortgang");
      return v && v.getAttribute("data-running") === "0";
    }, { timeout: 30000 });
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  }
  await verify("controle-klaar");
  ok((await text(page)).includes("in orde"), "controle: the chain verified from the page: in orde");
  execFileSync("sqlite3", [env.KP_STORE, `UPDATE audit SET detail = 'veranderd' WHERE seq = ${env.KP_TAMPER}`]);
  await verify("controle-fout");
  await check(page, "controle-fout");
  const bad = await page.$eval("span.bad a", (a) => ({ href: a.getAttribute("href"), colour: getComputedStyle(a.parentElement).color }));
  eq(bad.href, `/regel/${env.KP_TAMPER}`, "controle: after the change, the first bad entry is named and linked");
  eq(bad.colour, "rgb(176, 0, 32)", "controle: in red");
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click("span.bad a")]);
  await page.screenshot({ path: `${shots}/regel.png`, fullPage: true });
  await check(page, "regel");
  ok((await text(page)).includes("veranderd"), "regel: the entry as it is now");
} finally {
  await browser.close();
}

// an auditor whose certificate the gateway does not list
const other = await browserFor(env.KP_HOME2, env.KP_PROFILE2);
try {
  const page = await other.newPage();
  await watch(page);
  const r = await page.goto(url + "/", { waitUntil: "networkidle0" });
  await page.screenshot({ path: `${shots}/geweigerd.png`, fullPage: true });
  eq(r.status(), 403, "an auditor not listed: 403");
  ok((await text(page)).includes("staat niet op de lijst van auditors"), "  the page says why");
  ok(!(await text(page)).includes("regels"), "  and shows nothing of the log");
  await axe(page, "geweigerd");
} finally {
  await other.close();
}

ok(visited.length > 10 && !visited.some((u) => u.includes(bsn)),
  `the BSN is in none of the ${visited.length} addresses the browser visited`);
ok(!headers.some((h) => h.includes(bsn)), `nor in any of the ${headers.length} response headers`);
console.log(`# browser checks: ${n - Number(env.KP_TAP_FROM || 0)}`);
process.exit(failed > 0 ? 1 : 0);
