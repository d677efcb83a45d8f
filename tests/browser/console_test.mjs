// The web console (`daapctl console`) driven in headless Chromium through playwright-core, against
// a fresh database seeded with SQL and `daapctl enqueue`: every page's numbers against SQL
// counts, the actions (retry, pause, limit, a bulk retry through its confirmation) checked in
// the database, escaping, the security headers, CSRF, the token login. One browser launch.
//
// Run by meson (suite browser, under scripts/with-postgres): node console_test.mjs DAAPCTL.
// Needs DATABASE_URL (a server where it may create a database), DAAP_BUILD_ROOT (the driver
// that scripts/setup installs in browser-driver/, and screenshots/ for each page), Chromium at
// $CHROMIUM or /usr/bin/chromium. Speaks TAP: each check is one test case in meson's JUnit log.
// Anything missing fails loudly ("Bail out!"); nothing is ever skipped.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const XSS = `<script>alert(1)</script>"'<img src=x onerror=alert(2)>`;
const TOKEN = 'browser-test-token-' + crypto.randomBytes(8).toString('hex');
const PAGES = { overview: '/', jobs: '/jobs', databases: '/databases', periodic: '/periodic' };

// ---- TAP ---------------------------------------------------------------------------------------

const checks = [];
function check(name, fn) { checks.push({ name, fn }); }

