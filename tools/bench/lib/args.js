'use strict';
// `--name value` and `--flag` options, shared by the bench and fault scripts.
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const numberArg = (name, fallback) => {
  const value = Number(arg(name, String(fallback)));
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
  return value;
};
const flag = (name) => process.argv.includes(`--${name}`);

module.exports = { arg, numberArg, flag };
