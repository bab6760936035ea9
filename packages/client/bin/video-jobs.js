#!/usr/bin/env node
'use strict';
// The `video-jobs` CLI; build first (`pnpm build`), the code is packages/client/src/cli.ts.
require('../dist/cli.js').main();