function bailOut(why) {
  console.log(`Bail out! ${String(why).split('\n')[0]}`);
  console.error(String(why));
  process.exit(1);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

// ---- environment -------------------------------------------------------------------------------

function required(name, what) {
  const value = process.env[name];
  if (!value) bailOut(`${name} is not set: ${what}`);
  return value;
}

const databaseUrl = required('DATABASE_URL',
  'the browser test needs a real PostgreSQL (run scripts/test, which starts one)');
const buildRoot = required('DAAP_BUILD_ROOT', 'run the test through meson (scripts/test)');
const daapctl = process.argv[2] && path.resolve(process.argv[2]);
if (!daapctl || !fs.existsSync(daapctl)) bailOut(`usage: console_test.mjs DAAPCTL (got ${process.argv[2]})`);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
try {
  fs.accessSync(chromiumPath, fs.constants.X_OK);
} catch {
  bailOut(`Chromium not found at ${chromiumPath}: install the Debian package chromium ` +
    '(scripts/setup does), or set CHROMIUM');
}
const driverDir = path.join(buildRoot, 'browser-driver');
let chromium;
try {
  ({ chromium } = createRequire(path.join(driverDir, 'package.json'))('playwright-core'));
} catch (e) {
  bailOut(`playwright-core not found in ${driverDir}/node_modules (${e.message.split('\n')[0]}): ` +
    'run scripts/setup, which installs it with npm ci from tests/browser/package-lock.json');
}
const screenshots = path.join(buildRoot, 'screenshots');
fs.mkdirSync(screenshots, { recursive: true });

// ---- database ----------------------------------------------------------------------------------

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

const dbName = 'daap_browser_' + crypto.randomBytes(6).toString('hex');
const dbUrl = withDatabase(databaseUrl, dbName);

function psql(url, sql) {
  return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
const sql = (query) => psql(dbUrl, query);
const sqlJson = (query) => JSON.parse(sql(`SELECT coalesce(json_agg(x), '[]') FROM (${query}) AS x`));

function ctl(...args) {
  return execFileSync(daapctl, args, {
    encoding: 'utf8', env: { ...process.env, DATABASE_URL: dbUrl }, stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

// A literal for SQL: dollar-quoted with a tag the text cannot contain.
function lit(text) {
  const tag = '$q' + crypto.randomBytes(4).toString('hex') + '$';
  return tag + text + tag;
}

// What an admin sees on a quiet afternoon: three queues (one paused, one limited), jobs in
// every state, failures with their error history, a worker that leads maintenance, database
// records (one in error), a periodic job; and one job whose kind, payload and error are hostile.
function seed() {
  ctl('enqueue', 'noop', '{}');
  ctl('enqueue', 'report.render', '{"report": "daily-usage"}');
  ctl('enqueue', 'report.render', '{"report": "weekly"}', '--run-at', '+1h');
  ctl('enqueue', 'mail.send', '{"to": "ops@example.com"}', '--queue', 'mail');
  ctl('enqueue', 'database.create', '{"name": "orders", "owner_team": "shop"}', '--queue', 'provisioning');
  ctl('periodic', 'add', 'nightly-report', '--schedule', '30 2 * * *', '--kind', 'report.render',
    '--payload', '{"report": "nightly"}');
  const history = (n, text) => JSON.stringify(Array.from({ length: n }, (_, i) => (
    { attempt: i + 1, overall_attempt: i + 1, at: new Date(Date.now() - (n - i) * 60000).toISOString(), error: `${text} (attempt ${i + 1})` })));
  sql(`
    INSERT INTO daap.databases (name, owner_team, purpose, status, host, port, secret_name)
    VALUES ('billing', 'payments', 'invoices', 'ready', 'billing-rw.daap.svc', 5432, 'billing-app'),
           ('catalog', 'shop', 'products', 'ready', 'catalog-rw.daap.svc', 5432, 'catalog-app');
    INSERT INTO daap.databases (name, owner_team, purpose, status, error_message)
    VALUES ('search', 'discovery', 'search index', 'error', 'cluster search did not become ready in 10m');
    INSERT INTO daap.jobs (kind, queue, payload, state, attempt, started_at, locked_by, lease_expires_at)
    VALUES ('database.create', 'provisioning', '{"name": "ledger", "owner_team": "finance"}', 'running', 1,
            now() - interval '20 seconds', 'worker-a1', now() + interval '30 seconds');
    INSERT INTO daap.jobs (kind, queue, payload, state, attempt, started_at, finished_at, result, database_id)
    SELECT 'database.create', 'provisioning', jsonb_build_object('name', d.name, 'owner_team', d.owner_team),
           'succeeded', 1, d.created_at, now() - interval '40 minutes', '{"host": "ready"}', d.id
      FROM daap.databases AS d WHERE d.status = 'ready';
    INSERT INTO daap.jobs (kind, queue, state, attempt, started_at, finished_at, result)
    SELECT 'noop', 'default', 'succeeded', 1, now() - m * interval '1 minute',
           now() - m * interval '1 minute', '{}'
      FROM generate_series(1, 50, 7) AS m;
    INSERT INTO daap.jobs (kind, queue, state, attempt, started_at, finished_at, result)
    SELECT 'report.render', 'default', 'succeeded', 1, now() - h * interval '1 hour',
           now() - h * interval '1 hour', '{"pages": 3}'
      FROM generate_series(2, 26, 6) AS h;
    -- Just outside the last hour, for the 1 h counts.
    INSERT INTO daap.jobs (kind, queue, state, attempt, started_at, finished_at, result)
    VALUES ('noop', 'provisioning', 'succeeded', 1, now() - interval '65 minutes',
            now() - interval '65 minutes', '{}');
    INSERT INTO daap.jobs (kind, queue, payload, state, attempt, max_attempts, started_at, finished_at,
                           last_error, errors, database_id)
    SELECT 'database.create', 'provisioning', '{"name": "search", "owner_team": "discovery"}', 'failed',
           3, 3, now() - interval '30 minutes', now() - interval '30 minutes',
           'cluster search did not become ready in 10m (attempt 3)',
           ${lit(history(3, 'cluster search did not become ready in 10m'))}::jsonb, d.id
      FROM daap.databases AS d WHERE d.name = 'search';
    INSERT INTO daap.jobs (kind, queue, payload, state, attempt, max_attempts, started_at, finished_at,
                           last_error, errors)
    VALUES ('report.render', 'default', '{"report": "quarterly"}', 'failed', 2, 2,
            now() - interval '3 hours', now() - interval '3 hours', 'template missing (attempt 2)',
            ${lit(history(2, 'template missing'))}::jsonb),
           ('report.render', 'default', '{"report": "half-yearly"}', 'failed', 2, 2,
            now() - interval '90 minutes', now() - interval '90 minutes', 'template missing (attempt 2)',
            ${lit(history(2, 'template missing'))}::jsonb),
           ('report.render', 'default', '{"report": "old"}', 'failed', 2, 2,
            now() - interval '25 hours', now() - interval '25 hours', 'template missing (attempt 2)',
            ${lit(history(2, 'template missing'))}::jsonb),
           ('report.render', 'default', '{"report": "monthly"}', 'failed', 2, 2,
            now() - interval '12 minutes', now() - interval '12 minutes', 'template missing (attempt 2)',
            ${lit(history(2, 'template missing'))}::jsonb),
           ('report.render', 'default', '{"report": "yearly"}', 'failed', 2, 2,
            now() - interval '9 minutes', now() - interval '9 minutes', 'template missing (attempt 2)',
            ${lit(history(2, 'template missing'))}::jsonb);
    INSERT INTO daap.jobs (kind, queue, payload, state, attempt, max_attempts, started_at, finished_at,
                           last_error, errors, unique_key)
    SELECT 'mail.send', 'mail', jsonb_build_object('to', 'user' || n || '@example.com'), 'failed', 5, 5,
           now() - n * interval '10 seconds', now() - n * interval '10 seconds',
           'smtp: connection timed out (attempt 5)',
           ${lit(history(5, 'smtp: connection timed out'))}::jsonb,
           CASE WHEN n = 1 THEN 'welcome:user1' END
      FROM generate_series(1, 55) AS n;
    -- Holds the unique key of one failed mail: retrying that one is refused (skipped).
    INSERT INTO daap.jobs (kind, queue, payload, run_at, unique_key)
    VALUES ('mail.send', 'mail', '{"to": "user1@example.com"}', now() + interval '2 hours', 'welcome:user1');
    INSERT INTO daap.jobs (kind, queue, state, finished_at)
    VALUES ('noop', 'default', 'cancelled', now() - interval '5 minutes');
    INSERT INTO daap.jobs (kind, queue, payload, state, attempt, max_attempts, started_at, finished_at,
                           last_error, errors)
    VALUES (${lit(XSS)}, 'default', jsonb_build_object('html', ${lit(XSS)}, 'attr', '" onmouseover="alert(3)'),
            'failed', 1, 1, now() - interval '2 minutes', now() - interval '2 minutes', ${lit(XSS)},
            jsonb_build_array(jsonb_build_object('attempt', 1, 'overall_attempt', 1, 'at', now(),
                                                 'error', ${lit(XSS)})));
    INSERT INTO daap.workers (id, hostname, pid, version, queues, concurrency, heartbeat_at)
    VALUES ('worker-a1', 'node-a', 4242, '0.1.0', '{default,provisioning,mail}', 10, now() - interval '2 seconds'),
           ('worker-b2', 'node-b', 4343, '0.1.0', '{default}', 4, now() - interval '4 seconds');
    INSERT INTO daap.leaders (name, holder, term, acquired_at, expires_at)
    VALUES ('maintenance', 'worker-a1', 3, now() - interval '1 hour', now() + interval '30 seconds');
    SELECT daap.pause_queue('mail');
    SELECT daap.set_queue_limit('provisioning', 3);
  `);
}

// ---- console processes -------------------------------------------------------------------------

const consoles = [];

// Starts `daapctl console ARGS` on the test database and resolves with its base URL once it
// printed its "console listening on" line.
function startConsole(args, extraEnv = {}) {
  const env = { ...process.env, DATABASE_URL: dbUrl, ...extraEnv };
  if (!('CONSOLE_TOKEN' in extraEnv)) delete env.CONSOLE_TOKEN;
  const child = spawn(daapctl, ['console', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, stderr: '', exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))) };
  consoles.push(proc);
  child.stderr.on('data', (d) => { proc.stderr += d; });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(
      `daapctl console ${args.join(' ')} printed no "console listening on" line in 20 s; stderr:\n${proc.stderr}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^console listening on (http:\/\/\S+\/)$/m);
      if (m) { clearTimeout(timer); proc.url = m[1].replace(/\/$/, ''); resolve(proc); }
    });
    proc.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`daapctl console ${args.join(' ')} exited (${code ?? signal}) before listening; ` +
        `stdout: ${out}\nstderr:\n${proc.stderr}`));
    });
  });
}

async function stopConsole(proc) {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), 10000); });
  const result = await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  if (result === null) { proc.child.kill('SIGKILL'); return { code: null, signal: 'timeout' }; }
  return result;
}

// ---- a page of our own: proves Chromium, the driver and the harness before the console --------

function ownPageServer() {
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; script-src 'self'");
    if (req.url === '/app.js') {
      res.setHeader('Content-Type', 'text/javascript');
      res.end("document.getElementById('out').textContent = 'rendered by ' + navigator.userAgent.includes('Chrome');");
    } else {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>own</title><p id="out">not run</p><script src="/app.js"></script>');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- page helpers ------------------------------------------------------------------------------

let browser, context, page, main, guarded;
const pageErrors = [];  // console errors and CSP violations on any console page


function watch(p) {
  p.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`${p.url()}: ${msg.text()} (${msg.location().url})`);
  });
  p.on('pageerror', (e) => pageErrors.push(`${p.url()}: ${e.message}`));
  p.on('dialog', (d) => { pageErrors.push(`${p.url()}: a dialog fired: ${d.message()}`); d.dismiss().catch(() => {}); });
}

function checkHeaders(response, what) {
  const h = response.headers();
  assertEqual(h['content-security-policy'], CSP, `${what}: Content-Security-Policy`);
  assertEqual(h['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  assertEqual(h['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  assertEqual(h['cache-control'], 'no-store', `${what}: Cache-Control`);
}

// Loads a console page, checks its status and headers, saves its screenshot.
async function open(p, url, shot) {
  const response = await p.goto(url, { waitUntil: 'load' });
  assert(response, `no response for ${url}`);
  assertEqual(response.status(), 200, `status of GET ${url}`);
  checkHeaders(response, `GET ${url}`);
  if (shot) await p.screenshot({ path: path.join(screenshots, `${shot}.png`) });
  return response;
}

// Clicks a submit button and waits for the page it leads to (after the 303).
async function submit(p, button) {
  const [response] = await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), button.click()]);
  return response;
}

// {key: {col: text}} of the rows of a table, keyed by a data attribute of each row.
function rows(p, selector, key) {
  return p.$$eval(selector, (trs, k) => Object.fromEntries(trs.map((tr) => [tr.dataset[k],
    Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, td.textContent.trim()]))])), key);
}

const text = async (p, selector) => (await p.locator(selector).textContent()).trim();
const fields = (p, dl) => p.$$eval(`dl#${dl} dd[data-field]`, (dds) =>
  Object.fromEntries(dds.map((dd) => [dd.dataset.field, dd.textContent.trim()])));
const csrfOf = (p) => p.locator('input[type=hidden][name=csrf]').first().getAttribute('value');

async function jobState(id) { return sql(`SELECT state FROM daap.jobs WHERE id = ${Number(id)}`); }

// ---- the checks --------------------------------------------------------------------------------

check('chromium_renders_a_page_of_our_own_through_the_driver', async () => {
  const server = await ownPageServer();
  try {
    const own = await context.newPage();
    await own.goto(`http://127.0.0.1:${server.address().port}/`);
    assertEqual(await text(own, '#out'), 'rendered by true', 'text the page\'s script wrote');
    await own.close();
  } finally {
    server.close();
  }
});

check('every_page_loads_with_the_security_headers_and_a_nav_to_every_page', async () => {
  for (const [shot, url] of Object.entries(PAGES)) {
    await open(page, main.url + url, shot);
    const links = await page.$$eval('nav a', (as) => as.map((a) => new URL(a.href).pathname));
    for (const target of Object.values(PAGES)) assert(links.includes(target), `${url}: nav has no link to ${target} (${links})`);
  }
});

check('overview_shows_each_queue_with_the_counts_sql_gives', async () => {
  await open(page, main.url + '/', 'overview');
  const expected = sqlJson(`
    SELECT q.name,
           count(*) FILTER (WHERE j.state = 'available' AND j.run_at <= now())::text AS due,
           count(*) FILTER (WHERE j.state = 'available' AND j.run_at > now())::text AS scheduled,
           count(*) FILTER (WHERE j.state = 'running')::text AS running,
           count(*) FILTER (WHERE j.state = 'succeeded' AND j.finished_at > now() - interval '1 hour')::text AS succeeded_1h,
           count(*) FILTER (WHERE j.state = 'failed' AND j.finished_at > now() - interval '1 hour')::text AS failed_1h,
           count(*) FILTER (WHERE j.state = 'succeeded' AND j.finished_at > now() - interval '24 hours')::text AS succeeded_24h,
           count(*) FILTER (WHERE j.state = 'failed' AND j.finished_at > now() - interval '24 hours')::text AS failed_24h,
           CASE WHEN q.paused_at IS NULL THEN 'no' ELSE 'yes' END AS paused,
           coalesce(q.max_running::text, 'none') AS max_running
      FROM daap.queues AS q LEFT JOIN daap.jobs AS j ON j.queue = q.name
     GROUP BY q.name, q.paused_at, q.max_running ORDER BY q.name`);
  assert(expected.length === 3, `seed made ${expected.length} queues, expected 3`);
  const shown = await rows(page, 'table#queues tr[data-queue]', 'queue');
  assertEqual(Object.keys(shown).sort(), expected.map((q) => q.name), 'queues shown');
  for (const q of expected) {
    for (const [col, value] of Object.entries(q)) {
      if (col !== 'name') assertEqual(shown[q.name][col], value, `queue ${q.name}, ${col}`);
    }
    assert(shown[q.name].oldest_due_age !== undefined, `queue ${q.name} has no oldest_due_age cell`);
  }
  assert(await page.locator('svg#throughput').count() === 1, 'no svg#throughput on the overview');
});

check('overview_lists_the_live_workers_and_the_maintenance_leader', async () => {
  await open(page, main.url + '/');
  const expected = sqlJson(`
    SELECT w.id, w.hostname AS host, w.version, w.concurrency::text AS concurrency,
           (SELECT count(*) FROM daap.jobs AS j WHERE j.state = 'running' AND j.locked_by = w.id)::text AS running,
           CASE WHEN EXISTS (SELECT FROM daap.leaders AS l WHERE l.holder = w.id AND l.expires_at > now())
                THEN 'yes' ELSE '' END AS leader
      FROM daap.workers AS w ORDER BY w.id`);
  const shown = await rows(page, 'table#workers tr[data-worker-id]', 'workerId');
  assertEqual(Object.keys(shown).sort(), expected.map((w) => w.id), 'workers shown');
  for (const w of expected) {
    for (const [col, value] of Object.entries(w)) assertEqual(shown[w.id][col], value, `worker ${w.id}, ${col}`);
    assert(shown[w.id].queues.includes('default'), `worker ${w.id}: queues cell ${shown[w.id].queues}`);
  }
});

check('jobs_list_pages_newest_first_through_every_failed_job', async () => {
  await open(page, main.url + '/jobs', 'jobs');
  const newest = sqlJson('SELECT id FROM daap.jobs ORDER BY id DESC LIMIT 50').map((r) => String(r.id));
  assertEqual(await page.$$eval('table#jobs tr[data-job-id]', (trs) => trs.map((tr) => tr.dataset.jobId)), newest,
    'first page of /jobs');
  const failed = sqlJson("SELECT id FROM daap.jobs WHERE state = 'failed' ORDER BY id DESC").map((r) => String(r.id));
  assert(failed.length > 50, `seed should fill more than one page, has ${failed.length} failed jobs`);
  await open(page, main.url + '/jobs?state=failed');
  const seen = [];
  for (let pages = 1; ; pages++) {
    const shown = await rows(page, 'table#jobs tr[data-job-id]', 'jobId');
    for (const [id, cells] of Object.entries(shown)) assertEqual(cells.state, 'failed', `job ${id}'s state cell`);
    seen.push(...await page.$$eval('table#jobs tr[data-job-id]', (trs) => trs.map((tr) => tr.dataset.jobId)));
    const next = page.locator('a[rel=next]');
    if (await next.count() === 0) break;
    assert(pages < 5, 'more pages than jobs');
    await submit(page, next);
  }
  assertEqual(seen, failed, 'failed jobs over every page');
});

check('job_page_shows_every_column_the_payload_and_the_error_history', async () => {
  const id = sql("SELECT id FROM daap.jobs WHERE state = 'failed' AND database_id IS NOT NULL LIMIT 1");
  await open(page, `${main.url}/jobs/${id}`, 'job');
  const columns = sqlJson(`SELECT column_name AS c FROM information_schema.columns
                            WHERE table_schema = 'daap' AND table_name = 'jobs' ORDER BY ordinal_position`).map((r) => r.c);
  const shown = await fields(page, 'job');
  for (const c of columns) assert(c in shown, `dl#job has no dd[data-field=${c}]`);
  const row = sqlJson(`SELECT id::text, kind, queue, state, attempt::text, payload, jsonb_array_length(errors) AS errors,
                              database_id::text FROM daap.jobs WHERE id = ${id}`)[0];
  for (const f of ['id', 'kind', 'queue', 'state', 'attempt']) assertEqual(shown[f], row[f], `job ${id}, ${f}`);
  assertEqual(JSON.parse(await text(page, 'pre#payload')), row.payload, 'pre#payload');
  assertEqual(await page.locator('table#errors tr:has(td)').count(), row.errors, 'rows of table#errors');
  const links = await page.$$eval('a', (as) => as.map((a) => new URL(a.href).pathname));
  assert(links.includes(`/databases/${row.database_id}`), `no link to /databases/${row.database_id}`);
  const forms = await page.$$eval('form[data-action]', (fs) => fs.map((f) => f.dataset.action).sort());
  assertEqual(forms, ['delete', 'retry'], 'the actions a failed job offers');
  const missing = await page.request.get(`${main.url}/jobs/999999999`, { maxRedirects: 0 });
  assertEqual(missing.status(), 404, 'status of an unknown job');
});

check('retry_clicked_on_a_failed_job_makes_it_available_in_the_database', async () => {
  const id = sql("SELECT id FROM daap.jobs WHERE state = 'failed' AND kind = 'report.render' ORDER BY id LIMIT 1");
  await open(page, `${main.url}/jobs/${id}`);
  const response = await submit(page, page.locator('form[data-action=retry] [type=submit]'));
  assertEqual(response.status(), 200, 'status after the retry');
  assertEqual(new URL(page.url()).pathname, `/jobs/${id}`, 'page after the retry');
  assert((await text(page, '#flash')).includes(`job ${id}`), `#flash: ${await text(page, '#flash')}`);
  assertEqual(sqlJson(`SELECT state, attempt FROM daap.jobs WHERE id = ${id}`)[0], { state: 'available', attempt: 0 },
    `job ${id} after the retry`);
});

check('pause_and_limit_clicked_on_the_overview_change_the_queue_rows', async () => {
  await open(page, main.url + '/');
  const row = page.locator('table#queues tr[data-queue="default"]');
  await submit(page, row.locator('form[data-action=pause] [type=submit]'));
  assert((await text(page, '#flash')).includes('default'), `#flash: ${await text(page, '#flash')}`);
  assertEqual(sql("SELECT paused_at IS NOT NULL FROM daap.queues WHERE name = 'default'"), 't', 'default paused');
  assertEqual(await text(page, 'table#queues tr[data-queue="default"] td[data-col=paused]'), 'yes', 'paused cell');
  await submit(page, row.locator('form[data-action=resume] [type=submit]'));
  assertEqual(sql("SELECT paused_at IS NULL FROM daap.queues WHERE name = 'default'"), 't', 'default resumed');
  const limit = page.locator('table#queues tr[data-queue="provisioning"] form[data-action=limit]');
  await limit.locator('input[name=max_running]').fill('5');
  await submit(page, limit.locator('[type=submit]'));
  assertEqual(sql("SELECT max_running FROM daap.queues WHERE name = 'provisioning'"), '5', 'provisioning limit');
  await limit.locator('input[name=max_running]').fill('');
  await submit(page, limit.locator('[type=submit]'));
  assertEqual(sql("SELECT max_running IS NULL FROM daap.queues WHERE name = 'provisioning'"), 't', 'limit removed');
});

check('bulk_retry_by_filter_confirms_the_count_then_retries_and_reports_the_skipped', async () => {
  const filter = "kind = 'mail.send' AND state = 'failed'";
  const count = Number(sql(`SELECT count(*) FROM daap.jobs WHERE ${filter}`));
  assertEqual(count, 55, 'failed mails seeded');
  await open(page, main.url + '/jobs?state=failed&kind=mail.send');
  await page.locator('form#bulk select[name=action]').selectOption('retry');
  await submit(page, page.locator('form#bulk [type=submit]'));
  await page.screenshot({ path: path.join(screenshots, 'confirm.png') });
  assertEqual(await text(page, '#confirm-count'), String(count), '#confirm-count');
  assertEqual(Number(sql(`SELECT count(*) FROM daap.jobs WHERE ${filter}`)), count, 'failed mails before confirming');
  await submit(page, page.locator('form#confirm-form [type=submit]'));
  assertEqual(new URL(page.url()).pathname, '/jobs', 'page after the bulk retry');
  const flash = await text(page, '#flash');
  // One mail's unique key is held by an unfinished job: refused, so skipped.
  assert(/\b54\b/.test(flash) && /\b1\b/.test(flash), `#flash should say 54 changed, 1 skipped: ${flash}`);
  assertEqual(sqlJson("SELECT state, count(*)::int AS n FROM daap.jobs WHERE kind = 'mail.send' AND unique_key IS DISTINCT FROM 'welcome:user1' GROUP BY state ORDER BY state"),
    [{ state: 'available', n: 55 }], 'mails after the bulk retry (the queued one and 54 retried)');
  assertEqual(sql("SELECT string_agg(state, ',' ORDER BY id) FROM daap.jobs WHERE unique_key = 'welcome:user1'"),
    'failed,available', 'the skipped mail and the one holding its key');
});

check('databases_pages_show_the_records_sql_holds_and_their_jobs', async () => {
  await open(page, main.url + '/databases', 'databases');
  const expected = sqlJson(`SELECT id::text, name, status, owner_team, coalesce(host, '') AS host,
                                   coalesce(port::text, '') AS port, coalesce(secret_name, '') AS secret_name
                              FROM daap.databases ORDER BY name`);
  const shown = await rows(page, 'table#databases tr[data-database-id]', 'databaseId');
  assertEqual(Object.keys(shown).sort(), expected.map((d) => d.id).sort(), 'records shown');
  for (const d of expected) {
    for (const col of ['name', 'status', 'owner_team', 'host', 'port', 'secret_name']) {
      assertEqual(shown[d.id][col], d[col], `record ${d.name}, ${col}`);
    }
  }
  await open(page, main.url + '/databases?status=error');
  const errored = expected.filter((d) => d.status === 'error').map((d) => d.id);
  assertEqual(Object.keys(await rows(page, 'table#databases tr[data-database-id]', 'databaseId')), errored, 'status=error');
  const search = expected.find((d) => d.name === 'search');
  await open(page, `${main.url}/databases/${search.id}`, 'database');
  assertEqual((await fields(page, 'database')).status, 'error', 'dl#database status');
  const jobs = sqlJson(`SELECT id FROM daap.jobs WHERE database_id = '${search.id}' ORDER BY id DESC`).map((r) => String(r.id));
  assertEqual(await page.$$eval('table#jobs tr[data-job-id]', (trs) => trs.map((tr) => tr.dataset.jobId)), jobs, 'its jobs');
  assertEqual(await page.locator('form[data-action=retry]').count(), 1, 'retry form of an error record');
  const billing = expected.find((d) => d.name === 'billing');
  await open(page, `${main.url}/databases/${billing.id}`);
  assertEqual(await page.locator('form[data-action=retry]').count(), 0, 'retry form of a ready record');
});

check('periodic_page_shows_each_periodic_job_sql_holds', async () => {
  await open(page, main.url + '/periodic', 'periodic');
  const expected = sqlJson(`SELECT name, schedule, kind, queue, CASE WHEN enabled THEN 'yes' ELSE 'no' END AS enabled
                              FROM daap.periodic_jobs ORDER BY name`);
  assert(expected.length >= 2, 'seed made fewer than 2 periodic jobs');
  const shown = await rows(page, 'table#periodic tr[data-periodic]', 'periodic');
  assertEqual(Object.keys(shown).sort(), expected.map((p) => p.name), 'periodic jobs shown');
  for (const p of expected) {
    for (const [col, value] of Object.entries(p)) assertEqual(shown[p.name][col], value, `periodic ${p.name}, ${col}`);
    assert(shown[p.name].next_run_at, `periodic ${p.name} shows no next_run_at`);
  }
});

check('retry_clicked_on_an_error_record_and_disable_on_a_periodic_job_change_their_rows', async () => {
  const id = sql("SELECT id FROM daap.databases WHERE name = 'search'");
  const jobsBefore = Number(sql(`SELECT count(*) FROM daap.jobs WHERE database_id = '${id}'`));
  await open(page, `${main.url}/databases/${id}`);
  await submit(page, page.locator('form[data-action=retry] [type=submit]'));
  assertEqual(new URL(page.url()).pathname, `/databases/${id}`, 'page after the retry');
  assert((await page.locator('#flash').count()) === 1, 'no #flash after the retry');
  assertEqual(sql(`SELECT status FROM daap.databases WHERE id = '${id}'`), 'provisioning', 'record after the retry');
  assertEqual(Number(sql(`SELECT count(*) FROM daap.jobs WHERE database_id = '${id}' AND state = 'available'`)), 1,
    'new provision job');
  assertEqual(Number(sql(`SELECT count(*) FROM daap.jobs WHERE database_id = '${id}'`)), jobsBefore + 1, 'its jobs');
  await open(page, main.url + '/periodic');
  const row = page.locator('table#periodic tr[data-periodic="nightly-report"]');
  await submit(page, row.locator('form[data-action=disable] [type=submit]'));
  assertEqual(sql("SELECT enabled FROM daap.periodic_jobs WHERE name = 'nightly-report'"), 'f', 'after disable');
  assertEqual(await text(page, 'table#periodic tr[data-periodic="nightly-report"] td[data-col=enabled]'), 'no', 'enabled cell');
  await submit(page, row.locator('form[data-action=enable] [type=submit]'));
  assertEqual(sql("SELECT enabled FROM daap.periodic_jobs WHERE name = 'nightly-report'"), 't', 'after enable');
});

check('hostile_kind_payload_and_error_render_as_text', async () => {
  const id = sql(`SELECT id FROM daap.jobs WHERE kind = ${lit(XSS)}`);
  const before = pageErrors.length;
  for (const url of ['/jobs?state=failed', `/jobs?kind=${encodeURIComponent(XSS)}`, `/jobs/${id}`]) {
    await open(page, main.url + url, url.startsWith('/jobs/') ? 'xss' : undefined);
    const injected = await page.evaluate(() => ({
      handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes]
        .filter((a) => a.name.startsWith('on')).map((a) => `${el.tagName} ${a.name}`)),
      scripts: [...document.scripts].filter((s) => !s.src || new URL(s.src).origin !== location.origin ||
        !new URL(s.src).pathname.startsWith('/static/')).map((s) => s.outerHTML),
      images: [...document.images].filter((i) => i.getAttribute('src') === 'x').map((i) => i.outerHTML),
    }));
    assertEqual(injected, { handlers: [], scripts: [], images: [] }, `elements injected on ${url}`);
    const body = await page.locator('body').innerText();
    assert(body.includes(XSS), `${url} does not show the hostile text as text`);
  }
  // The last page visited: the job's own.
  assertEqual((await fields(page, 'job')).kind, XSS, 'dd[data-field=kind]');
  assertEqual(JSON.parse(await text(page, 'pre#payload')).html, XSS, 'pre#payload');
  assert(await page.locator('table#errors').innerText().then((t) => t.includes(XSS)), 'the error history');
  assertEqual(pageErrors.slice(before), [], 'console errors or dialogs');
});

check('no_console_errors_or_csp_violations_on_any_page', async () => {
  const id = sql("SELECT id FROM daap.jobs ORDER BY id LIMIT 1");
  for (const url of [...Object.values(PAGES), `/jobs/${id}`]) await open(page, main.url + url);
  assertEqual(pageErrors, [], 'console errors, CSP violations or dialogs seen');
});

check('post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing', async () => {
  const id = sql("SELECT id FROM daap.jobs WHERE state = 'failed' AND kind = 'report.render' ORDER BY id LIMIT 1");
  await open(page, main.url + '/');
  const csrf = await csrfOf(page);
  assert(csrf, 'no input[name=csrf] in the overview\'s forms');
  for (const form of [{}, { csrf: 'x' + csrf }]) {
    const r = await page.request.post(`${main.url}/jobs/${id}/retry`, { form, maxRedirects: 0 });
    assertEqual(r.status(), 403, `POST /jobs/${id}/retry with ${JSON.stringify(Object.keys(form))}`);
    const q = await page.request.post(`${main.url}/queues/default/pause`, { form, maxRedirects: 0 });
    assertEqual(q.status(), 403, 'POST /queues/default/pause without the right csrf');
  }
  assertEqual(await jobState(id), 'failed', `job ${id} after refused retries`);
  assertEqual(sql("SELECT paused_at IS NULL FROM daap.queues WHERE name = 'default'"), 't', 'default not paused');
  const ok = await page.request.post(`${main.url}/queues/default/pause`, { form: { csrf }, maxRedirects: 0 });
  assertEqual(ok.status(), 303, 'the same POST with the token');
  sql("SELECT daap.resume_queue('default')");
});

check('healthz_answers_ok_and_an_unknown_path_is_404', async () => {
  const h = await page.request.get(`${main.url}/healthz`);
  assertEqual([h.status(), (await h.text()).trim()], [200, 'ok'], 'GET /healthz');
  assertEqual((await page.request.get(`${main.url}/no-such-page`)).status(), 404, 'GET /no-such-page');
});

check('with_console_token_requests_without_the_cookie_are_refused', async () => {
  guarded = await startConsole(['--addr', '127.0.0.1:0'], { CONSOLE_TOKEN: TOKEN });
  const fresh = await browser.newContext();
  try {
    const r = fresh.request;
    const get = await r.get(`${guarded.url}/jobs`, { maxRedirects: 0 });
    assertEqual([get.status(), new URL(get.headers().location, guarded.url).pathname], [303, '/login'], 'GET /jobs without the cookie');
    const post = await r.post(`${guarded.url}/queues/default/pause`, { form: { csrf: 'anything' }, maxRedirects: 0 });
    assertEqual(post.status(), 401, 'POST without the cookie');
    assertEqual(sql("SELECT paused_at IS NULL FROM daap.queues WHERE name = 'default'"), 't', 'default not paused');
    assertEqual((await r.get(`${guarded.url}/healthz`, { maxRedirects: 0 })).status(), 200, '/healthz without the cookie');
  } finally {
    await fresh.close();
  }
});

check('login_form_refuses_a_wrong_token_then_sets_the_session_cookie', async () => {
  assert(guarded, 'the console with CONSOLE_TOKEN did not start');
  const fresh = await browser.newContext();
  try {
    const p = await fresh.newPage();
    // Chromium logs the 401 of a wrong token as a console error; anything else is a fault.
    const errors = [];
    p.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of 401/.test(msg.text())) errors.push(`${msg.text()} (${msg.location().url})`);
    });
    p.on('pageerror', (e) => errors.push(e.message));
    const first = await p.goto(`${guarded.url}/`);
    assertEqual(new URL(p.url()).pathname, '/login', 'where / leads without the cookie');
    checkHeaders(first, 'GET /login');
    await p.screenshot({ path: path.join(screenshots, 'login.png') });
    const css = await p.$$eval('link[rel=stylesheet]', (ls) => ls.map((l) => l.href));
    for (const href of css) assertEqual((await fresh.request.get(href)).status(), 200, `${href} without the cookie`);
    await p.locator('form#login input[name=token]').fill('wrong-' + TOKEN);
    const wrong = await submit(p, p.locator('form#login button[type=submit]'));
    assertEqual(wrong.status(), 401, 'POST /login with a wrong token');
    assert(await p.locator('#error').count() === 1, 'no #error after a wrong token');
    const session = async () => (await fresh.cookies()).filter((c) => c.name === 'daap_console');
    assertEqual(await session(), [], 'session cookie after a wrong token');
    await p.locator('form#login input[name=token]').fill(TOKEN);
    await submit(p, p.locator('form#login button[type=submit]'));
    assertEqual(new URL(p.url()).pathname, '/', 'where the login leads');
    assert(await p.locator('table#queues').count() === 1, 'the overview after the login');
    const cookies = await session();
    assertEqual(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path, c.secure]),
      [['daap_console', true, 'Strict', '/', false]], 'the session cookie');
    assert(!cookies[0].value.includes(TOKEN), 'the cookie holds the token itself');
    // Logged in, a POST still needs the CSRF token.
    const noCsrf = await fresh.request.post(`${guarded.url}/queues/default/pause`, { maxRedirects: 0, form: {} });
    assertEqual(noCsrf.status(), 403, 'POST with the cookie but without csrf');
    assertEqual(errors, [], 'console errors or CSP violations on /login');
    await p.close();
  } finally {
    await fresh.close();
  }
});

