// The dashboard in a real headless browser (Debian's chromium, driven by playwright-core
// over the DevTools protocol). Run by crates/warden/tests/dashboard.rs:
//
//   node dashboard.mjs CONFIG.json
//
// CONFIG: { base: "http://127.0.0.1:PORT", report: "/abs/report.html",
//           out: "/abs/screenshots", evil_scan: 4, incident: true }
// Environment: WARDEN_TEST_CHROMIUM (the browser), WARDEN_TEST_PLAYWRIGHT (the
// playwright-core package directory).
//
// It visits the pages, follows the links (home → target → scan → diff, and the diff
// form), checks the chart's SVG, records console errors, page errors, failed requests
// and any request outside the dashboard's origin, saves full-page screenshots, and
// prints one JSON summary on stdout. It asserts nothing itself: the Rust test does.

import { readFileSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const require = createRequire(import.meta.url);
const { chromium } = require(process.env.WARDEN_TEST_PLAYWRIGHT);

const summary = {
  pages: [],
  console_errors: [],
  page_errors: [],
  failed_requests: [],
  foreign_requests: [],
  chart: null,
  links: {},
  xss: null,
  not_found: null,
  report: null,
  screenshots: [],
};

mkdirSync(config.out, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "warden-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.WARDEN_TEST_CHROMIUM,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
});

// Where the errors of the current step go: the 404 step expects one (Chrome logs the
// 404 document load), so it collects into its own list.
let sink = summary;
function watch(page, origin) {
  page.on("console", (msg) => {
    if (msg.type() === "error") sink.console_errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => sink.page_errors.push(`${page.url()}: ${err.message}`));
  page.on("requestfailed", (req) =>
    sink.failed_requests.push(`${req.url()}: ${req.failure()?.errorText}`));
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(origin) && !url.startsWith("data:")) sink.foreign_requests.push(url);
  });
}

async function shot(page, name) {
  const path = join(config.out, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  summary.screenshots.push(path);
}

function record(name, response, page) {
  summary.pages.push({ name, url: page.url(), status: response ? response.status() : null });
}

const page = await context.newPage();

// Clicks `selector` and waits for the page it leads to (after any redirect).
async function follow(selector, name) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click(selector),
  ]);
  record(name, response, page);
}
watch(page, config.base);

try {
  // Home.
  let r = await page.goto(`${config.base}/`, { waitUntil: "load" });
  record("home", r, page);
  await shot(page, "01-home");

  // Home → target.
  await follow("#targets a[href^='/target']", "target");
  summary.links.home_to_target = page.url();
  const chart = await page.evaluate(() => {
    const svg = document.querySelector("#chart");
    if (!svg) return null;
    const overall = svg.querySelector("g.line[data-name='overall']");
    const box = svg.getBoundingClientRect();
    return {
      paths: svg.querySelectorAll("path.series").length,
      nonempty_paths: [...svg.querySelectorAll("path.series")].filter((p) => p.getTotalLength() > 0).length,
      points: svg.querySelectorAll("circle.pt").length,
      overall_points: overall ? overall.querySelectorAll("circle.pt").length : 0,
      width: box.width,
      height: box.height,
      script_ready: document.documentElement.getAttribute("data-chart-ready"),
    };
  });
  if (chart) {
    // The same-origin script adds hover values: hover the last overall point.
    await page.hover("#chart g.line[data-name='overall'] circle.pt >> nth=-1");
    chart.readout = await page.textContent("#chart-readout");
  }
  summary.chart = chart;
  await shot(page, "02-target");
  const targetUrl = page.url();

  // Target → scan (the newest in the list).
  await follow("#scans a[href^='/scan/'] >> nth=0", "scan");
  summary.links.target_to_scan = page.url();
  summary.links.scan_heading = await page.textContent("h1");
  summary.links.scan_code_lines = await page.locator("pre.code span.l").count();
  await shot(page, "03-scan");

  // Scan → diff with the previous scan.
  await follow("#diff-prev", "diff");
  summary.links.scan_to_diff = page.url();
  summary.links.diff_new = await page.textContent("#count-new");
  await shot(page, "04-diff");

  // The form: the oldest scan against the newest.
  await page.goto(targetUrl, { waitUntil: "load" });
  const options = await page.$$eval("#diff-form select[name=a] option", (os) => os.map((o) => o.value));
  await page.selectOption("#diff-form select[name=a]", options[options.length - 1]);
  await page.selectOption("#diff-form select[name=b]", options[0]);
  await follow("#diff-form button", "diff-form");
  summary.links.diff_form = page.url();
  summary.links.diff_form_rug_pull = await page.locator(".rug").count();
  await shot(page, "05-diff-form");

  // A scan whose finding message and path carry markup: shown as text, never run.
  if (config.evil_scan) {
    r = await page.goto(`${config.base}/scan/${config.evil_scan}`, { waitUntil: "load" });
    record("evil-scan", r, page);
    summary.xss = await page.evaluate(() => ({
      ran: window.__xss === 1,
      scripts: document.querySelectorAll("script").length,
      message_shown: document.body.innerText.includes("<script>window.__xss=1</script>"),
    }));
    await shot(page, "06-escaped-scan");
  }

  if (config.incident) {
    r = await page.goto(`${config.base}/incident`, { waitUntil: "load" });
    record("incident", r, page);
    summary.links.incident_rows = await page.locator("#journal tbody tr").count();
    await shot(page, "07-incident");
  }

  // An unknown scan: a 404 page that says so (its console line is expected).
  sink = { console_errors: [], page_errors: [], failed_requests: [], foreign_requests: [] };
  r = await page.goto(`${config.base}/scan/999999`, { waitUntil: "load" });
  summary.not_found = {
    status: r ? r.status() : null,
    text: await page.textContent("#error"),
    page_errors: sink.page_errors,
  };
  await shot(page, "08-not-found");
  sink = summary;

  // The report file from disk: no console errors, no request but the file itself.
  const reportPage = await context.newPage();
  const report = { console_errors: [], page_errors: [], failed_requests: [], foreign_requests: [] };
  sink = report;
  const fileUrl = pathToFileURL(config.report).href;
  watch(reportPage, fileUrl);
  await reportPage.goto(fileUrl, { waitUntil: "load" });
  report.title = await reportPage.title();
  report.findings = await reportPage.locator("section.finding").count();
  report.bars = await reportPage.locator("#axis-bars rect.bar").count();
  report.scripts = await reportPage.evaluate(() => document.querySelectorAll("script").length);
  await reportPage.screenshot({ path: join(config.out, "09-report.png"), fullPage: true });
  summary.screenshots.push(join(config.out, "09-report.png"));
  summary.report = report;
  sink = summary;
} catch (err) {
  summary.page_errors.push(`driver: ${err.stack || err}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

console.log(JSON.stringify(summary, null, 2));
