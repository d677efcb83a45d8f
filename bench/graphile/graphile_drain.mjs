// One Graphile Worker drain for `daap-bench --compare graphile`, the peer measured beside
// daap-worker: a fresh graphile_worker schema, N no-op jobs added with one add_jobs() call
// (Graphile's own bulk API), then one worker (this process, concurrentJobs 8) with the
// batching of Graphile's perfTest, timed from run() until every job is completed. Graphile
// deletes a completed job, so "completed" is an empty job table.
//
//   node graphile_drain.mjs --modules=DIR --jobs=N [--concurrency=8] [--checkpoint]
//                           [--timeout-ms=600000]
//
// DIR holds node_modules with graphile-worker and pg (scripts/install-graphile). The database
// comes from the PG* environment variables: daap-bench sets them, and unsets DATABASE_URL,
// which Graphile would take first. --checkpoint runs CHECKPOINT after filling the table,
// before the clock starts, as daap-bench does before timing daap-worker.
// Prints one JSON object on stdout: jobs, drain_ms, graphile_worker (version), node.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    modules: { type: "string" },
    jobs: { type: "string" },
    concurrency: { type: "string", default: "8" },
    checkpoint: { type: "boolean", default: false },
    "timeout-ms": { type: "string", default: "600000" },
  },
  strict: true,
});
const positive = (name) => {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`--${name} must be a positive whole number, got '${opts[name]}'`);
  }
  return v;
};
if (!opts.modules) throw new Error("--modules=DIR is required (see scripts/install-graphile)");
const jobs = positive("jobs");
const concurrency = positive("concurrency");
const timeoutMs = positive("timeout-ms");

// Per-job success lines off, as daap-worker runs with --log-level warn. Graphile reads this
// when its modules load, so it is set before the import below.
process.env.NO_LOG_SUCCESS = "1";
const requireFrom = createRequire(path.join(opts.modules, "package.json"));
const load = (name) => import(pathToFileURL(requireFrom.resolve(name)).href);
const { run, runMigrations, Logger } = await load("graphile-worker");
const pg = (await load("pg")).default;
const graphileVersion = JSON.parse(
  readFileSync(path.join(opts.modules, "node_modules", "graphile-worker", "package.json"), "utf8"),
).version;

const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile ${level}: ${message}`);
});
const preset = {
  worker: {
    concurrentJobs: concurrency,
    logger,
    // Graphile's perfTest batching: a local queue of 500 jobs per fetch, completions and
    // failures grouped without waiting.
    localQueue: { size: 500, refetchDelay: { durationMs: 10 } },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const admin = new pg.Client(); // PG* environment variables
await admin.connect();
try {
  await admin.query("DROP SCHEMA IF EXISTS graphile_worker CASCADE");
  await runMigrations({ preset });
  await admin.query(
    `SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
       SELECT json_populate_record(NULL::graphile_worker.job_spec,
                                   json_build_object('identifier', 'noop', 'payload', '{}'::json))
         FROM generate_series(1, $1::int)))`,
    [jobs],
  );
  if (opts.checkpoint) await admin.query("CHECKPOINT");

  let handled = 0;
  let allHandled;
  const handledAll = new Promise((resolve) => (allHandled = resolve));
  const taskList = {
    noop: async () => {
      if (++handled === jobs) allHandled();
    },
  };
  const timeout = setTimeout(() => {
    console.error(`graphile_drain: timed out after ${timeoutMs} ms with ${handled} of ${jobs} jobs handled`);
    process.exit(1);
  }, timeoutMs);

  const start = performance.now();
  const runner = await run({ preset, taskList, parsedCronItems: [], noHandleSignals: true });
  await handledAll;
  // Completions are grouped and committed after the handlers return: wait for the last one.
  while ((await admin.query("SELECT EXISTS (SELECT FROM graphile_worker._private_jobs) AS left")).rows[0].left) {
    await sleep(2);
  }
  const drainMs = performance.now() - start;
  clearTimeout(timeout);
  await runner.stop();
  console.log(
    JSON.stringify({
      jobs,
      drain_ms: Math.round(drainMs * 10) / 10,
      graphile_worker: graphileVersion,
      node: process.version,
    }),
  );
} finally {
  await admin.end();
}
