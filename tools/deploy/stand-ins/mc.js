#!/usr/bin/env node
'use strict';
// The part of MinIO's `mc` that docker-compose.yml uses, against the s3rver stand-in:
//   mc ready ALIAS                      exit 0 once the server answers HTTP
//   mc alias set ALIAS URL USER PASS    remembered in ~/.mc/aliases.json
//   mc mb [--ignore-existing] ALIAS/BUCKET
// s3rver takes unsigned requests, so the bucket is created without a signature.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const file = path.join(os.homedir(), '.mc', 'aliases.json');
const aliases = () => ({
  local: 'http://127.0.0.1:9000',
  ...(fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}),
});
const urlOf = (alias) => {
  const url = aliases()[alias];
  if (!url) throw new Error(`mc: unknown alias ${alias}`);
  return url.replace(/\/$/, '');
};

async function main(args) {
  const [command, ...rest] = args;
  if (command === 'ready') {
    const res = await fetch(`${urlOf(rest[0])}/`);
    await res.arrayBuffer();
    return 0;
  }
  if (command === 'alias' && rest[0] === 'set' && rest.length >= 3) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const current = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    fs.writeFileSync(file, JSON.stringify({ ...current, [rest[1]]: rest[2] }));
    console.log(`Added \`${rest[1]}\` successfully.`);
    return 0;
  }
  if (command === 'mb') {
    const ignoreExisting = rest.includes('--ignore-existing');
    const target = rest.find((a) => !a.startsWith('--'));
    const [alias, bucket] = (target || '').split('/');
    if (!bucket) throw new Error('usage: mc mb [--ignore-existing] ALIAS/BUCKET');
    const res = await fetch(`${urlOf(alias)}/${bucket}`, { method: 'PUT' });
    const body = await res.text();
    if (res.ok) console.log(`Bucket created successfully \`${target}\`.`);
    else if (ignoreExisting && /BucketAlready(OwnedByYou|Exists)/.test(body))
      console.log(`Bucket \`${target}\` exists.`);
    else throw new Error(`mc: PUT bucket ${bucket}: ${res.status} ${body}`);
    return 0;
  }
  throw new Error(`mc stand-in: unsupported command: ${args.join(' ')}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
