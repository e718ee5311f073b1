// duckdb.mjs runs one SQL query with DuckDB for the bench's duckdb row
// (duckdb.go starts it as a child process, whose rusage is DuckDB's):
//
//	node duckdb.mjs DIR THREADS SQL
//
// DIR is where `make duckdb` installed npm's @duckdb/node-api (.cache/tools/duckdb).
// It runs `SET threads=THREADS`, then SQL, and prints one line of JSON:
// {"version": DuckDB's version, "query_seconds": the query's own time,
// "rows": the result's rows as objects}. BIGINTs are printed as numbers.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [dir, threads, sql] = process.argv.slice(2);
if (!dir || !threads || !sql) {
  process.stderr.write('usage: node duckdb.mjs DIR THREADS SQL\n');
  process.exit(2);
}
const require = createRequire(join(dir, 'package.json'));
const { DuckDBInstance, version } = require('@duckdb/node-api');

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
await conn.run(`SET threads=${Number(threads)}`);
const start = process.hrtime.bigint();
const reader = await conn.runAndReadAll(sql);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const out = { version: version(), query_seconds: seconds, rows: reader.getRowObjectsJS() };
process.stdout.write(JSON.stringify(out, (_, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n');