check('read_only_console_renders_no_action_form_and_refuses_every_post', async () => {
  const ro = await startConsole(['--addr', '127.0.0.1:0', '--read-only']);
  const p = await context.newPage();
  watch(p);
  try {
    const id = sql("SELECT id FROM daap.jobs WHERE state = 'failed' ORDER BY id LIMIT 1");
    for (const url of [...Object.values(PAGES), `/jobs/${id}`]) {
      await open(p, ro.url + url);
      assertEqual(await p.locator('form[method=post i], form[data-action], form#bulk').count(), 0, `action forms on ${url}`);
    }
    await open(p, main.url + '/');
    const csrf = await csrfOf(p);
    const r = await p.request.post(`${ro.url}/jobs/${id}/retry`, { form: { csrf }, maxRedirects: 0 });
    assertEqual(r.status(), 403, 'POST to a read-only console');
    assertEqual(await jobState(id), 'failed', `job ${id} after a POST to a read-only console`);
  } finally {
    // Stopped at the end, once Chromium's keep-alive connections to it are closed.
    await p.close();
  }
});

check('a_non_loopback_address_without_console_token_exits_2_naming_it', async () => {
  const proc = startConsole(['--addr', '0.0.0.0:0']);
  const outcome = await proc.then(() => 'listening', (e) => e.message);
  const last = consoles[consoles.length - 1];
  const { code } = await stopConsole(last);
  assert(outcome !== 'listening', 'it listened on 0.0.0.0 without CONSOLE_TOKEN');
  assertEqual(code, 2, 'exit status');
  assert(last.stderr.includes('CONSOLE_TOKEN'), `its message does not name CONSOLE_TOKEN: ${last.stderr}`);
});

