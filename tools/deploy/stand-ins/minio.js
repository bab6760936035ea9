#!/usr/bin/env node
'use strict';
// `minio server DIR [--console-address ADDR]` as s3rver: S3 on :9000 over DIR, accepting the
// MINIO_ROOT_USER / MINIO_ROOT_PASSWORD key pair the services sign with. No console.
const S3rver = require('s3rver');
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account');

const [command, directory] = process.argv.slice(2);
if (command !== 'server' || !directory) {
  console.error('usage: minio server DIR');
  process.exit(2);
}
const user = process.env.MINIO_ROOT_USER;
const password = process.env.MINIO_ROOT_PASSWORD;
if (!user || !password) {
  console.error('minio: MINIO_ROOT_USER and MINIO_ROOT_PASSWORD are required');
  process.exit(2);
}
DUMMY_ACCOUNT.createKeyPair(user, password);
// vhostBuckets off: s3rver would take the host name `minio` for a bucket (CNAME style); MinIO and the
// services use path-style addressing.
const server = new S3rver({ address: '0.0.0.0', port: 9000, directory, silent: true, vhostBuckets: false });
server.run().then(
  () => console.log(`minio stand-in (s3rver) serving ${directory} on :9000`),
  (err) => {
    console.error(`minio: ${err.message}`);
    process.exit(1);
  },
);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}
