// Baseline for bench:api and bench:memory: the least an Express app can do for an upload, i.e.
// multer's disk storage writing the file under a temp dir and answering 202 with an id.
// With FSYNC=1 it also fsyncs the file before answering, as the API's local storage does, so the
// two can be compared at the same durability.
// Run as a child process: `tsx bare-upload-app.ts <dir>` with PORT set; prints {"port":N} when listening.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import express from 'express';
import multer from 'multer';

const dir = process.argv[2];
const upload = multer({ dest: dir }).single('file');
const app = express();
const fsync = process.env.FSYNC === '1';
app.post('/video/submit', upload, async (req, res) => {
  if (!req.file) {
    res.status(400).json({ error: 'no file' });
    return;
  }
  if (fsync) {
    const handle = await fs.open(req.file.path, 'r+');
    await handle.sync();
    await handle.close();
  }
  res.status(202).json({ job_id: randomUUID() });
});
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
server.requestTimeout = 0;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
