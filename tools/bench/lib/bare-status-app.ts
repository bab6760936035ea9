// Baseline for the status benchmark: Express answering GET /video/status/:id from one primary-key
// SELECT on a pg pool of the same size as the API's, and nothing else (no logging, metrics, auth).
// Run as a child process with DATABASE_URL and PORT set; prints {"port":N} when listening.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Pool } from 'pg';
import type { JobRow } from '../../lib/stack';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.get('/video/status/:job_id', async (req, res) => {
  const { rows } = await pool.query<JobRow>('SELECT * FROM jobs WHERE job_id = $1', [req.params.job_id]);
  const j = rows[0];
  if (!j) {
    res.status(404).json({ error: 'not found' });
    return;
  }
  res.json({ job_id: j.job_id, status: j.status, progress: 0, created_at: j.created_at, updated_at: j.updated_at });
});
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
