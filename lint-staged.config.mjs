// The pre-commit hook (tools/git-hooks.ts installs it): format and lint what is staged, then the
// vocabulary check of DESIGN §10 over the whole tree (about a second). Type-aware lint of a few files
// takes a few seconds; `git commit --no-verify` skips all of it.
export default {
  '*.{ts,js,mjs,cjs}': ['prettier --write', 'eslint --fix --no-warn-ignored'],
  '*.{json,md,yml,yaml,css,html}': 'prettier --write',
  '*': () => 'tsx tools/validate-vocabulary.ts',
};
