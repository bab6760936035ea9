'use strict';
// Baseline for the status benchmark: Express answering GET /video/status/:id from one primary-key
// SELECT on a pg pool of the same size as the API's, and nothing else (no logging, metrics, auth).
// Run as a child process with DATABASE_URL and PORT set; prints {"port":N} when listening.
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const express = require(require.resolve('express', { paths: [path.join(root, 'apps', 'api')] }));
const { Pool } = require(require.resolve('pg', { paths: [path.join(root, 'packages', 'core')] }));

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.get('/video/status/:job_id', async (req, res) => {
  const { rows } = await pool.query('SELECT * FROM jobs WHERE job_id = $1', [req.params.job_id]);
  if (!rows[0]) return res.status(404).json({ error: 'not found' });
  const j = rows[0];
  res.json({ job_id: j.job_id, status: j.status, progress: 0, created_at: j.created_at, updated_at: j.updated_at });
});
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