check('sigterm_stops_each_console_cleanly', async () => {
  // The browser goes first: a keep-alive connection it holds open delays the console's stop
  // by up to cpp-httplib's keep-alive timeout (5 s), which is no fault but slows the suite.
  await browser.close();
  for (const proc of [main, guarded].filter(Boolean)) {
    const { code, signal } = await stopConsole(proc);
    assertEqual([code, signal], [0, null], `exit of daapctl console at ${proc.url}`);
  }
});

// ---- run ---------------------------------------------------------------------------------------

async function run() {
  console.log('TAP version 13');
  const started = Date.now();
  try {
    psql(databaseUrl, `CREATE DATABASE ${dbName}`);
    ctl('migrate', 'up');
    seed();
    main = await startConsole(['--addr', '127.0.0.1:0']);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    watch(page);
  } catch (e) {
    await cleanup();
    bailOut(`could not set up: ${e.stack || e}`);
  }
  console.log(`1..${checks.length}`);
  console.log(`# set-up (database, seed, console, Chromium launch): ${Date.now() - started} ms`);
  let failed = 0;
  for (const [i, c] of checks.entries()) {
    const t0 = Date.now();
    try {
      await c.fn();
      console.log(`ok ${i + 1} - ${c.name}`);
    } catch (e) {
      failed++;
      console.log(`not ok ${i + 1} - ${c.name}`);
      for (const line of String(e.stack || e).split('\n')) console.log(`# ${line}`);
    }
    console.log(`# ${Date.now() - t0} ms`);
  }
  await cleanup();
  process.exitCode = failed ? 1 : 0;
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  for (const proc of consoles) await stopConsole(proc);
  try {
    psql(databaseUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  } catch (e) {
    console.error(`could not drop ${dbName}: ${e.message}`);
  }
}

run();
