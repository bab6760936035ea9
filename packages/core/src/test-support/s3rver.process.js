'use strict';
// Runs s3rver in a process of its own for tests (startS3rver), so the server's memory and CPU do
// not count against the process under test. argv: <directory> <bucket>. Reports { port } over IPC
// and exits when the parent disconnects, so a crashed test run leaves no server behind.
const S3rver = require('s3rver');

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});

server.run().then(
  ({ port }) => process.send({ port }),
  (err) => {
    process.send({ error: String(err && err.stack ? err.stack : err) });
    process.exit(1);
  },
);

const stop = () => server.close(() => process.exit(0));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
